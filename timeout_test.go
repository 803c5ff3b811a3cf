package gather

import (
	"context"
	"testing"
	"time"
)

func TestAttemptTimer(t *testing.T) {
	parent, cancelParent := context.WithCancel(context.Background())
	defer cancelParent()
	at := newAttemptTimer(parent, 30*time.Millisecond)
	defer at.close()

	// A quick attempt: the context is alive, has a deadline, and is kept.
	ctx := at.start()
	if d, ok := ctx.Deadline(); !ok || time.Until(d) > 30*time.Millisecond || time.Until(d) < 20*time.Millisecond {
		t.Errorf("deadline %v (%v from now), want about 30ms", d, time.Until(d))
	}
	if ctx.Err() != nil {
		t.Fatal("a fresh attempt's context has ended")
	}
	kept := at.ctx
	at.stop()
	if at.ctx != kept {
		t.Error("the context was not kept after an attempt in time")
	}

	// Re-armed: a second attempt that outlives the timeout ends with it,
	// and a context derived from it (as net/http derives one) ends too.
	ctx = at.start()
	child, cancelChild := context.WithCancel(ctx)
	defer cancelChild()
	select {
	case <-child.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the attempt did not end at the timeout")
	}
	if !attemptTimedOut(ctx) || !attemptTimedOut(child) {
		t.Errorf("cause %v, %v; want the timeout", context.Cause(ctx), context.Cause(child))
	}
	at.stop()
	if at.ctx != nil {
		t.Error("a context that ended is kept")
	}

	// The next attempt starts afresh.
	ctx = at.start()
	if ctx.Err() != nil {
		t.Fatal("the attempt after a timeout starts with an ended context")
	}
	at.stop()

	// The parent's end is not a timeout.
	ctx = at.start()
	cancelParent()
	<-ctx.Done()
	if attemptTimedOut(ctx) {
		t.Error("the parent's cancellation counts as a timeout")
	}
	at.stop()
}

func TestAttemptTimerParentDeadline(t *testing.T) {
	parent, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	want, _ := parent.Deadline()
	at := newAttemptTimer(parent, time.Hour)
	defer at.close()
	if d, ok := at.start().Deadline(); !ok || !d.Equal(want) {
		t.Errorf("deadline %v, want the parent's %v", d, want)
	}
	at.stop()
}

func TestAttemptTimerNoTimeout(t *testing.T) {
	at := newAttemptTimer(context.Background(), -1)
	defer at.close()
	ctx := at.start()
	if _, ok := ctx.Deadline(); ok || ctx.Done() != nil {
		t.Error("with no timeout, the attempt's context is not the parent")
	}
	at.stop()
}
