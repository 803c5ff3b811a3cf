package main

import (
	"context"
	"errors"
	"io"
	"iter"
	"os"

	"golang.org/x/term"

	"github.com/gatherdev/gather"
	"github.com/gatherdev/gather/internal/input"
)

// sources are the run's inputs in order: the URL arguments, then each -i
// file, or stdin when there are neither.
type sources struct {
	args     []string
	defaults input.Defaults
	files    []source
	readErr  error
}

type source struct {
	name    string
	closer  io.Closer // nil for stdin
	reader  *input.Reader
	regular bool // a regular file, which can be read again; not a pipe
}

// count returns how many records the sources will yield at most (repeats
// included), reading the files a second time. ok is false when that cannot
// be known: stdin is one of them, or a file cannot be read.
func (s *sources) count(ctx context.Context) (n int64, ok bool) {
	for range s.argRequests() {
		n++
	}
	for _, f := range s.files {
		if !f.regular {
			return 0, false // reading a pipe again would steal its lines
		}
		file, err := os.Open(f.name)
		if err != nil {
			return 0, false
		}
		k, err := input.CountRequests(ctxReader{ctx, file})
		file.Close()
		if err != nil {
			return 0, false
		}
		n += k
	}
	return n, true
}

// ctxReader stops reading once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

func openSources(ctx context.Context, args, inputs []string, stdin io.Reader, d input.Defaults) (*sources, error) {
	s := &sources{args: args, defaults: d}
	if len(args) == 0 && len(inputs) == 0 {
		if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			return nil, usageErrorf("no requests: give URLs as arguments, -i FILE, or pipe a list on stdin")
		}
		inputs = []string{"-"}
	}
	stdinUsed := false
	for _, name := range inputs {
		if name == "-" {
			if stdinUsed {
				s.close()
				return nil, usageErrorf("-i - given twice: stdin can be read once")
			}
			stdinUsed = true
			s.files = append(s.files, source{name: "stdin", reader: input.NewReader(interruptible(ctx, stdin), d)})
			continue
		}
		file, err := os.Open(name)
		var fi os.FileInfo
		if err == nil {
			if fi, err = file.Stat(); err == nil && fi.IsDir() {
				err = errors.New("is a directory")
			}
			if err != nil {
				file.Close()
			}
		}
		if err != nil {
			s.close()
			return nil, newPathError("-i", name, err)
		}
		// A named pipe or <(...) can block like stdin, and is read the same way.
		s.files = append(s.files, source{name: name, closer: file, regular: fi.Mode().IsRegular(),
			reader: input.NewReader(interruptible(ctx, file), d)})
	}
	return s, nil
}

// argRequests yields the requests of the URL arguments, numbered as lines.
func (s *sources) argRequests() iter.Seq[gather.Request] {
	return func(yield func(gather.Request) bool) {
		for i, arg := range s.args {
			req, skip := input.ParseLine([]byte(arg), int64(i+1), s.defaults)
			if !skip && !yield(req) {
				return
			}
		}
	}
}

// requests yields the requests of every source in order.
func (s *sources) requests() iter.Seq[gather.Request] {
	return func(yield func(gather.Request) bool) {
		for req := range s.argRequests() {
			if !yield(req) {
				return
			}
		}
		for _, f := range s.files {
			for req := range f.reader.All() {
				if !yield(req) {
					return
				}
			}
			if err := f.reader.Err(); err != nil {
				s.readErr = newPathError("-i", f.name, err)
				return
			}
		}
	}
}

// err returns the first read error, once requests is done.
func (s *sources) err() error { return s.readErr }

func (s *sources) close() {
	for _, f := range s.files {
		if f.closer != nil {
			f.closer.Close()
		}
	}
}

// replay yields the requests of the sources again, reading the files anew,
// for a check before the run. ok is false when stdin is one of them: it
// cannot be read twice.
func (s *sources) replay(ctx context.Context) (reqs iter.Seq[gather.Request], ok bool) {
	for _, f := range s.files {
		if !f.regular {
			return nil, false
		}
	}
	return func(yield func(gather.Request) bool) {
		for req := range s.argRequests() {
			if !yield(req) {
				return
			}
		}
		for _, f := range s.files {
			file, err := os.Open(f.name)
			if err != nil {
				return
			}
			r := input.NewReader(ctxReader{ctx, file}, s.defaults)
			for req := range r.All() {
				if !yield(req) {
					file.Close()
					return
				}
			}
			file.Close()
		}
	}, true
}
