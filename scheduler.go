package gather

import (
	"container/heap"
	"context"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// scheduler hands queued jobs to free workers, host by host. A host's jobs
// wait in its own queue while the host is at its in-flight cap, paused by a
// Retry-After, or out of rate tokens; the other hosts go on. Among the hosts
// that may send, the one whose next job came first in the input goes first.
// It runs in one goroutine and owns all its state but the rate limiters,
// which workers also wait on before retries.
type scheduler struct {
	perHost  int
	global   *rate.Limiter // nil: no overall rate
	hostRate rate.Limit    // 0: no per-host rate
	maxQueue int           // jobs queued at most: the read-ahead
	window   int64         // Ordered: jobs sent at most this far past emitted; 0 for none
	emitted  *atomic.Int64 // results yielded so far, in order
	deadline <-chan struct{}

	// countDone: workers report each finished job, as the per-host cap
	// needs; without it the scheduler is done once it has handed out the last job.
	countDone bool
	unlimited bool // the deadline passed: every job goes at once, to be recorded
	hosts     map[string]*hostQueue
	spare     []*hostQueue            // forgotten hosts, kept to reuse their queues
	idle      idleHeap                // hosts with nothing to do, to forget when their pause and rate allow
	ready     readyHeap               // hosts that may send now, with jobs
	waiting   map[*hostQueue]struct{} // hosts with jobs that may send at h.wake
	queued    int
	inFlight  int
}

// hostQueue is one host's queued jobs and limits.
type hostQueue struct {
	key         string
	jobs        []job
	head        int
	inFlight    int
	pausedUntil time.Time
	limiter     *rate.Limiter
	wake        time.Time
	heapIndex   int  // in ready, or -1
	idleQueued  bool // in idle
}

func newScheduler(o Options, emitted *atomic.Int64, deadline <-chan struct{}) *scheduler {
	s := &scheduler{
		perHost:   o.PerHost,
		countDone: o.PerHost > 0,
		hostRate:  rate.Limit(o.RatePerHost),
		maxQueue:  o.ReadAhead,
		emitted:   emitted,
		deadline:  deadline,
		hosts:     make(map[string]*hostQueue),
		waiting:   make(map[*hostQueue]struct{}),
	}
	if o.Rate > 0 {
		// A burst of 1 paces evenly from the first request on.
		s.global = rate.NewLimiter(rate.Limit(o.Rate), 1)
	}
	if o.Ordered {
		s.window = int64(o.OrderWindow)
	}
	return s
}

// run dispatches until the input is done and every job has finished, or
// ctx ends. It closes work when it returns.
func (s *scheduler) run(ctx context.Context, input <-chan job, work chan<- job, events <-chan event, kick <-chan struct{}) {
	defer close(work)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		now := time.Now()
		s.wakeDue(now)
		if input == nil && s.queued == 0 && s.inFlight == 0 {
			return
		}
		var out chan<- job
		next, ok := s.peek(now)
		if ok {
			out = work
		}
		in := input
		if s.queued >= s.maxQueue {
			in = nil
		}
		var alarm <-chan time.Time
		if wake, ok := s.nextWake(now); ok {
			timer.Reset(wake.Sub(now))
			alarm = timer.C
		}
		select {
		case out <- next:
			// The send may have waited for a worker: rates count from now.
			now = time.Now()
			s.dispatched(now)
			s.dispatchMore(work, now)
		case j, ok := <-in:
			if !ok {
				input = nil
				continue
			}
			s.add(j, now)
			if !s.addMore(input, now) {
				input = nil
			}
		case ev := <-events:
			s.handle(ev, now)
		case <-kick:
		case <-alarm:
		case <-s.deadline:
			s.deadline = nil
			s.unlimited = true
			for _, h := range s.hosts {
				s.update(h, now)
			}
		case <-ctx.Done():
			return
		}
		timer.Stop()
	}
}

// batch bounds the extra work done without a select, so that events and
// the other channels are not starved.
const batch = 64

// addMore takes what else the input has ready, without waiting. It reports
// false when the input is done.
func (s *scheduler) addMore(input <-chan job, now time.Time) bool {
	for range batch {
		if s.queued >= s.maxQueue {
			return true
		}
		select {
		case j, ok := <-input:
			if !ok {
				return false
			}
			s.add(j, now)
		default:
			return true
		}
	}
	return true
}

// dispatchMore hands out further jobs while a worker or a slot of the work
// channel takes them at once.
func (s *scheduler) dispatchMore(work chan<- job, now time.Time) {
	for range batch {
		next, ok := s.peek(now)
		if !ok {
			return
		}
		select {
		case work <- next:
			s.dispatched(now)
		default:
			return
		}
	}
}

func (s *scheduler) host(key string) *hostQueue {
	h := s.hosts[key]
	if h == nil {
		if n := len(s.spare); n > 0 {
			h, s.spare = s.spare[n-1], s.spare[:n-1]
			*h = hostQueue{key: key, heapIndex: -1, jobs: h.jobs[:0]}
		} else {
			h = &hostQueue{key: key, heapIndex: -1}
		}
		if s.hostRate > 0 && key != "" {
			h.limiter = rate.NewLimiter(s.hostRate, 1)
		}
		s.hosts[key] = h
	}
	return h
}

func (s *scheduler) add(j job, now time.Time) {
	h := s.host(j.host)
	h.jobs = append(h.jobs, j)
	s.queued++
	s.update(h, now)
}

func (s *scheduler) handle(ev event, now time.Time) {
	h := s.host(ev.host)
	if ev.done {
		h.inFlight--
		s.inFlight--
	}
	if ev.pause.After(h.pausedUntil) {
		h.pausedUntil = ev.pause
	}
	s.update(h, now)
}

