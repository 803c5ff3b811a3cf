package gather

import (
	"context"
	"errors"
	"iter"
	"maps"
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
// in the caller. No goroutine outlives the loop. Each range over the
// returned sequence is a run of its own, sending the requests again.
func (c *Client) Stream(ctx context.Context, reqs iter.Seq[Request]) iter.Seq[Result] {
	return func(yield func(Result) bool) { c.stream(ctx, reqs, !c.opts.KeepDuplicates, yield) }
}

// job is a request on its way through a run.
type job struct {
	index   int64  // position among the requests sent, repeats left out
	host    string // scheme://host:port, or "" for a request that is not sent
	req     Request
	url     *url.URL      // req.URL parsed, or nil when not sent
	limiter *rate.Limiter // the host's rate limiter, or nil
}

// event tells the scheduler what a worker saw.
type event struct {
	host  string
	done  bool      // the request finished: its host slot is free
	pause time.Time // not zero: no new requests to the host until then
}

func (c *Client) stream(ctx context.Context, reqs iter.Seq[Request], dedup bool, yield func(Result) bool) {
	// sendCtx ends when nothing more may be sent: ctx is cancelled or the
	// loop ends. runCtx ends when requests in flight are abandoned: at
	// once, or Options.Grace after ctx is cancelled.
	sendCtx, stopSending := context.WithCancel(ctx)
	defer stopSending()
	runCtx, abandon := context.WithCancel(context.WithoutCancel(ctx))
	defer abandon()
	// Attempts run under fetchCtx, which also ends at the run's deadline;
	// the scheduler and the plumbing go on, to record what is left.
	fetchCtx := runCtx
	var deadline <-chan struct{}
	if c.opts.Deadline > 0 {
		var stop context.CancelFunc
		fetchCtx, stop = context.WithDeadlineCause(runCtx, c.now().Add(c.opts.Deadline), errRunDeadline)
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
			stopSending()
			abandon()
		}
	}
	finished := make(chan struct{})
	wg.Go(func() {
		select {
		case <-sendCtx.Done():
		case <-finished:
			return
		}
		if c.opts.Grace > 0 && ctx.Err() != nil {
			t := time.NewTimer(c.opts.Grace)
			defer t.Stop()
			select {
			case <-t.C:
			case <-finished:
			case <-runCtx.Done():
			}
		}
		abandon()
	})
	wg.Go(func() {
		defer catch()
		defer close(input)
		c.read(sendCtx, reqs, dedup, input)
	})
	schedDone := make(chan struct{}) // events have no reader after this
	wg.Go(func() {
		defer catch()
		defer close(schedDone)
		sched.run(sendCtx, input, work, events, kick)
	})
	var workers sync.WaitGroup
	w := worker{c: c, runCtx: runCtx, sendCtx: sendCtx, fetchCtx: fetchCtx, sched: sched, events: events, schedDone: schedDone, results: results}
	for range n {
		workers.Go(func() {
			defer catch()
			at := newAttemptTimer(fetchCtx, c.opts.Timeout)
			defer at.close()
			for j := range work {
				w.do(j, at)
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
	stopSending()
	abandon() // a no-op when the loop ran to the end; else the caller wants out now
	for range results {
	}
	close(finished)
	wg.Wait()
	if panicked != nil {
		panic(panicked)
	}
}

// read feeds the requests of reqs to the scheduler, numbered, repeats left
// out, invalid ones marked.
func (c *Client) read(ctx context.Context, reqs iter.Seq[Request], dedup bool, input chan<- job) {
	var seen FingerprintSet
	var index int64
	for req := range reqs {
		host, u := prepare(&req)
		if req.Err == nil && dedup && !seen.Add(req.Fingerprint()) {
			continue
		}
		select {
		case input <- job{index: index, host: host, req: req, url: u}:
			index++
		case <-ctx.Done():
			return
		}
	}
}

// prepare validates req, setting req.Err when it cannot be sent, and returns
// its host key, scheme://host:port in lower case, and its parsed URL for
// the attempts; "" and nil when invalid.
func prepare(req *Request) (string, *url.URL) {
	if req.Err != nil {
		return "", nil
	}
	u, err := req.parseURL() // once: Validate would parse it again
	if err == nil {
		err = req.validateFields()
	}
	if err != nil {
		req.Err = NewInputError(req.Line, req.URL, err)
		return "", nil
	}
	// As http.NewRequest does: "host:" is "host".
	if h := u.Host; strings.HasSuffix(h, ":") && strings.LastIndex(h, ":") > strings.LastIndex(h, "]") {
		u.Host = h[:len(h)-1]
	}
	return hostKey(u), u
}

// HostKey returns scheme://host:port of the request's URL in lower case,
// the unit of the per-host controls and of sharding, or "" when the request
// cannot be sent.
func (r *Request) HostKey() string {
	if r.Err != nil {
		return ""
	}
	u, err := r.parseURL()
	if err != nil {
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
	host := strings.ToLower(u.Hostname())
	if strings.IndexByte(host, ':') >= 0 { // IPv6, as net.JoinHostPort; one allocation, not two
		return scheme + "://[" + host + "]:" + port
	}
	return scheme + "://" + host + ":" + port
}

// worker fetches jobs and reports their end to the scheduler.
type worker struct {
	c                         *Client
	runCtx, sendCtx, fetchCtx context.Context
	sched                     *scheduler
	events                    chan<- event
	schedDone                 <-chan struct{}
	results                   chan<- Result
}

func (w *worker) send(ev event) {
	select {
	case w.events <- ev:
	case <-w.schedDone:
	case <-w.runCtx.Done():
	}
}

// errStopped ends a request's attempts when the run stops sending or ends.
var errStopped = errors.New("stopped")

func (w *worker) do(j job, at *attemptTimer) {
	if w.sendCtx.Err() != nil && j.host != "" {
		// Stopping: a job still in the work channel is not sent. (An
		// invalid one costs nothing and gets its record.)
		if w.sched.countDone {
			w.send(event{host: j.host, done: true})
		}
		return
	}
	h := hooks{stopped: w.sendCtx.Done()}
	if j.host != "" {
		h.pause = func(until time.Time) { w.send(event{host: j.host, pause: until}) }
		h.beforeRetry = func(ctx context.Context) error {
			for _, lim := range []*rate.Limiter{w.sched.global, j.limiter} {
				if lim == nil {
					continue
				}
				// Reserve and sleep rather than Wait: Wait gives up at once
				// when the token comes after ctx's deadline, and the request
				// must run into the deadline to be recorded as such.
				r := lim.Reserve()
				if !sleep(ctx, r.Delay(), w.sendCtx.Done()) {
					r.Cancel()
					return errStopped
				}
			}
			if w.sendCtx.Err() != nil {
				return errStopped // no more attempts once stopping
			}
			return nil
		}
	}
	res, done := w.c.fetch(w.fetchCtx, j.req, j.url, at, h)
	if w.sched.countDone {
		w.send(event{host: j.host, done: true})
	}
	if !done {
		return
	}
	res.index = j.index
	select {
	case w.results <- res:
	case <-w.runCtx.Done():
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
