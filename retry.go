package gather

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// CheckRetry reports whether an attempt's outcome is worth another attempt.
// resp is the attempt's response (its body already read and closed), or nil
// when none came; err is nil or the attempt's *Error. It is not consulted
// for outcomes that are never retried (invalid requests, too-large bodies)
// nor once the retries are used up.
type CheckRetry func(ctx context.Context, resp *http.Response, err error) bool

// DefaultCheckRetry retries connection errors, timeouts, and the statuses
// 429, 500, 502, 503 and 504, whatever the method: a POST is sent again too;
// a CheckRetry of your own can be stricter.
func DefaultCheckRetry(ctx context.Context, resp *http.Response, err error) bool {
	switch KindOf(err) {
	case KindConnection, KindTimeout:
		return true
	}
	if resp == nil {
		return false
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// DefaultRetryOn is the ParseRetryOn spelling of DefaultCheckRetry.
const DefaultRetryOn = "connection,timeout,429,500,502,503,504"

// ParseRetryOn returns a CheckRetry that retries what spec lists, a comma-
// separated list of error kinds (connection, timeout, protocol), statuses
// (503), status ranges (500-599) and status classes (5xx). An empty spec or
// "none" retries nothing.
func ParseRetryOn(spec string) (CheckRetry, error) {
	var kinds []Kind
	type span struct{ lo, hi int }
	var spans []span
	spec = strings.TrimSpace(spec)
	if spec != "" && spec != "none" {
		for _, f := range strings.Split(spec, ",") {
			f = strings.ToLower(strings.TrimSpace(f))
			switch {
			case f == string(KindConnection) || f == string(KindTimeout) || f == string(KindProtocol):
				kinds = append(kinds, Kind(f))
			case len(f) == 3 && f[0] >= '1' && f[0] <= '5' && f[1:] == "xx":
				lo := int(f[0]-'0') * 100
				spans = append(spans, span{lo, lo + 99})
			default:
				lo, hi, isRange := strings.Cut(f, "-")
				a, err1 := parseStatus(lo)
				b, err2 := a, error(nil)
				if isRange {
					b, err2 = parseStatus(hi)
				}
				if err1 != nil || err2 != nil || b < a {
					return nil, fmt.Errorf("%q is not an error kind (connection, timeout, protocol), a status (503), a range (500-504) or a class (5xx)", f)
				}
				spans = append(spans, span{a, b})
			}
		}
	}
	return func(ctx context.Context, resp *http.Response, err error) bool {
		k := KindOf(err)
		for _, want := range kinds {
			if k == want {
				return true
			}
		}
		if resp == nil {
			return false
		}
		for _, s := range spans {
			if resp.StatusCode >= s.lo && resp.StatusCode <= s.hi {
				return true
			}
		}
		return false
	}, nil
}

func parseStatus(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 100 || n > 599 {
		return 0, fmt.Errorf("bad status %q", s)
	}
	return n, nil
}

// BackoffFunc returns how long to wait before retry number attempt (1 for the
// first retry), given the first wait's bound base and the cap max.
type BackoffFunc func(attempt int, base, max time.Duration) time.Duration

// FullJitter is exponential backoff with full jitter: a uniformly random wait
// in [0, min(max, base·2^(attempt-1))].
func FullJitter(attempt int, base, max time.Duration) time.Duration {
	return time.Duration(rand.Float64() * float64(ExponentialCap(attempt, base, max)))
}

// ExponentialCap returns min(max, base·2^(attempt-1)) without overflowing.
func ExponentialCap(attempt int, base, max time.Duration) time.Duration {
	d := base
	for i := 1; i < attempt && d < max; i++ {
		d *= 2
	}
	return min(d, max)
}

// ParseRetryAfter reads a Retry-After header value, in seconds or as an HTTP
// date relative to now. ok is false for a missing, negative or garbage value;
// a date in the past gives 0.
func ParseRetryAfter(value string, now time.Time) (wait time.Duration, ok bool) {
	value = strings.TrimSpace(value)
	if value == "" {
		return 0, false
	}
	if value[0] >= '0' && value[0] <= '9' {
		secs, err := strconv.ParseInt(value, 10, 64)
		if err != nil {
			return 0, false
		}
		if secs > int64(365*24*time.Hour/time.Second) { // would overflow; any cap applies anyway
			secs = int64(365 * 24 * time.Hour / time.Second)
		}
		return time.Duration(secs) * time.Second, true
	}
	t, err := http.ParseTime(value)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true
}
