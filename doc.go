// Package gather fetches large lists of HTTP requests concurrently and
// reliably: a fixed pool of workers, retries with full-jitter exponential
// backoff, Retry-After honoured, per-attempt timeouts, bounded bodies, and
// one Result per request with a typed error kind.
//
// Stream takes requests as an iter.Seq and yields results as they finish;
// FetchAll takes a slice and returns results in input order.
package gather

// Version is gather's version, sent in the default User-Agent as gather/Version.
const Version = "0.1.0"
