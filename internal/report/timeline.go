package report

import (
	"maps"
	"slices"
	"time"
)

// maxBuckets bounds the timeline: when a run needs more, buckets are merged
// two by two, so memory stays constant whatever the number of records.
const maxBuckets = 2000

// timeline counts records in time buckets of a width that doubles as needed.
type timeline struct {
	origin  time.Time // bucket 0 starts here; records before it go in negative buckets
	width   time.Duration
	buckets map[int64]*bucket
}

type bucket struct {
	outcomes     [len(outcomeNames)]int64
	n            int64
	sum, max     float64 // latency, ms
	min          float64
	hasLatencies bool
}

// outcomeNames are the stacks of the requests-per-second chart.
var outcomeNames = [...]string{"ok", "http", "timeout", "connection", "other"}

func outcomeIndex(ok bool, kind string) int {
	switch {
	case ok:
		return 0
	case kind == "http":
		return 1
	case kind == "timeout":
		return 2
	case kind == "connection":
		return 3
	}
	return 4
}

func (t *timeline) add(at time.Time, latencyMS float64, outcome int) {
	if t.buckets == nil {
		t.origin, t.width, t.buckets = at, time.Millisecond, map[int64]*bucket{}
	}
	k := t.key(at)
	b := t.buckets[k]
	if b == nil {
		for len(t.buckets) >= maxBuckets {
			t.coarsen()
			k = t.key(at)
		}
		if b = t.buckets[k]; b == nil {
			b = &bucket{}
			t.buckets[k] = b
		}
	}
	b.outcomes[outcome]++
	b.n++
	if latencyMS >= 0 {
		if !b.hasLatencies || latencyMS < b.min {
			b.min = latencyMS
		}
		b.max = max(b.max, latencyMS)
		b.sum += latencyMS
		b.hasLatencies = true
	}
}

func (t *timeline) key(at time.Time) int64 {
	d := at.Sub(t.origin)
	k := int64(d / t.width)
	if d < 0 && d%t.width != 0 {
		k-- // floor, for records that started before the first one read
	}
	return k
}

// coarsen doubles the width, merging buckets two by two.
func (t *timeline) coarsen() {
	t.width *= 2
	merged := make(map[int64]*bucket, len(t.buckets)/2+1)
	for k, b := range t.buckets {
		nk := k >> 1 // floor division by 2, negatives included
		m := merged[nk]
		if m == nil {
			merged[nk] = b
			continue
		}
		for i := range m.outcomes {
			m.outcomes[i] += b.outcomes[i]
		}
		m.n += b.n
		m.sum += b.sum
		m.max = max(m.max, b.max)
		if b.hasLatencies && (!m.hasLatencies || b.min < m.min) {
			m.min = b.min
		}
		m.hasLatencies = m.hasLatencies || b.hasLatencies
	}
	t.buckets = merged
}

// Series is the timeline for the charts: one x per bucket (seconds since
// the epoch, the bucket's start), with latency and requests per second.
type Series struct {
	X          []float64            `json:"x"`
	LatencyMax []*float64           `json:"latency_max_ms"`
	LatencyAvg []*float64           `json:"latency_avg_ms"`
	LatencyMin []*float64           `json:"latency_min_ms"`
	PerSecond  map[string][]float64 `json:"per_second"`
	Width      float64              `json:"bucket_seconds"`
}

func (t *timeline) series() Series {
	s := Series{PerSecond: map[string][]float64{}, Width: t.width.Seconds()}
	for _, k := range slices.Sorted(maps.Keys(t.buckets)) {
		b := t.buckets[k]
		s.X = append(s.X, float64(t.origin.Add(time.Duration(k)*t.width).UnixMilli())/1000)
		if b.hasLatencies {
			avg, mx, mn := b.sum/float64(b.n), b.max, b.min
			s.LatencyAvg, s.LatencyMax, s.LatencyMin = append(s.LatencyAvg, &avg), append(s.LatencyMax, &mx), append(s.LatencyMin, &mn)
		} else {
			s.LatencyAvg, s.LatencyMax, s.LatencyMin = append(s.LatencyAvg, nil), append(s.LatencyMax, nil), append(s.LatencyMin, nil)
		}
		for i, name := range outcomeNames {
			s.PerSecond[name] = append(s.PerSecond[name], float64(b.outcomes[i])/t.width.Seconds())
		}
	}
	return s
}
