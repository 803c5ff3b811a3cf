package gather

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"syscall"
)

// Kind says why a request did not end in a 2xx response. Its values are the
// error kinds of gather's records.
type Kind string

// The error kinds.
const (
	// KindInvalid: the input could not be made into a request; it was not sent.
	KindInvalid Kind = "invalid"
	// KindConnection: DNS, connect, reset, TLS, or the connection closed early.
	KindConnection Kind = "connection"
	// KindTimeout: an attempt ran past Options.Timeout.
	KindTimeout Kind = "timeout"
	// KindHTTP: the final response status is 400 or more.
	KindHTTP Kind = "http"
	// KindTooLarge: the body is larger than Options.MaxBody; the rest was not read.
	KindTooLarge Kind = "too_large"
	// KindProtocol: too many redirects, a redirect to a scheme other than
	// http or https, or a malformed response.
	KindProtocol Kind = "protocol"
	// KindDeadline: the run's deadline passed before the request finished.
	KindDeadline Kind = "deadline"
)

// Error is the error of a Result that did not succeed. Callers find it with
// errors.As and branch on Kind.
type Error struct {
	// Kind classifies the failure.
	Kind Kind
	// Status is the response status for KindHTTP, else 0.
	Status int
	// Err is the underlying cause.
	Err error
}

// Error returns the cause's message; the kind is in Kind.
func (e *Error) Error() string { return e.Err.Error() }

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the Kind of err: the Kind of the first *Error in its chain,
// or "" when there is none.
func KindOf(err error) Kind {
	// The common cases without errors.As, whose target escapes: one
	// allocation per call, and KindOf is called for every result.
	switch e := err.(type) {
	case nil:
		return ""
	case *Error:
		return e.Kind
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return ""
}

// Sentinel causes that gather itself detects.
var (
	// ErrTooManyRedirects is the cause when a request was redirected more
	// than Options.MaxRedirects times.
	ErrTooManyRedirects = errors.New("too many redirects")
	// ErrRedirectScheme is the cause when a redirect leads to a scheme other than http or https.
	ErrRedirectScheme = errors.New("redirect to a scheme other than http or https")
	// ErrBodyTooLarge is the cause when a body is larger than Options.MaxBody.
	ErrBodyTooLarge = errors.New("body too large")
)

// classify gives the kind of a transport or body-read error. The caller has
// already turned an expired attempt context into KindTimeout.
func classify(err error) Kind {
	var (
		netErr     net.Error
		dnsErr     *net.DNSError
		opErr      *net.OpError
		errno      syscall.Errno
		recHdrErr  tls.RecordHeaderError
		alertErr   tls.AlertError
		verifyErr  *tls.CertificateVerificationError
		unknownCA  x509.UnknownAuthorityError
		hostErr    x509.HostnameError
		invalidErr x509.CertificateInvalidError
	)
	switch {
	case errors.Is(err, ErrTooManyRedirects), errors.Is(err, ErrRedirectScheme):
		return KindProtocol
	case errors.Is(err, ErrBodyTooLarge):
		return KindTooLarge
	case errors.Is(err, context.DeadlineExceeded):
		return KindTimeout
	case errors.As(err, &netErr) && netErr.Timeout():
		return KindTimeout
	case errors.As(err, &dnsErr), errors.As(err, &opErr), errors.As(err, &errno),
		errors.As(err, &recHdrErr), errors.As(err, &alertErr), errors.As(err, &verifyErr),
		errors.As(err, &unknownCA), errors.As(err, &hostErr), errors.As(err, &invalidErr),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
		return KindConnection
	default:
		// What is left comes from parsing a response that arrived: malformed.
		return KindProtocol
	}
}

// cause strips the *url.Error wrapper, whose message repeats the method and
// the whole URL that the record already holds.
func cause(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// httpError is the error of a final response with status >= 400.
func httpError(status int, text string) *Error {
	msg := fmt.Sprintf("%d", status)
	if text != "" {
		msg += " " + text
	}
	return &Error{Kind: KindHTTP, Status: status, Err: errors.New(msg)}
}

// SaveError is the error of a result whose ok body could not be saved under
// Options.SaveDir: a failure of the local disk (full, not writable), not of
// the request. It is not retried and has no Kind.
type SaveError struct {
	// Dir is Options.SaveDir.
	Dir string
	// Err is the cause.
	Err error
}

// Error says which directory could not take the body, and why.
func (e *SaveError) Error() string { return fmt.Sprintf("saving the body in %s: %v", e.Dir, e.Err) }

// Unwrap returns the cause.
func (e *SaveError) Unwrap() error { return e.Err }
