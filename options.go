package gather

import (
	"context"
	"net"
	"net/http"
	"time"
)

// Defaults for the zero values of Options.
const (
	DefaultConcurrency  = 50
	DefaultRetries      = 3
	DefaultBackoff      = 250 * time.Millisecond
	DefaultMaxBackoff   = 30 * time.Second
	DefaultTimeout      = 10 * time.Second
	DefaultMaxBody      = 10 << 20
	DefaultMaxRedirects = 10
	DefaultReadAhead    = 10000
)

// Options control a Client. The zero value of every field is its documented
// default, so Options{} is ready to use.
type Options struct {
	// Concurrency is how many requests are in flight at once. Zero means
	// DefaultConcurrency (50).
	Concurrency int
	// Retries is how many times a failed attempt is retried. Zero means
	// DefaultRetries (3); a negative value means no retries.
	Retries int
	// CheckRetry decides which outcomes are retried. Nil means
	// DefaultCheckRetry. Invalid requests and too-large bodies are never retried.
	CheckRetry CheckRetry
	// Backoff is the first backoff wait's upper bound. Zero means DefaultBackoff (250ms).
	Backoff time.Duration
	// MaxBackoff caps every wait, a Retry-After included. Zero means DefaultMaxBackoff (30s).
	MaxBackoff time.Duration
	// BackoffFunc computes a wait between attempts when the response gave no
	// Retry-After. Nil means FullJitter.
	BackoffFunc BackoffFunc
	// Timeout bounds one attempt, from connecting to the last body byte. Zero
	// means DefaultTimeout (10s); a negative value means no timeout.
	Timeout time.Duration
	// MaxBody is the largest body read; a larger one ends the request with
	// KindTooLarge. Zero means DefaultMaxBody (10 MiB); negative, no limit.
	MaxBody int64
	// MaxRedirects is how many redirects are followed. Zero means
	// DefaultMaxRedirects (10); negative, none (any redirect is KindProtocol).
	// It does not apply to a caller's Client.
	MaxRedirects int
	// Insecure skips TLS certificate verification. It does not apply to a caller's Client.
	Insecure bool
	// Header is sent with every request; a Request's own Header wins.
	Header http.Header
	// UserAgent is sent unless a header sets one. Empty means "gather/" + Version.
	UserAgent string
	// DiscardBody reads and counts bodies without keeping them (Result.Body is nil).
	DiscardBody bool
	// SaveDir, when set, streams each 2xx body to its own file in this
	// directory (created if missing) instead of keeping it in memory: a
	// temporary file, synced, then linked to a name made from the URL that
	// never leaves the directory and never replaces another file. Other
	// bodies are counted, not kept.
	SaveDir string
	// Grace is how long requests in flight may still finish once ctx is
	// cancelled: nothing new is sent, and what finishes in time is
	// yielded. Zero abandons them at once. It is how the command stops on
	// Ctrl-C.
	Grace time.Duration
	// KeepDuplicates sends repeats of a request instead of skipping them
	// (see Request.Fingerprint).
	KeepDuplicates bool
	// PerHost caps the requests in flight to one host (scheme, host and
	// port), retries and their waits included. Zero means no cap. A capped
	// or slow host does not hold up the others.
	PerHost int
	// Rate caps the attempts sent per second, over all hosts, retries
	// included, paced evenly from the start. Zero means no cap.
	Rate float64
	// RatePerHost caps the attempts sent per second to one host. Zero means no cap.
	RatePerHost float64
	// Deadline bounds a whole Stream or FetchAll, from its start. At the
	// deadline every request not finished gets a result of KindDeadline,
	// with the attempts made so far. Zero means no deadline.
	Deadline time.Duration
	// Ordered makes Stream yield results in input order. Requests are sent
	// at most OrderWindow ahead of the first one not yet yielded, so memory
	// stays bounded and a slow request holds up the output, not the work
	// beyond the window.
	Ordered bool
	// OrderWindow is the reorder window of Ordered. Zero means 4×Concurrency.
	OrderWindow int
	// ReadAhead is how many requests are read from the input ahead of the
	// workers and queued by host, so that capped or paused hosts do not block
	// the rest. Zero means DefaultReadAhead with PerHost or RatePerHost, and
	// 16×Concurrency (at least 1024) without them.
	ReadAhead int
	// HTTPClient sends the requests. Nil means a client tuned for
	// Concurrency with keep-alive, HTTP/2, proxies from the environment, and
	// the options above; with a caller's client, MaxRedirects, Insecure and
	// DialContext do not apply.
	HTTPClient *http.Client
	// DenyPrivate refuses connections to loopback, private, link-local
	// (cloud metadata) and other internal addresses, checked after DNS, for
	// lists from untrusted hands (SSRF). Such requests end with
	// KindConnection and a *DeniedAddressError. It does not apply to a
	// caller's HTTPClient; through a proxy, it checks the proxy's address.
	DenyPrivate bool
	// Resolver resolves host names for DenyPrivate. Nil means net.DefaultResolver.
	Resolver Resolver
	// DialContext dials connections for the default client. Nil means a
	// net.Dialer. It can resolve names its own way, refuse addresses, or
	// stand in for the network in tests.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
}

// withDefaults returns o with every zero value replaced by its default.
func (o Options) withDefaults() Options {
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	switch {
	case o.Retries == 0:
		o.Retries = DefaultRetries
	case o.Retries < 0:
		o.Retries = 0
	}
	if o.CheckRetry == nil {
		o.CheckRetry = DefaultCheckRetry
	}
	if o.Backoff <= 0 {
		o.Backoff = DefaultBackoff
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = DefaultMaxBackoff
	}
	if o.BackoffFunc == nil {
		o.BackoffFunc = FullJitter
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxBody == 0 {
		o.MaxBody = DefaultMaxBody
	}
	switch {
	case o.MaxRedirects == 0:
		o.MaxRedirects = DefaultMaxRedirects
	case o.MaxRedirects < 0:
		o.MaxRedirects = 0
	}
	if o.OrderWindow <= 0 {
		o.OrderWindow = 4 * o.Concurrency
	}
	if o.ReadAhead <= 0 {
		o.ReadAhead = DefaultReadAhead
		if o.PerHost <= 0 && o.RatePerHost <= 0 {
			o.ReadAhead = max(16*o.Concurrency, 1024)
		}
	}
	o.PerHost = max(o.PerHost, 0)
	o.Rate = max(o.Rate, 0)
	o.RatePerHost = max(o.RatePerHost, 0)
	if o.UserAgent == "" {
		o.UserAgent = "gather/" + Version
	}
	return o
}
