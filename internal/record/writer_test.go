package record

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/gatherdev/gather"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// callWriter records each Write call. After failAfter successful calls
// (when failAfter > 0), every call fails.
type callWriter struct {
	mu        sync.Mutex
	calls     [][]byte
	failAfter int
	failed    int // calls made after failing
}

var errBoom = errors.New("boom: disk full")

func (w *callWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.failAfter > 0 && len(w.calls) >= w.failAfter {
		w.failed++
		return 0, errBoom
	}
	w.calls = append(w.calls, bytes.Clone(p))
	return len(p), nil
}

func (w *callWriter) snapshot() [][]byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([][]byte(nil), w.calls...)
}

func (w *callWriter) all() []byte {
	return bytes.Join(w.snapshot(), nil)
}

// checkCalls checks that every Write call held whole records and returns the
// lines written, in order.
func checkCalls(t *testing.T, w *callWriter) [][]byte {
	t.Helper()
	var lines [][]byte
	for i, c := range w.snapshot() {
		if len(c) == 0 {
			t.Errorf("write %d is empty", i)
			continue
		}
		if c[len(c)-1] != '\n' {
			t.Fatalf("write %d (%d bytes) does not end a record: ...%q", i, len(c), c[max(0, len(c)-40):])
		}
		for _, l := range bytes.SplitAfter(c, []byte("\n")) {
			if len(l) == 0 {
				continue
			}
			checkLine(t, l)
			lines = append(lines, l)
		}
	}
	return lines
}

func result(i int, body []byte) *gather.Result {
	return &gather.Result{
		Request:     gather.Request{URL: fmt.Sprintf("https://example.com/%d", i), ID: fmt.Sprint(i)},
		Status:      200,
		Attempts:    1,
		Started:     t0,
		Elapsed:     time.Duration(i) * time.Microsecond,
		ContentType: "text/plain",
		Body:        body,
		Bytes:       int64(len(body)),
	}
}

