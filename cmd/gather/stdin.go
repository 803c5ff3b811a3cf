package main

import (
	"context"
	"io"
	"os"
)

// interruptible returns r, or for a pipe or terminal (a read that can block
// for ever) a reader whose Read returns once ctx is done, so that an
// interrupt is not stuck behind a silent producer. The goroutine that keeps
// reading r is left to the process's exit.
func interruptible(ctx context.Context, r io.Reader) io.Reader {
	f, ok := r.(*os.File)
	if !ok {
		return r
	}
	if fi, err := f.Stat(); err != nil || fi.Mode().IsRegular() {
		return r
	}
	chunks := make(chan chunk)
	go func() {
		for {
			buf := make([]byte, 64<<10)
			n, err := f.Read(buf)
			select {
			case chunks <- chunk{buf[:n], err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return &chunkReader{ctx: ctx, chunks: chunks}
}

type chunk struct {
	data []byte
	err  error
}

type chunkReader struct {
	ctx    context.Context
	chunks <-chan chunk
	cur    chunk
}

func (c *chunkReader) Read(p []byte) (int, error) {
	for len(c.cur.data) == 0 {
		if c.cur.err != nil {
			return 0, c.cur.err
		}
		select {
		case c.cur = <-c.chunks:
		case <-c.ctx.Done():
			return 0, context.Cause(c.ctx)
		}
	}
	n := copy(p, c.cur.data)
	c.cur.data = c.cur.data[n:]
	return n, nil
}
