package gather

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

// The scheduler forgets a host once it has nothing queued or in flight and
// its pause and rate allow, so memory does not grow with the hosts of a
// long list, rate limits or not.
func TestSchedulerForgetsIdleHosts(t *testing.T) {
	for _, o := range []Options{{}, {RatePerHost: 50}, {PerHost: 2, RatePerHost: 50}} {
		var emitted atomic.Int64
		s := newScheduler(o.withDefaults(), &emitted, nil)
		now := time.Now()
		const hosts = 1000
		for i := range hosts {
			s.add(job{index: int64(i), host: fmt.Sprintf("http://h%d:80", i)}, now)
		}
		for range hosts {
			if _, ok := s.peek(now); !ok {
				t.Fatalf("%+v: nothing to dispatch", o)
			}
			j := s.ready[0].jobs[s.ready[0].head]
			s.dispatched(now)
			if s.countDone {
				s.handle(event{host: j.host, done: true}, now)
			}
		}
		if len(s.hosts) == 0 && o.RatePerHost > 0 {
			t.Errorf("%+v: hosts forgotten while their rate limiters are empty", o)
		}
		later := now.Add(time.Second) // every limiter is full again
		s.wakeDue(later)
		if len(s.hosts) != 0 || len(s.idle) != 0 {
			t.Errorf("%+v: %d hosts and %d idle entries remembered a second later", o, len(s.hosts), len(s.idle))
		}
	}
}