func TestWriterWholeRecords(t *testing.T) {
	var cw callWriter
	w := NewWriter(&cw, Options{}, 0)
	var want []byte
	for i := range 500 {
		// Sizes vary so the buffer fills at points inside records; some
		// records are larger than the whole buffer.
		n := (i * 977) % 3000
		if i%97 == 0 {
			n = bufferSize + i
		}
		r := result(i, bytes.Repeat([]byte{'a' + byte(i%26)}, n))
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
		want = Append(want, r, Options{})
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	calls := cw.snapshot()
	if len(calls) < 2 {
		t.Errorf("only %d writes for %d bytes; want the buffer flushed when full", len(calls), len(want))
	}
	lines := checkCalls(t, &cw)
	if len(lines) != 500 {
		t.Errorf("%d lines, want 500", len(lines))
	}
	if got := cw.all(); !bytes.Equal(got, want) {
		t.Errorf("output (%d bytes) differs from the records appended in order (%d bytes)", len(got), len(want))
	}
	for i, c := range calls[:len(calls)-1] {
		if len(c) < bufferSize {
			t.Errorf("write %d of %d bytes before Close: flushed before the buffer was full", i, len(c))
		}
	}
}

func TestWriterOptions(t *testing.T) {
	var cw callWriter
	w := NewWriter(&cw, Options{NoBody: true}, 0)
	if err := w.Write(result(1, []byte("secret"))); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := string(cw.all()); strings.Contains(got, "secret") || strings.Contains(got, `"body"`) {
		t.Errorf("NoBody record has the body: %s", got)
	}
}

func TestWriterTimedFlush(t *testing.T) {
	var cw callWriter
	w := NewWriter(&cw, Options{}, 10*time.Millisecond)
	defer w.Close()
	r := result(1, []byte("hello"))
	if err := w.Write(r); err != nil {
		t.Fatal(err)
	}
	want := Append(nil, r, Options{})
	deadline := time.Now().Add(2 * time.Second)
	for !bytes.Equal(cw.all(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("record not written within 2s without Flush; have %q", cw.all())
		}
		time.Sleep(time.Millisecond)
	}
	// A second record is flushed too, and nothing is written twice.
	r2 := result(2, []byte("again"))
	if err := w.Write(r2); err != nil {
		t.Fatal(err)
	}
	want = Append(want, r2, Options{})
	for !bytes.Equal(cw.all(), want) {
		if time.Now().After(deadline.Add(2 * time.Second)) {
			t.Fatalf("second record not written in time; have %q", cw.all())
		}
		time.Sleep(time.Millisecond)
	}
	checkCalls(t, &cw)
}

func TestWriterNoTimedFlush(t *testing.T) {
	var cw callWriter
	w := NewWriter(&cw, Options{}, 0)
	if err := w.Write(result(1, nil)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(30 * time.Millisecond)
	if n := len(cw.snapshot()); n != 0 {
		t.Errorf("%d writes with no flush interval before Flush", n)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil { // nothing buffered: no write
		t.Fatal(err)
	}
	if n := len(cw.snapshot()); n != 1 {
		t.Errorf("%d writes after Flush, want 1", n)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if n := len(cw.snapshot()); n != 1 {
		t.Errorf("%d writes after Close with nothing buffered, want 1", n)
	}
}

func TestWriterClose(t *testing.T) {
	for _, interval := range []time.Duration{0, time.Hour, time.Millisecond} {
		t.Run(interval.String(), func(t *testing.T) {
			var cw callWriter
			w := NewWriter(&cw, Options{}, interval)
			var want []byte
			for i := range 3 {
				r := result(i, []byte("x"))
				if err := w.Write(r); err != nil {
					t.Fatal(err)
				}
				want = Append(want, r, Options{})
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if got := cw.all(); !bytes.Equal(got, want) {
				t.Fatalf("after Close got %q, want %q", got, want)
			}
			n := len(cw.snapshot())
			if err := w.Close(); err != nil {
				t.Fatalf("second Close: %v", err)
			}
			if len(cw.snapshot()) != n {
				t.Errorf("second Close wrote again")
			}
			checkCalls(t, &cw)
		})
	}
}

func TestWriterConcurrentClose(t *testing.T) {
	var cw callWriter
	w := NewWriter(&cw, Options{}, time.Millisecond)
	if err := w.Write(result(1, nil)); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if err := w.Close(); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if lines := checkCalls(t, &cw); len(lines) != 1 {
		t.Errorf("%d lines, want 1", len(lines))
	}
}

func TestWriterError(t *testing.T) {
	t.Run("flush", func(t *testing.T) {
		cw := &callWriter{failAfter: 1}
		w := NewWriter(cw, Options{}, 0)
		if err := w.Write(result(1, nil)); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if err := w.Write(result(2, nil)); err != nil {
			t.Fatalf("buffered Write: %v", err)
		}
		if err := w.Flush(); !errors.Is(err, errBoom) {
			t.Fatalf("Flush = %v, want %v", err, errBoom)
		}
		for i := range 3 {
			if err := w.Write(result(3+i, nil)); !errors.Is(err, errBoom) {
				t.Fatalf("Write after failure = %v, want %v", err, errBoom)
			}
		}
		if err := w.Flush(); !errors.Is(err, errBoom) {
			t.Fatalf("Flush after failure = %v", err)
		}
		if err := w.Close(); !errors.Is(err, errBoom) {
			t.Fatalf("Close after failure = %v", err)
		}
		if err := w.Close(); !errors.Is(err, errBoom) {
			t.Fatalf("second Close after failure = %v", err)
		}
		if cw.failed != 1 {
			t.Errorf("%d writes tried after the failure, want none", cw.failed-1)
		}
		if lines := checkCalls(t, cw); len(lines) != 1 {
			t.Errorf("%d lines written, want 1", len(lines))
		}
	})
	t.Run("full buffer", func(t *testing.T) {
		cw := &callWriter{failAfter: 1}
		w := NewWriter(cw, Options{}, 0)
		big := bytes.Repeat([]byte("z"), bufferSize/3)
		var err error
		var i int
		for i = 0; i < 100 && err == nil; i++ {
			err = w.Write(result(i, big))
		}
		if !errors.Is(err, errBoom) {
			t.Fatalf("Write = %v after %d records, want %v", err, i, errBoom)
		}
		if err := w.Write(result(i, nil)); !errors.Is(err, errBoom) {
			t.Fatalf("Write after failure = %v", err)
		}
		if err := w.Close(); !errors.Is(err, errBoom) {
			t.Fatalf("Close after failure = %v", err)
		}
		if cw.failed != 1 {
			t.Errorf("%d writes tried after the failure, want none", cw.failed-1)
		}
		checkCalls(t, cw)
	})
	t.Run("timed", func(t *testing.T) {
		cw := &callWriter{failAfter: 1}
		w := NewWriter(cw, Options{}, time.Millisecond)
		defer w.Close()
		if err := w.Write(result(1, nil)); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(2 * time.Second)
		for len(cw.snapshot()) == 0 {
			if time.Now().After(deadline) {
				t.Fatal("no timed flush")
			}
			time.Sleep(time.Millisecond)
		}
		var err error
		for i := 0; err == nil; i++ {
			if time.Now().After(deadline) {
				t.Fatal("the timed flush's error never reached Write")
			}
			err = w.Write(result(2+i, nil))
			time.Sleep(time.Millisecond)
		}
		if !errors.Is(err, errBoom) {
			t.Fatalf("Write = %v, want %v", err, errBoom)
		}
		time.Sleep(20 * time.Millisecond) // more ticks: they must not write
		cw.mu.Lock()
		failed := cw.failed
		cw.mu.Unlock()
		if failed != 1 {
			t.Errorf("%d writes tried after the failure, want none", failed-1)
		}
	})
}

func TestWriterConcurrent(t *testing.T) {
	const goroutines, each = 8, 1000
	var cw callWriter
	w := NewWriter(&cw, Options{}, time.Millisecond)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				r := &gather.Result{
					Request:     gather.Request{URL: fmt.Sprintf("https://example.com/%d/%d", g, i), ID: fmt.Sprintf("%d-%d", g, i)},
					Status:      200,
					Attempts:    1,
					Started:     t0,
					ContentType: "application/json",
					Body:        fmt.Appendf(nil, `{"g": %d, "i": %d, "pad": %q}`, g, i, strings.Repeat("p", (g*each+i)%200)),
				}
				if err := w.Write(r); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	lines := checkCalls(t, &cw)
	if len(lines) != goroutines*each {
		t.Fatalf("%d lines, want %d", len(lines), goroutines*each)
	}
	next := make([]int, goroutines)
	for _, l := range lines {
		m := jsonValue(t, string(l)).(map[string]any)
		body := m["body"].(map[string]any)
		g, _ := body["g"].(json.Number).Int64()
		i, _ := body["i"].(json.Number).Int64()
		if m["id"] != fmt.Sprintf("%d-%d", g, i) {
			t.Fatalf("line mixes records: %s", l)
		}
		if int(i) != next[g] {
			t.Fatalf("goroutine %d: record %d after %d", g, i, next[g]-1)
		}
		next[g]++
	}
}

func BenchmarkWriter(b *testing.B) {
	var cw discardWriter
	w := NewWriter(&cw, Options{}, 0)
	r := result(1, bytes.Repeat([]byte(`{"a": 1} `), 100))
	r.ContentType = "application/json"
	b.ReportAllocs()
	for b.Loop() {
		if err := w.Write(r); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
}

type discardWriter struct{}

func (*discardWriter) Write(p []byte) (int, error) { return len(p), nil }
