package main

import (
	"math"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
	"time"
)

// memTuner keeps the garbage collector from doubling the dedup set.
//
// Between collections the heap grows to twice the live heap (GOGC=100). On a
// long run most of the live heap is the set of request fingerprints, which
// never becomes garbage and holds no pointers, so doubling it only wastes
// memory: at a million URLs, 10 MB more. The tuner sets a soft memory limit
// of the runtime's own overhead, the set, and twice the rest of the live
// heap, measured four times a second: what GOGC=100 would give if the set
// were not on the heap. It never lowers the limit below 2× the rest, so a
// run with large bodies in flight is not starved; it sets no limit while
// the set is under half the rest, when doubling it costs little; and it
// stands aside when the user sets GOMEMLIMIT.
type memTuner struct {
	setBytes atomic.Int64 // the fingerprint set's size, from the filter
	stop     chan struct{}
	done     chan struct{}
}

var memSamples = []string{
	"/gc/heap/live:bytes",
	"/memory/classes/total:bytes",
	"/memory/classes/heap/objects:bytes",
	"/memory/classes/heap/unused:bytes",
	"/memory/classes/heap/free:bytes",
	"/memory/classes/heap/released:bytes",
}

func startMemTuner() *memTuner {
	t := &memTuner{stop: make(chan struct{}), done: make(chan struct{})}
	if os.Getenv("GOMEMLIMIT") != "" {
		close(t.done)
		return t
	}
	go func() {
		defer close(t.done)
		defer debug.SetMemoryLimit(math.MaxInt64)
		samples := make([]metrics.Sample, len(memSamples))
		for i, name := range memSamples {
			samples[i].Name = name
		}
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
			case <-t.stop:
				return
			}
			metrics.Read(samples)
			var v [6]int64
			for i, s := range samples {
				if s.Value.Kind() != metrics.KindUint64 {
					return // a runtime without these metrics: leave the GC alone
				}
				v[i] = int64(s.Value.Uint64())
			}
			live, total := v[0], v[1]
			overhead := total - v[2] - v[3] - v[4] - v[5] // stacks, GC metadata, and the like
			set := t.setBytes.Load()
			rest := max(live-set, 4<<20)
			if 2*set < rest {
				// The set is not what the heap is made of (a short list, or
				// a burst of connections): GOGC alone. A limit from a live
				// heap measured before a burst would go stale and make the
				// collector run every few milliseconds.
				debug.SetMemoryLimit(math.MaxInt64)
				continue
			}
			debug.SetMemoryLimit(overhead + set + 2*rest)
		}
	}()
	return t
}

// close stops the tuner and lifts the limit.
func (t *memTuner) close() {
	select {
	case <-t.stop:
	default:
		close(t.stop)
	}
	<-t.done
}
