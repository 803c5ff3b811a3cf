package summary

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/gatherdev/gather"
)

func TestHistogramQuantiles(t *testing.T) {
	var h Histogram
	if h.Quantile(0.5) != 0 || h.Count() != 0 {
		t.Fatal("empty histogram not zero")
	}
	for i := 1; i <= 1000; i++ {
		h.Record(time.Duration(i) * time.Millisecond)
	}
	for _, tt := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 500 * time.Millisecond}, {0.95, 950 * time.Millisecond}, {0.99, 990 * time.Millisecond}, {1, 1000 * time.Millisecond}} {
		got := h.Quantile(tt.q)
		if rel := math.Abs(float64(got-tt.want)) / float64(tt.want); rel > 0.02 {
			t.Errorf("Quantile(%v) = %v, want %v within 2%%", tt.q, got, tt.want)
		}
	}
	if h.Max() != time.Second || h.Count() != 1000 {
		t.Errorf("max %v count %d", h.Max(), h.Count())
	}
}

func TestHistogramSmallAndHuge(t *testing.T) {
	var h Histogram
	h.Record(0)
	h.Record(-time.Second) // a clock step back must not panic
	h.Record(3 * time.Microsecond)
	h.Record(time.Duration(math.MaxInt64))
	if got := h.Quantile(0.5); got > 3*time.Microsecond {
		t.Errorf("p50 = %v", got)
	}
	if h.Quantile(1) != time.Duration(math.MaxInt64) {
		t.Errorf("p100 = %v", h.Quantile(1))
	}
}

func TestBucketsAreContiguous(t *testing.T) {
	prev := -1
	for v := uint64(0); v < 1<<20; v++ {
		b := bucketOf(v)
		if b != prev && b != prev+1 {
			t.Fatalf("bucketOf(%d) = %d after %d", v, b, prev)
		}
		prev = b
	}
	if b := bucketOf(math.MaxUint64); b >= buckets {
		t.Fatalf("bucketOf(max) = %d, out of %d", b, buckets)
	}
}

func TestStatsAndPrint(t *testing.T) {
	var s Stats
	s.Add(&gather.Result{Status: 200, Attempts: 3, Bytes: 2048, Elapsed: 10 * time.Millisecond})
	s.Add(&gather.Result{Status: 404, Attempts: 1, Bytes: 10, Elapsed: 5 * time.Millisecond, Err: &gather.Error{Kind: gather.KindHTTP, Err: errors.New("404")}})
	s.Add(&gather.Result{Err: &gather.Error{Kind: gather.KindInvalid, Err: errors.New("bad")}})
	s.Add(&gather.Result{Status: 304, Attempts: 1, Elapsed: time.Millisecond})
	r := s.Report(2 * time.Second)
	if r.Total != 4 || r.OK != 1 || r.Failed != 3 || r.Retries != 2 || r.Bytes != 2058 || r.PerSecond != 2 {
		t.Errorf("report %+v", r)
	}
	if r.ByKind["http"] != 1 || r.ByKind["invalid"] != 1 || len(r.ByKind) != 2 {
		t.Errorf("by kind %v", r.ByKind)
	}
	var out bytes.Buffer
	s.Print(&out, 2*time.Second)
	for _, want := range []string{"4 requests in 2s", "1 ok, 3 failed", "http 1", "invalid 1", "not 2xx 1", "retries 2", "2.0 KiB", "p50"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, out.String())
		}
	}
}

// A SmallHistogram is exact while small, and a Histogram past smallMax.
func TestSmallHistogram(t *testing.T) {
	var h SmallHistogram
	if h.Quantile(0.5) != 0 || h.Count() != 0 || h.Max() != 0 {
		t.Fatal("empty SmallHistogram not zero")
	}
	// Recorded out of order, with a step back of the clock.
	for _, ms := range []int{70, 10, 40, 20, 100, 30, 90, 50, 80, 60, -5} {
		h.Record(time.Duration(ms) * time.Millisecond)
	}
	for q, want := range map[float64]time.Duration{0.5: 50 * time.Millisecond, 0.9: 90 * time.Millisecond, 1: 100 * time.Millisecond, 0.01: 0} {
		if got := h.Quantile(q); got != want {
			t.Errorf("Quantile(%v) of 11 = %v, want exactly %v", q, got, want)
		}
	}
	// Past smallMax it answers as a Histogram of the same durations does.
	var big SmallHistogram
	var ref Histogram
	for i := range smallMax + 100 {
		d := time.Duration(i*7919%100000) * time.Microsecond
		big.Record(d)
		ref.Record(d)
	}
	if big.many == nil || big.few != nil {
		t.Fatalf("%d durations kept as they are, want a Histogram past %d", len(big.few), smallMax)
	}
	for _, q := range []float64{0.5, 0.95, 0.99, 1} {
		if got, want := big.Quantile(q), ref.Quantile(q); got != want {
			t.Errorf("Quantile(%v) = %v, a Histogram says %v", q, got, want)
		}
	}
	if big.Count() != ref.Count() || big.Max() != ref.Max() {
		t.Errorf("count %d max %v, a Histogram says %d %v", big.Count(), big.Max(), ref.Count(), ref.Max())
	}
}
