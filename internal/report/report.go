// Package report reads a run's records and sums them up: outcomes, error
// kinds, statuses, retries, latency quantiles, bytes, the rate over the
// run's span, and a table of the hosts. Memory is constant in the number of
// records but for one small entry per host: about 160 bytes, and 8 more for
// each of its records up to 15 KiB, when its latencies become a histogram.
package report

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/gatherdev/gather"
	"github.com/gatherdev/gather/internal/summary"
)

// record holds the fields of a record that a report reads.
type record struct {
	URL       string    `json:"url"`
	OK        bool      `json:"ok"`
	Status    int       `json:"status"`
	Attempts  int       `json:"attempts"`
	Started   time.Time `json:"started"`
	ElapsedMS float64   `json:"elapsed_ms"`
	Bytes     int64     `json:"bytes"`
	Error     *struct {
		Kind string `json:"kind"`
	} `json:"error"`
}

// Collector sums records up. The zero value is not ready: use New.
type Collector struct {
	total, ok, retries, bytes int64
	byKind                    map[string]int64
	byStatus                  map[int]int64
	latency                   summary.Histogram
	first, last               time.Time
	hosts                     map[string]*hostStats
	timeline                  timeline
}

type hostStats struct {
	requests, ok, tooMany, timeouts int64
	latency                         summary.SmallHistogram // a Histogram would be 15 KiB a host
}

// New returns an empty Collector.
func New() *Collector {
	return &Collector{byKind: map[string]int64{}, byStatus: map[int]int64{}, hosts: map[string]*hostStats{}}
}

// Read adds the records of r, plain or gzip-compressed JSON Lines; name is
// for error messages. A torn last line is left out.
func (c *Collector) Read(r io.Reader, name string) error {
	br := bufio.NewReaderSize(r, 64<<10)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		defer zr.Close()
		br = bufio.NewReaderSize(zr, 64<<10)
	}
	for n := 1; ; n++ {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 && line[len(line)-1] == '\n' {
			var rec record
			if jerr := json.Unmarshal(line, &rec); jerr != nil {
				return fmt.Errorf("%s: line %d is not a gather record: %v", name, n, jerr)
			}
			c.add(&rec)
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
}

// AddResult adds a result as its record would read, for a report made
// during a run.
func (c *Collector) AddResult(res *gather.Result) {
	rec := record{URL: res.Request.URL, OK: res.OK(), Status: res.Status, Attempts: res.Attempts,
		Started: res.Started, ElapsedMS: float64(res.Elapsed.Microseconds()) / 1000, Bytes: res.Bytes}
	if k := res.Kind(); k != "" {
		rec.Error = &struct {
			Kind string `json:"kind"`
		}{Kind: string(k)}
	}
	c.add(&rec)
}

func (c *Collector) add(r *record) {
	c.total++
	if r.OK {
		c.ok++
	}
	if r.Error != nil {
		c.byKind[r.Error.Kind]++
	}
	if r.Status != 0 {
		c.byStatus[r.Status]++
	}
	c.retries += int64(max(r.Attempts-1, 0))
	c.bytes += r.Bytes
	elapsed := time.Duration(r.ElapsedMS * float64(time.Millisecond))
	if r.Attempts > 0 && !r.Started.IsZero() {
		kind := ""
		if r.Error != nil {
			kind = r.Error.Kind
		}
		c.timeline.add(r.Started, r.ElapsedMS, outcomeIndex(r.OK, kind))
		c.latency.Record(elapsed)
		if c.first.IsZero() || r.Started.Before(c.first) {
			c.first = r.Started
		}
		if end := r.Started.Add(elapsed); end.After(c.last) {
			c.last = end
		}
	}
	host := hostOf(r.URL)
	if host == "" {
		return
	}
	h := c.hosts[host]
	if h == nil {
		h = &hostStats{}
		c.hosts[host] = h
	}
	h.requests++
	if r.OK {
		h.ok++
	}
	if r.Status == 429 {
		h.tooMany++
	}
	if r.Error != nil && r.Error.Kind == "timeout" {
		h.timeouts++
	}
	if r.Attempts > 0 {
		h.latency.Record(elapsed)
	}
}

// hostOf returns host:port of a URL, the port filled in from the scheme.
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return ""
	}
	port := u.Port()
	if port == "" {
		port = "80"
		if strings.EqualFold(u.Scheme, "https") {
			port = "443"
		}
	}
	return strings.ToLower(u.Hostname()) + ":" + port
}

