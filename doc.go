// Package gather fetches large lists of HTTP requests concurrently and
// reliably, and gives back one [Result] per request. It is the engine of the
// gather command, whose records are Results written as JSON lines.
//
// # Requests in, results out
//
// A [Request] is a URL, with an optional method, header, body and ID. A
// [Client], made by [New] from [Options], fetches them in three ways:
//
//   - [Client.Stream] reads an iter.Seq[Request] (a slice, a file read line by
//     line, a database cursor, an endless generator) and yields each Result as
//     it finishes. Memory does not grow with the input: the input is read a
//     bounded way ahead (Options.ReadAhead) of a fixed pool of workers
//     (Options.Concurrency).
//   - [Client.FetchAll] takes a slice and returns one Result per element, in
//     the order of the slice.
//   - [Client.Fetch] fetches one request, with retries, and returns its Result.
//
// For example:
//
//	client := gather.New(gather.Options{Concurrency: 100, Retries: 5})
//	defer client.Close()
//	for res := range client.Stream(ctx, requests) {
//		if !res.OK() {
//			log.Printf("%s: %v (%s)", res.Request.URL, res.Err, res.Kind())
//		}
//	}
//
// A failed request is not a Go error returned to the caller but a Result
// whose Err says why; Stream and FetchAll go on with the other requests.
// A Request whose URL is not an absolute http or https URL, or whose method or
// headers are invalid, is not sent: its Result has kind KindInvalid. A reader of
// input lines marks a line it cannot parse by setting Request.Err.
//
// # Options and their defaults
//
// The zero value of every field of Options is its default, so Options{} is
// ready to use; [Client.Options] returns the options with the defaults
// filled in.
//
//   - Concurrency: requests in flight in one run, [DefaultConcurrency] (50).
//   - Retries: retries after the first attempt, [DefaultRetries] (3); a
//     negative value means none.
//   - CheckRetry: what is retried, [DefaultCheckRetry].
//   - Backoff: the first wait's upper bound, [DefaultBackoff] (250ms); each
//     retry doubles it, up to MaxBackoff, [DefaultMaxBackoff] (30s).
//   - BackoffFunc: the wait itself, [FullJitter] (uniform in [0, bound]).
//   - Timeout: one attempt, connect to last body byte, [DefaultTimeout] (10s);
//     a negative value means none.
//   - MaxBody: the largest body read, [DefaultMaxBody] (10 MiB); negative, no limit.
//   - MaxRedirects: redirects followed, [DefaultMaxRedirects] (10); negative,
//     none.
//   - ReadAhead: requests read ahead of the workers, [DefaultReadAhead] with
//     PerHost or RatePerHost, else 16×Concurrency (at least 1024).
//   - OrderWindow: the reorder window of Ordered, 4×Concurrency.
//   - UserAgent: "gather/" + [Version].
//   - PerHost, Rate, RatePerHost, Deadline, Grace: zero means none.
//   - Ordered, KeepDuplicates, DiscardBody, Insecure: off.
//   - Client: nil means a client of gather's own, tuned for Concurrency;
//     DialContext replaces its dialer.
//
// # Errors
//
// A Result's Err is nil when the final response is 2xx. Otherwise it is an
// [*Error] whose [Kind] says why, found with errors.As or [KindOf] (or
// [Result.Kind]):
//
//	var gerr *gather.Error
//	if errors.As(res.Err, &gerr) && gerr.Kind == gather.KindHTTP {
//		log.Print("status ", gerr.Status)
//	}
//
// The kinds are [KindInvalid] (not sent), [KindConnection] (DNS, refused,
// reset, TLS), [KindTimeout] (an attempt ran past Timeout), [KindHTTP]
// (final status 400 or more; Result.Body keeps the body), [KindTooLarge]
// (body over MaxBody), [KindProtocol] (too many redirects, a redirect to
// another scheme, a malformed response) and [KindDeadline] (the run's Deadline
// passed first). With SaveDir, a body that could not be written to the
// local disk gives a [*SaveError] instead, which has no Kind.
//
// # Retries and Retry-After
//
// [DefaultCheckRetry] retries connection errors, timeouts and the statuses
// 429, 500, 502, 503 and 504; a 404 or any other status is final at once.
// Invalid requests, too-large bodies and SaveErrors are never retried,
// whatever CheckRetry says. [ParseRetryOn] builds a CheckRetry from the
// command's --retry-on spelling ("connection,timeout,5xx"); [DefaultRetryOn]
// is the default's.
//
// Between attempts the client waits BackoffFunc(attempt, Backoff,
// MaxBackoff): by default a random time up to Backoff·2^(attempt-1), capped
// by MaxBackoff. When a response to be retried carries Retry-After (seconds
// or an HTTP date, see [ParseRetryAfter]) that sets the wait instead,
// still capped by MaxBackoff; in Stream and FetchAll it also holds back new
// requests to that host until then. Result.Attempts counts the attempts and
// Result.Elapsed includes the waits.
//
// # Time: Timeout, Deadline, cancellation and Grace
//
//   - Timeout bounds each attempt on its own; an attempt that runs out is
//     KindTimeout and retried like any timeout.
//   - Deadline bounds a whole Stream or FetchAll from its start (Fetch
//     ignores it). When it passes, every request not yet finished, sent or
//     not, gets a Result of KindDeadline with the attempts made so far, and
//     what finished is kept. The input is still read to its end.
//   - Cancelling ctx stops a run: nothing more is read or sent, and
//     requests cut short give no Result at all (in FetchAll, a zero Result
//     holding only its Request; from Fetch, an Err that wraps the cause and
//     has no Kind). Breaking out of a Stream loop stops the run the same way,
//     at once.
//   - Grace, after ctx is cancelled, lets the attempts in flight finish and be
//     yielded for that long. A request that then needs another attempt, or
//     was waiting between attempts, is not tried again and gives no Result.
//     It is how the command stops on Ctrl-C.
//
// Fetch uses none of the options that shape a run (Deadline, Grace, PerHost,
// Rate, RatePerHost, Ordered): its only time bounds are Timeout and ctx.
//
// # Politeness: per-host caps and rates
//
// PerHost caps the requests in flight to one host (scheme, host and port),
// retries and their waits included. Rate caps the attempts sent per second
// overall, retries included, evenly paced; RatePerHost does so per host.
// Requests wait in per-host queues, so a capped, slow or paused host does
// not hold up the others. These limits, like Concurrency, hold within one
// Stream or FetchAll call: two runs at once on one Client each have their
// own, and share only the connection pool.
//
// # Repeats, order and saved bodies
//
// Two requests are the same when their fingerprints ([Request.Fingerprint])
// are equal: the same ID, or, without IDs, the same method, URL and body
// (headers do not count).
// A run sends a repeat once: Stream yields no Result for it, and FetchAll
// gives it a copy of the first one's Result. Options.KeepDuplicates sends
// every request. [FingerprintSet] is the compact set that a run keeps, for
// callers that deduplicate or resume on their own.
//
// Stream yields results in completion order. With Ordered it yields them in
// input order, sending requests at most OrderWindow ahead of the first one
// not yet yielded: a slow request then holds up the output, not the work
// inside the window. FetchAll is always in input order.
//
// With SaveDir, each 2xx body is streamed to its own file in that directory
// instead of memory: a temporary file, synced, then linked to a name made from
// the URL that never leaves the directory and never replaces another file.
// Result.File names it and Result.Body is nil; the bodies of other statuses
// are counted, not kept. DiscardBody counts bodies without keeping them.
//
// DenyPrivate refuses loopback, private, link-local and cloud metadata
// addresses after DNS, for lists from untrusted hands; Request.HostKey is
// the unit of the per-host controls and of sharding.
//
// # Concurrent use
//
// A Client is safe for concurrent use: several goroutines may run Fetch,
// FetchAll and Stream on it at once, sharing its connection pool. Close
// closes its idle connections (not a caller's Options.HTTPClient); call it when
// done with the Client.
//
// The iter.Seq that Stream returns is meant to be ranged over once: each
// range is a new run that ranges over the input again. The loop body runs
// in the caller's goroutine, one Result at a time; the input Seq runs in a
// goroutine of its own. Stream returns only once every goroutine it started
// has ended, and a panic in the input is raised again in the caller.
//
// Package gathertest provides a loopback test server with fault-injecting
// endpoints (/delay, /status, /flaky, /reset, /ratelimit, /hang, ...) to try
// all of this against, as httptest does for net/http.
package gather

// Version is gather's version, sent in the default User-Agent as gather/Version.
const Version = "0.1.0"