// peek returns the job to send next, if one may go now.
func (s *scheduler) peek(now time.Time) (job, bool) {
	if len(s.ready) == 0 {
		return job{}, false
	}
	h := s.ready[0]
	j := h.jobs[h.head]
	if s.window > 0 && j.index >= s.emitted.Load()+s.window {
		return job{}, false // the first in input order is beyond the window: all are
	}
	if !s.unlimited && s.global != nil && h.key != "" && s.global.TokensAt(now) < 1 {
		return job{}, false
	}
	return j, true
}

// dispatched takes the job that peek returned off its queue.
func (s *scheduler) dispatched(now time.Time) {
	h := s.ready[0]
	h.jobs[h.head] = job{} // let the request be collected once done
	h.head++
	if h.head == len(h.jobs) {
		h.jobs, h.head = h.jobs[:0], 0
	} else if h.head > 1024 && h.head*2 > len(h.jobs) {
		h.jobs, h.head = append(h.jobs[:0], h.jobs[h.head:]...), 0
	}
	s.queued--
	if s.countDone {
		h.inFlight++
		s.inFlight++
	}
	if !s.unlimited && h.key != "" {
		if s.global != nil {
			s.global.AllowN(now, 1)
		}
		if h.limiter != nil {
			h.limiter.AllowN(now, 1)
		}
	}
	s.update(h, now)
}

// update puts h where its state says: in ready, in waiting, or in neither
// (no jobs, or at its cap until a job finishes). A host with nothing left
// to remember is forgotten.
func (s *scheduler) update(h *hostQueue, now time.Time) {
	if h.heapIndex >= 0 {
		heap.Remove(&s.ready, h.heapIndex)
	}
	delete(s.waiting, h)
	if len(h.jobs) == h.head {
		if h.inFlight > 0 {
			return // a finished job brings it back
		}
		// Forget the host once its pause is over and its rate limiter is
		// full again, so that memory does not grow with the hosts seen.
		forget := h.pausedUntil
		if h.limiter != nil {
			if tokens := h.limiter.TokensAt(now); tokens < 1 {
				forget = later(forget, now.Add(time.Duration((1-tokens)/float64(h.limiter.Limit())*float64(time.Second))))
			}
		}
		switch {
		case forget.After(now):
			if !h.idleQueued {
				h.idleQueued = true
				heap.Push(&s.idle, idleHost{at: forget, h: h})
			}
		case !h.idleQueued:
			delete(s.hosts, h.key)
			if len(s.spare) < 64 && cap(h.jobs) <= 4096 {
				s.spare = append(s.spare, h)
			}
		}
		return
	}
	limited := !s.unlimited && h.key != ""
	if limited && s.perHost > 0 && h.inFlight >= s.perHost {
		return
	}
	if limited {
		wake := h.pausedUntil
		if h.limiter != nil {
			if tokens := h.limiter.TokensAt(now); tokens < 1 {
				wake = later(wake, now.Add(time.Duration((1-tokens)/float64(h.limiter.Limit())*float64(time.Second))))
			}
		}
		if wake.After(now) {
			h.wake = wake
			s.waiting[h] = struct{}{}
			return
		}
	}
	heap.Push(&s.ready, h)
}

// wakeDue moves the waiting hosts whose time has come to ready, and
// forgets the idle ones whose time has come.
func (s *scheduler) wakeDue(now time.Time) {
	for h := range s.waiting {
		if !h.wake.After(now) {
			s.update(h, now)
		}
	}
	for len(s.idle) > 0 && !s.idle[0].at.After(now) {
		h := heap.Pop(&s.idle).(idleHost).h
		h.idleQueued = false
		if s.hosts[h.key] == h {
			s.update(h, now)
		}
	}
}

// nextWake returns when the scheduler must look again without an event: a
// waiting host's time, or the overall rate's next token.
func (s *scheduler) nextWake(now time.Time) (time.Time, bool) {
	var wake time.Time
	for h := range s.waiting {
		if wake.IsZero() || h.wake.Before(wake) {
			wake = h.wake
		}
	}
	if !s.unlimited && s.global != nil && len(s.ready) > 0 {
		if tokens := s.global.TokensAt(now); tokens < 1 {
			t := now.Add(time.Duration((1 - tokens) / float64(s.global.Limit()) * float64(time.Second)))
			if wake.IsZero() || t.Before(wake) {
				wake = t
			}
		}
	}
	return wake, !wake.IsZero()
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// readyHeap orders hosts by the input position of their next job.
type readyHeap []*hostQueue

func (q readyHeap) Len() int { return len(q) }
func (q readyHeap) Less(i, j int) bool {
	return q[i].jobs[q[i].head].index < q[j].jobs[q[j].head].index
}
func (q readyHeap) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].heapIndex, q[j].heapIndex = i, j
}
func (q *readyHeap) Push(x any) {
	h := x.(*hostQueue)
	h.heapIndex = len(*q)
	*q = append(*q, h)
}
func (q *readyHeap) Pop() any {
	old := *q
	h := old[len(old)-1]
	old[len(old)-1] = nil
	h.heapIndex = -1
	*q = old[:len(old)-1]
	return h
}

// idleHeap orders idle hosts by when they may be forgotten.
type idleHost struct {
	at time.Time
	h  *hostQueue
}

type idleHeap []idleHost

func (q idleHeap) Len() int           { return len(q) }
func (q idleHeap) Less(i, j int) bool { return q[i].at.Before(q[j].at) }
func (q idleHeap) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *idleHeap) Push(x any)        { *q = append(*q, x.(idleHost)) }
func (q *idleHeap) Pop() any {
	old := *q
	x := old[len(old)-1]
	old[len(old)-1] = idleHost{}
	*q = old[:len(old)-1]
	return x
}