// Report is a run's summary, as --json prints it.
type Report struct {
	Total     int64            `json:"total"`
	OK        int64            `json:"ok"`
	Failed    int64            `json:"failed"`
	ByKind    map[string]int64 `json:"by_kind"`
	ByStatus  map[string]int64 `json:"by_status"`
	Retries   int64            `json:"retries"`
	Bytes     int64            `json:"bytes"`
	Started   *time.Time       `json:"started,omitempty"`
	SpanSecs  float64          `json:"span_seconds"`
	PerSecond float64          `json:"requests_per_second"`
	LatencyMS Latency          `json:"latency_ms"`
	Hosts     []Host           `json:"hosts"`
}

// Latency holds quantiles in milliseconds.
type Latency struct {
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// Host is one row of the hosts table.
type Host struct {
	Host     string  `json:"host"`
	Requests int64   `json:"requests"`
	OK       int64   `json:"ok"`
	OKPct    float64 `json:"ok_pct"`
	P95MS    float64 `json:"p95_ms"`
	TooMany  int64   `json:"status_429"`
	Timeouts int64   `json:"timeouts"`
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// Report returns the summary with the top hosts by requests (all when top <= 0).
func (c *Collector) Report(top int) Report {
	r := Report{
		Total: c.total, OK: c.ok, Failed: c.total - c.ok, Retries: c.retries, Bytes: c.bytes,
		ByKind: maps.Clone(c.byKind), ByStatus: map[string]int64{}, Hosts: []Host{},
		LatencyMS: Latency{
			P50: ms(c.latency.Quantile(0.50)), P90: ms(c.latency.Quantile(0.90)),
			P95: ms(c.latency.Quantile(0.95)), P99: ms(c.latency.Quantile(0.99)), Max: ms(c.latency.Max()),
		},
	}
	for s, n := range c.byStatus {
		r.ByStatus[fmt.Sprint(s)] = n
	}
	if !c.first.IsZero() {
		first := c.first.UTC()
		r.Started = &first
		r.SpanSecs = c.last.Sub(c.first).Seconds()
		if r.SpanSecs > 0 {
			r.PerSecond = float64(c.total) / r.SpanSecs
		}
	}
	names := slices.Collect(maps.Keys(c.hosts))
	sort.Slice(names, func(i, j int) bool {
		a, b := c.hosts[names[i]], c.hosts[names[j]]
		if a.requests != b.requests {
			return a.requests > b.requests
		}
		return names[i] < names[j]
	})
	if top > 0 && len(names) > top {
		names = names[:top]
	}
	for _, name := range names {
		h := c.hosts[name]
		r.Hosts = append(r.Hosts, Host{
			Host: name, Requests: h.requests, OK: h.ok, OKPct: 100 * float64(h.ok) / float64(h.requests),
			P95MS: ms(h.latency.Quantile(0.95)), TooMany: h.tooMany, Timeouts: h.timeouts,
		})
	}
	return r
}

// Text writes the report for people.
func (r Report) Text(w io.Writer) {
	fmt.Fprintf(w, "%d requests: %d ok, %d failed", r.Total, r.OK, r.Failed)
	if r.SpanSecs > 0 {
		fmt.Fprintf(w, ", over %.2f s (%.1f/s)", r.SpanSecs, r.PerSecond)
	}
	fmt.Fprintf(w, "\nretries %d, received %s\n", r.Retries, summary.FormatBytes(r.Bytes))
	fmt.Fprintf(w, "latency ms: p50 %.1f  p90 %.1f  p95 %.1f  p99 %.1f  max %.1f\n",
		r.LatencyMS.P50, r.LatencyMS.P90, r.LatencyMS.P95, r.LatencyMS.P99, r.LatencyMS.Max)
	if len(r.ByKind) > 0 {
		fmt.Fprintf(w, "errors:")
		for _, k := range slices.Sorted(maps.Keys(r.ByKind)) {
			fmt.Fprintf(w, " %s %d", k, r.ByKind[k])
		}
		fmt.Fprintln(w)
	}
	if len(r.ByStatus) > 0 {
		fmt.Fprintf(w, "statuses:")
		for _, s := range slices.Sorted(maps.Keys(r.ByStatus)) {
			fmt.Fprintf(w, " %s %d", s, r.ByStatus[s])
		}
		fmt.Fprintln(w)
	}
	if len(r.Hosts) == 0 {
		return
	}
	fmt.Fprintf(w, "\n%-32s %9s %7s %9s %6s %9s\n", "host", "requests", "ok %", "p95 ms", "429s", "timeouts")
	for _, h := range r.Hosts {
		fmt.Fprintf(w, "%-32s %9d %7.1f %9.1f %6d %9d\n", h.Host, h.Requests, h.OKPct, h.P95MS, h.TooMany, h.Timeouts)
	}
}
