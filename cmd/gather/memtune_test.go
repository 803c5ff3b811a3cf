package main

import (
	"math"
	"runtime/debug"
	"testing"
	"time"
)

// The tuner sets a soft limit that covers the set, and lifts it on close.
func TestMemTuner(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "")
	mt := startMemTuner()
	mt.setBytes.Store(64 << 20)
	deadline := time.Now().Add(5 * time.Second)
	limit := debug.SetMemoryLimit(-1)
	for limit == math.MaxInt64 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		limit = debug.SetMemoryLimit(-1)
	}
	mt.close()
	if limit == math.MaxInt64 || limit < 64<<20 {
		t.Errorf("limit while tuning = %d, want one above the 64 MiB set", limit)
	}
	if after := debug.SetMemoryLimit(-1); after != math.MaxInt64 {
		t.Errorf("limit after close = %d, want none", after)
	}
}

// With GOMEMLIMIT set, the user's limit stands.
func TestMemTunerStandsAside(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "1GiB")
	before := debug.SetMemoryLimit(-1)
	mt := startMemTuner()
	time.Sleep(300 * time.Millisecond)
	mt.close()
	if after := debug.SetMemoryLimit(-1); after != before {
		t.Errorf("limit changed from %d to %d with GOMEMLIMIT set", before, after)
	}
}

// While the set is a small part of the heap, the tuner sets no limit: one
// measured before a burst of connections would go stale.
func TestMemTunerLeavesSmallSetsToGOGC(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "")
	mt := startMemTuner()
	mt.setBytes.Store(1 << 10)
	time.Sleep(600 * time.Millisecond) // two ticks at least
	limit := debug.SetMemoryLimit(-1)
	mt.close()
	if limit != math.MaxInt64 {
		t.Errorf("limit with a 1 KiB set = %d, want none", limit)
	}
}
