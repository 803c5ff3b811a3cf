package input

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"iter"

	"github.com/gatherdev/gather"
)

// bufSize is the size of the read buffers. Lines longer than this are
// gathered from several reads.
const bufSize = 64 << 10

// Reader reads requests from an io.Reader, one per line. Input that starts
// with the gzip magic bytes is decompressed (multistream allowed), and a UTF-8
// byte order mark at the start of the (decompressed) stream is dropped.
//
// Memory use does not grow with the number of lines or with their length: a
// line over MaxLineSize is read past, not held, and yields an invalid Request.
//
// A Reader is not safe for concurrent use.
type Reader struct {
	src   io.Reader
	d     Defaults
	br    *bufio.Reader // the (decompressed) stream; nil until the first read
	gz    bool
	buf   []byte // the current line when it spans several reads; reused
	lines int64
	err   error
	eof   bool
	used  bool
}

// NewReader returns a Reader that reads requests from r, applying d to
// requests that do not set a method or body themselves. Nothing is read from
// r until All is iterated.
func NewReader(r io.Reader, d Defaults) *Reader {
	return &Reader{src: r, d: d}
}

// All yields one Request per line that is neither blank nor a comment, in
// input order. It stops early when the consumer stops. A Reader's All can be
// iterated only once; later iterations yield nothing.
//
// A line cut short by a read or decompression error is not yielded; the error
// is reported by Err.
func (r *Reader) All() iter.Seq[gather.Request] {
	return func(yield func(gather.Request) bool) {
		if r.used {
			return
		}
		r.used = true
		if !r.start() {
			return
		}
		for {
			req, skip, ok := r.next()
			if !ok {
				return
			}
			if !skip && !yield(req) {
				return
			}
		}
	}
}

// Err returns the first error reading or decompressing the input, other than
// io.EOF, or nil. Call it after All is done.
func (r *Reader) Err() error { return r.err }

// Lines returns the number of physical lines read so far, including blank and
// comment lines.
func (r *Reader) Lines() int64 { return r.lines }

// fail records the first read error.
func (r *Reader) fail(err error) {
	if r.err == nil {
		if r.gz {
			err = fmt.Errorf("reading gzip input: %w", err)
		}
		r.err = err
	}
	r.eof = true
}

// start sets up decompression and drops a byte order mark. It reports whether
// reading can go on.
func (r *Reader) start() bool {
	raw := bufio.NewReaderSize(r.src, bufSize)
	magic, err := raw.Peek(2)
	if err != nil && err != io.EOF {
		r.fail(err)
		return false
	}
	r.br = raw
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		r.gz = true
		zr, err := gzip.NewReader(raw)
		if err != nil {
			r.fail(err)
			return false
		}
		r.br = bufio.NewReaderSize(zr, bufSize)
	}
	bom, err := r.br.Peek(3)
	if err != nil && err != io.EOF {
		r.fail(err)
		return false
	}
	if len(bom) == 3 && bom[0] == 0xef && bom[1] == 0xbb && bom[2] == 0xbf {
		r.br.Discard(3)
	}
	return true
}

// next reads and parses the next line. ok is false at the end of the input or
// on a read error.
func (r *Reader) next() (req gather.Request, skip, ok bool) {
	if r.eof {
		return req, false, false
	}
	r.buf = r.buf[:0]
	var (
		size  int64 // bytes of the line so far, without the "\n"
		over  bool  // the line is over MaxLineSize
		last  byte  // the line's last byte so far
		first = -1  // the first non-blank byte of an over-long line, or -1
	)
	for {
		chunk, err := r.br.ReadSlice('\n')
		if err == nil {
			chunk = chunk[:len(chunk)-1]
			if size == 0 {
				// Fast path: the whole line is in the read buffer.
				// ParseLine copies what it keeps.
				r.lines++
				req, skip = ParseLine(chunk, r.lines, r.d)
				return req, skip, true
			}
		} else if err != bufio.ErrBufferFull {
			if err != io.EOF {
				r.fail(err) // drop the partial line
				return req, false, false
			}
			r.eof = true
			if size == 0 && len(chunk) == 0 {
				return req, false, false
			}
		}
		size += int64(len(chunk))
		if len(chunk) > 0 {
			last = chunk[len(chunk)-1]
		}
		switch {
		case !over && len(r.buf)+len(chunk) <= MaxLineSize+1:
			// Keep one byte more than the limit: it may be the '\r' of "\r\n".
			r.buf = append(r.buf, chunk...)
		case !over:
			over = true
			r.buf = append(r.buf, chunk[:MaxLineSize+1-len(r.buf)]...)
			first = firstNonBlank(r.buf)
			if first < 0 {
				first = firstNonBlank(chunk)
			}
			// Keep only the start of the line, for the error's echo.
			t := trim(r.buf)
			t = t[:min(len(t), gather.MaxInputEcho+1)]
			r.buf = r.buf[:copy(r.buf, t)]
		case first < 0:
			first = firstNonBlank(chunk)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		// End of the line.
		r.lines++
		if !over {
			req, skip = ParseLine(r.buf, r.lines, r.d)
			return req, skip, true
		}
		if first < 0 || first == '#' {
			return req, true, true
		}
		if last == '\r' {
			size--
		}
		return invalid(r.lines, r.buf, errTooLong(size)), false, true
	}
}

// firstNonBlank returns the first byte of b that is not blank, or -1.
func firstNonBlank(b []byte) int {
	for _, c := range b {
		if !isBlank(c) {
			return int(c)
		}
	}
	return -1
}
