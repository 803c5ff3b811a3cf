package gather

import (
	"context"
	"errors"
	"time"
)

// errAttemptTimeout is the cause of an attempt's context ending at
// Options.Timeout.
var errAttemptTimeout = errors.New("the attempt's timeout passed")

// attemptTimer gives each attempt of one worker a context that ends at
// Options.Timeout. context.WithTimeout costs a context, a timer, a
// registration with the parent and one with net/http's own child context,
// for every attempt; an attemptTimer keeps one cancelable context and one
// timer for as long as no attempt times out, and re-arms the timer. Its
// contexts report their deadline, so that the dialer shares it out over a
// host's addresses as with context.WithTimeout. The zero value is not
// usable; it is owned by one goroutine.
type attemptTimer struct {
	parent  context.Context
	timeout time.Duration
	ctx     context.Context // ends when parent does, or when the timer fires
	cancel  context.CancelCauseFunc
	timer   *time.Timer
}

func newAttemptTimer(parent context.Context, timeout time.Duration) *attemptTimer {
	return &attemptTimer{parent: parent, timeout: timeout}
}

// start returns the context of an attempt that starts now; stop must
// follow when the attempt is over.
func (t *attemptTimer) start() context.Context {
	if t.timeout <= 0 {
		return t.parent
	}
	if t.ctx == nil {
		ctx, cancel := context.WithCancelCause(t.parent)
		t.ctx, t.cancel = ctx, cancel
		t.timer = time.AfterFunc(t.timeout, func() { cancel(errAttemptTimeout) })
	} else {
		t.timer.Reset(t.timeout)
	}
	d := time.Now().Add(t.timeout)
	if pd, ok := t.parent.Deadline(); ok && pd.Before(d) {
		d = pd // as context.WithTimeout reports: the run's deadline may come first
	}
	return &deadlineCtx{Context: t.ctx, deadline: d}
}

// stop ends the attempt that start began. A context that ended, by the
// timer or by its parent, is not used again.
func (t *attemptTimer) stop() {
	if t.ctx == nil {
		return
	}
	if !t.timer.Stop() || t.ctx.Err() != nil {
		t.close()
	}
}

// close releases the context and the timer.
func (t *attemptTimer) close() {
	if t.ctx == nil {
		return
	}
	t.timer.Stop()
	t.cancel(context.Canceled)
	t.ctx, t.cancel, t.timer = nil, nil, nil
}

// attemptTimedOut reports whether ctx, from start, ended at the timeout.
func attemptTimedOut(ctx context.Context) bool {
	return errors.Is(context.Cause(ctx), errAttemptTimeout)
}

// deadlineCtx is a context with a deadline of its own, for Deadline only:
// it ends when its embedded context does. Its Value and Done are those of
// the embedded context, so that a context derived from it hangs on the
// embedded one without a goroutine of its own.
type deadlineCtx struct {
	context.Context
	deadline time.Time
}

func (d *deadlineCtx) Deadline() (time.Time, bool) { return d.deadline, true }
