package summary

import (
	"math/bits"
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
