package gather

import (
	"context"
	"iter"
	"maps"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// Stream fetches every request of reqs and yields each result as it
// finishes (in input order with Options.Ordered). Repeats of a request are
// skipped unless Options.KeepDuplicates.
//
// One goroutine reads reqs at most Options.ReadAhead requests ahead and
// queues them by host; a scheduler hands them to Options.Concurrency workers
// as the per-host cap, the rate limits and any host paused by Retry-After
// allow, so a slow host does not hold up the others; the caller's loop
// receives the results. Memory does not grow with the input.
//
// Breaking out of the loop, or cancelling ctx, stops the run: requests cut
// short then yield no result. A panic in reqs or in a worker is raised again
// in the caller. No goroutine outlives the loop.
func (c *Client) Stream(ctx context.Context, reqs iter.Seq[Request]) iter.Seq[Result] {
	return func(yield func(Result) bool) { c.stream(ctx, reqs, yield) }
}

// job is a request on its way through a run.
type job struct {
	index   int64  // position among the requests sent, repeats left out
	host    string // scheme://host:port, or "" for a request that is not sent
	req     Request
	limiter *rate.Limiter // the host's rate limiter, or nil
}

// event tells the scheduler what a worker saw.
type event struct {
	host  string
	done  bool      // the request finished: its host slot is free
	pause time.Time // not zero: no new requests to the host until then
}

func (c *Client) stream(ctx context.Context, reqs iter.Seq[Request], yield func(Result) bool) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Attempts run under fetchCtx, which ends at the run's deadline; the
	// scheduler and the plumbing run under ctx, to record what is left.
	fetchCtx := ctx
	var deadline <-chan struct{}
	if c.opts.Deadline > 0 {
		var stop context.CancelFunc
		fetchCtx, stop = context.WithDeadlineCause(ctx, c.now().Add(c.opts.Deadline), errRunDeadline)
		defer stop()
		deadline = fetchCtx.Done()
	}

	n := c.opts.Concurrency
	input := make(chan job, n)
	// Without rate limits, a buffer lets the scheduler run a little ahead of
	// the workers; with them, a job leaves its queue only for a free worker,
	// so that the pacing holds when it reaches the wire.
	workBuffer := n
	if c.opts.Rate > 0 || c.opts.RatePerHost > 0 {
		workBuffer = 0
	}
	work := make(chan job, workBuffer)
	events := make(chan event, n)
	results := make(chan Result, n)
	kick := make(chan struct{}, 1)
	var emitted atomic.Int64
	sched := newScheduler(c.opts, &emitted, deadline)

	var wg sync.WaitGroup
	var panicOnce sync.Once
	var panicked any
	catch := func() {
		if p := recover(); p != nil {
			panicOnce.Do(func() { panicked = p })
			cancel()
		}
	}
	wg.Go(func() {
		defer catch()
		defer close(input)
		c.read(ctx, reqs, input)
	})
	schedDone := make(chan struct{}) // events have no reader after this
	wg.Go(func() {
		defer catch()
		defer close(schedDone)
		sched.run(ctx, input, work, events, kick)
	})
	var workers sync.WaitGroup
	for range n {
		workers.Go(func() {
			defer catch()
			for j := range work {
				c.work(ctx, fetchCtx, j, sched, events, schedDone, results)
			}
		})
	}
	wg.Go(func() {
		workers.Wait()
		close(results)
	})

	if c.opts.Ordered {
		yieldOrdered(results, yield, &emitted, kick)
	} else {
		for res := range results {
			if !yield(res) {
				break
			}
		}
	}
	cancel()
	for range results {
	}
	wg.Wait()
	if panicked != nil {
		panic(panicked)
	}
}

// read feeds the requests of reqs to the scheduler, numbered, repeats left
// out, invalid ones marked.
func (c *Client) read(ctx context.Context, reqs iter.Seq[Request], input chan<- job) {
	var seen FingerprintSet
	var index int64
	for req := range reqs {
		host := prepare(&req)
		if req.Err == nil && !c.opts.KeepDuplicates && !seen.Add(req.Fingerprint()) {
			continue
		}
		select {
		case input <- job{index: index, host: host, req: req}:
			index++
		case <-ctx.Done():
			return
		}
	}
}

// prepare validates req, setting req.Err when it cannot be sent, and returns
// its host key: scheme://host:port, lower case, or "" when invalid.
func prepare(req *Request) string {
	if req.Err != nil {
		return ""
	}
	u, err := req.parseURL()
	if err == nil {
		err = req.Validate()
	}
	if err != nil {
		req.Err = NewInputError(req.Line, req.URL, err)
		return ""
	}
	return hostKey(u)
}

// hostKey returns scheme://host:port of u, the unit of per-host controls.
func hostKey(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	if port == "" {
		port = "80"
		if scheme == "https" {
			port = "443"
		}
	}
	return scheme + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// work fetches one job and reports its end to the scheduler.
func (c *Client) work(ctx, fetchCtx context.Context, j job, sched *scheduler, events chan<- event, schedDone <-chan struct{}, results chan<- Result) {
	send := func(ev event) {
		select {
		case events <- ev:
		case <-schedDone:
		case <-ctx.Done():
		}
	}
	global := sched.global
	var h hooks
	if j.host != "" {
		h.pause = func(until time.Time) { send(event{host: j.host, pause: until}) }
		if global != nil || j.limiter != nil {
			h.beforeRetry = func(ctx context.Context) error {
				if global != nil {
					if err := global.Wait(ctx); err != nil {
						return err
					}
				}
				if j.limiter != nil {
					return j.limiter.Wait(ctx)
				}
				return nil
			}
		}
	}
	res, done := c.fetch(fetchCtx, j.req, h)
	if sched.countDone {
		send(event{host: j.host, done: true})
	}
	if !done {
		return
	}
	res.index = j.index
	select {
	case results <- res:
	case <-ctx.Done():
	}
}

// yieldOrdered yields results in index order. It stores at most the
// scheduler's window of results, and tells the scheduler through emitted
// and kick how far it got. When the run is cut short, what finished beyond
// a gap is yielded too, still in order.
func yieldOrdered(results <-chan Result, yield func(Result) bool, emitted *atomic.Int64, kick chan<- struct{}) {
	held := make(map[int64]Result)
	next := int64(0)
	for res := range results {
		held[res.index] = res
		for {
			r, ok := held[next]
			if !ok {
				break
			}
			delete(held, next)
			if !yield(r) {
				return
			}
			next++
			emitted.Store(next)
			select {
			case kick <- struct{}{}:
			default:
			}
		}
	}
	for _, i := range slices.Sorted(maps.Keys(held)) {
		if !yield(held[i]) {
			return
		}
	}
}
