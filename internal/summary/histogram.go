package summary

import (
	"math/bits"
	"slices"
	"time"
)

// subBits sets the histogram's precision: 2^subBits buckets per power of
// two, so a quantile is within about 1.6% of the true value.
const subBits = 6

const (
	half    = 1 << (subBits - 1)
	buckets = (64-subBits+1)*half + half
)

// Histogram counts durations in logarithmic buckets of microseconds, in
// constant memory, in the manner of HDR histograms. The zero value is empty
// and ready to use.
type Histogram struct {
	counts [buckets]uint64
	n      uint64
	max    time.Duration
}

func bucketOf(v uint64) int {
	if v < 2*half {
		return int(v)
	}
	e := bits.Len64(v) - subBits
	return e*half + int(v>>e)
}

// bucketMid returns a value in the middle of bucket i.
func bucketMid(i int) uint64 {
	if i < 2*half {
		return uint64(i)
	}
	e := i/half - 1
	m := uint64(i - e*half)
	lo := m << e
	return lo + (uint64(1)<<e)/2
}

// Record adds d.
func (h *Histogram) Record(d time.Duration) {
	v := max(d.Microseconds(), 0)
	h.counts[bucketOf(uint64(v))]++
	h.n++
	h.max = max(h.max, d)
}

// Count returns how many durations were recorded.
func (h *Histogram) Count() uint64 { return h.n }

// Max returns the largest duration recorded.
func (h *Histogram) Max() time.Duration { return h.max }

// Quantile returns the q-quantile (0 < q <= 1) of what was recorded, or 0
// when nothing was.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(q*float64(h.n) + 0.5)
	rank = min(max(rank, 1), h.n)
	if rank == h.n {
		return h.max // exact, where a bucket would only be close
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			mid := bucketMid(i)
			if mid >= uint64(h.max/time.Microsecond) {
				return h.max // also keeps the multiplication below from overflowing
			}
			return time.Duration(mid) * time.Microsecond
		}
	}
	return h.max
}

// Buckets yields the non-empty buckets in order: each one's lower and upper
// bound and its count.
func (h *Histogram) Buckets(yield func(lo, hi time.Duration, n uint64) bool) {
	for i, c := range h.counts {
		if c == 0 {
			continue
		}
		lo, hi := bucketBounds(i)
		if !yield(time.Duration(lo)*time.Microsecond, time.Duration(hi)*time.Microsecond, c) {
			return
		}
	}
}

// bucketBounds returns bucket i's range of microseconds, [lo, hi).
func bucketBounds(i int) (lo, hi uint64) {
	if i < 2*half {
		return uint64(i), uint64(i) + 1
	}
	e := i/half - 1
	m := uint64(i - e*half)
	return m << e, (m + 1) << e
}

// SmallHistogram is a Histogram for the many small populations of a report,
// such as one a host: a Histogram takes 15 KiB however few its durations,
// which over a list of a million hosts would be 15 GB. SmallHistogram keeps
// its durations as they are (8 bytes each) while they take less room than a
// Histogram, with exact quantiles, and becomes a Histogram past that. The
// zero value is empty and ready to use.
type SmallHistogram struct {
	few  []time.Duration // nil once many is used
	many *Histogram
	max  time.Duration
}

// smallMax is how many durations a SmallHistogram keeps as they are: as
// many as take the room of a Histogram's buckets.
const smallMax = buckets

// Record adds d.
func (h *SmallHistogram) Record(d time.Duration) {
	d = max(d, 0) // a clock step back, as Histogram takes it
	h.max = max(h.max, d)
	if h.many != nil {
		h.many.Record(d)
		return
	}
	h.few = append(h.few, d)
	if len(h.few) > smallMax {
		h.many = new(Histogram)
		for _, d := range h.few {
			h.many.Record(d)
		}
		h.few = nil
	}
}

// Count returns how many durations were recorded.
func (h *SmallHistogram) Count() uint64 {
	if h.many != nil {
		return h.many.Count()
	}
	return uint64(len(h.few))
}

// Max returns the largest duration recorded.
func (h *SmallHistogram) Max() time.Duration { return h.max }

// Quantile returns the q-quantile (0 < q <= 1) of what was recorded, or 0
// when nothing was, by the rank that Histogram.Quantile uses.
func (h *SmallHistogram) Quantile(q float64) time.Duration {
	if h.many != nil {
		return h.many.Quantile(q)
	}
	n := uint64(len(h.few))
	if n == 0 {
		return 0
	}
	rank := uint64(q*float64(n) + 0.5)
	rank = min(max(rank, 1), n)
	slices.Sort(h.few)
	return h.few[rank-1]
}
