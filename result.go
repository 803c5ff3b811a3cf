package gather

import (
	"net/http"
	"time"
)

// Result is the outcome of one Request.
type Result struct {
	// Request is the request as given.
	Request Request
	// Status is the final response status, or 0 when no response came.
	Status int
	// Attempts is how many times the request was sent (0 when invalid).
	Attempts int
	// Started is when the first attempt began.
	Started time.Time
	// Elapsed runs from the first attempt's start to the final outcome,
	// backoff waits included.
	Elapsed time.Duration
	// Header is the final response's header, or nil.
	Header http.Header
	// ContentType is the final response's Content-Type.
	ContentType string
	// Body is the final response's body, decoded from any Content-Encoding;
	// nil with Options.DiscardBody or when the body was not read whole.
	Body []byte
	// File is where the body was saved, with Options.SaveDir: the
	// directory as given joined with the file's name. Body is nil then.
	File string
	// Bytes is how many body bytes were read.
	Bytes int64
	// Err is nil, an *Error whose Kind says why the request failed, or a
	// *SaveError when the body could not be saved under Options.SaveDir.
	Err error

	index int64 // position in the input stream, for ordering
}

// OK reports whether the request ended in a 2xx response.
func (r Result) OK() bool {
	return r.Err == nil && r.Status >= 200 && r.Status <= 299
}

// Kind returns the kind of r.Err, or "" when r.Err is nil.
func (r Result) Kind() Kind { return KindOf(r.Err) }

// Retries returns how many attempts were retries.
func (r Result) Retries() int { return max(r.Attempts-1, 0) }
