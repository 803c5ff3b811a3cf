package record

import (
	"errors"
	"io"
	"sync"
	"time"

	"github.com/gatherdev/gather"
)

// Writer writes records to an io.Writer whole: every write to the
// underlying writer ends at the end of a record, so output is never torn by
// the program. Records are buffered and flushed when the buffer fills, at
// least every flush interval, and on Flush and Close. It is safe for
// concurrent use.
type Writer struct {
	opts Options

	mu  sync.Mutex
	w   io.Writer
	buf []byte
	err error

	stop     chan struct{}
	stopOnce sync.Once
	done     chan struct{}
}

// bufferSize is how much is buffered before a write.
const bufferSize = 64 << 10

// NewWriter returns a Writer to w that flushes at least every interval (no
// timed flushes when interval <= 0). Close stops it.
func NewWriter(w io.Writer, o Options, interval time.Duration) *Writer {
	wr := &Writer{opts: o, w: w, buf: make([]byte, 0, bufferSize), stop: make(chan struct{}), done: make(chan struct{})}
	if interval <= 0 {
		close(wr.done)
		return wr
	}
	go func() {
		defer close(wr.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				wr.Flush()
			case <-wr.stop:
				return
			}
		}
	}()
	return wr
}

// Write appends r's record. It returns the first write error met, after
// which nothing more is written.
func (w *Writer) Write(r *gather.Result) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	w.buf = Append(w.buf, r, w.opts)
	if len(w.buf) >= bufferSize {
		w.flushLocked()
	}
	return w.err
}

// Flush writes what is buffered.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.flushLocked()
	return w.err
}

func (w *Writer) flushLocked() {
	if len(w.buf) == 0 || w.err != nil {
		return
	}
	_, w.err = w.w.Write(w.buf)
	w.buf = w.buf[:0]
}

// Close stops timed flushes and flushes what is left. It does not close the
// underlying writer.
func (w *Writer) Close() error {
	w.stopOnce.Do(func() { close(w.stop) })
	<-w.done
	return w.Flush()
}

// Halt waits for a write under way to end and lets no other begin: for a
// process about to exit at once, whose output must not end in a torn line.
// What is buffered is not written.
func (w *Writer) Halt() {
	w.mu.Lock()
	w.err = errHalted // never unlocked: nothing more is written
}

var errHalted = errors.New("record writer halted")
