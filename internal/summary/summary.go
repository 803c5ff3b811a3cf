// Package summary counts a run's results and reports them.
package summary

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/gatherdev/gather"
)

// Stats counts results. The zero value is ready to use; it is not safe for
// concurrent use.
type Stats struct {
	Total   int64
	OK      int64
	Retries int64
	Bytes   int64
	ByKind  map[gather.Kind]int64
	// NotOK counts results that are not ok and have no error (a final 3xx).
	NotOK   int64
	Latency Histogram
}

// Add counts r.
func (s *Stats) Add(r *gather.Result) {
	s.Total++
	s.Retries += int64(r.Retries())
	s.Bytes += r.Bytes
	switch {
	case r.OK():
		s.OK++
	case r.Err != nil:
		if s.ByKind == nil {
			s.ByKind = make(map[gather.Kind]int64)
		}
		s.ByKind[r.Kind()]++
	default:
		s.NotOK++
	}
	if r.Attempts > 0 {
		s.Latency.Record(r.Elapsed)
	}
}

// Failed returns how many results were not ok.
func (s *Stats) Failed() int64 { return s.Total - s.OK }

// Report is the summary as one JSON object.
type Report struct {
	Total         int64            `json:"total"`
	OK            int64            `json:"ok"`
	Failed        int64            `json:"failed"`
	ByKind        map[string]int64 `json:"by_kind"`
	Retries       int64            `json:"retries"`
	Bytes         int64            `json:"bytes"`
	WallSeconds   float64          `json:"wall_seconds"`
	PerSecond     float64          `json:"requests_per_second"`
	LatencyMillis Latency          `json:"latency_ms"`
}

// Latency holds latency quantiles in milliseconds.
type Latency struct {
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// Report returns the figures for a run that took wall.
func (s *Stats) Report(wall time.Duration) Report {
	r := Report{
		Total: s.Total, OK: s.OK, Failed: s.Failed(), Retries: s.Retries, Bytes: s.Bytes,
		ByKind:      map[string]int64{},
		WallSeconds: wall.Seconds(),
	}
	for k, n := range s.ByKind {
		r.ByKind[string(k)] = n
	}
	if wall > 0 {
		r.PerSecond = float64(s.Total) / wall.Seconds()
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	r.LatencyMillis = Latency{
		P50: ms(s.Latency.Quantile(0.50)), P95: ms(s.Latency.Quantile(0.95)),
		P99: ms(s.Latency.Quantile(0.99)), Max: ms(s.Latency.Max()),
	}
	return r
}

// Print writes the summary for a run that took wall as a few lines of text.
func (s *Stats) Print(w io.Writer, wall time.Duration) {
	r := s.Report(wall)
	var b strings.Builder
	fmt.Fprintf(&b, "gather: %d requests in %s (%.1f/s): %d ok, %d failed", r.Total, roundDuration(wall), r.PerSecond, r.OK, r.Failed)
	if len(s.ByKind) > 0 || s.NotOK > 0 {
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(s.ByKind)) {
			parts = append(parts, fmt.Sprintf("%s %d", k, s.ByKind[k]))
		}
		if s.NotOK > 0 {
			parts = append(parts, fmt.Sprintf("not 2xx %d", s.NotOK))
		}
		fmt.Fprintf(&b, " (%s)", strings.Join(parts, ", "))
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "  retries %d, received %s", r.Retries, FormatBytes(r.Bytes))
	if s.Latency.Count() > 0 {
		fmt.Fprintf(&b, ", latency p50 %s p95 %s p99 %s max %s",
			roundDuration(s.Latency.Quantile(0.50)), roundDuration(s.Latency.Quantile(0.95)),
			roundDuration(s.Latency.Quantile(0.99)), roundDuration(s.Latency.Max()))
	}
	b.WriteString("\n")
	io.WriteString(w, b.String())
}

// roundDuration keeps three significant digits or so.
func roundDuration(d time.Duration) time.Duration {
	switch {
	case d >= 10*time.Second:
		return d.Round(100 * time.Millisecond)
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	case d >= 10*time.Millisecond:
		return d.Round(100 * time.Microsecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}

// FormatBytes writes n in B, KiB, MiB or GiB.
func FormatBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
