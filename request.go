package gather

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// Request is one HTTP request to fetch. Only URL is required.
type Request struct {
	// URL is the absolute http or https URL to fetch. Results report it exactly as given.
	URL string
	// Method is the HTTP method; empty means GET.
	Method string
	// Header holds headers sent with this request, on top of Options.Header.
	Header http.Header
	// Body is sent as the request body when not nil.
	Body []byte
	// ID is the caller's name for the request. When set, it is what makes two
	// requests the same for deduplication, and it is echoed in the Result.
	ID string
	// Line is the request's 1-based line number in its input, or 0. It is
	// echoed in the Result so that invalid input can be found again.
	Line int64
	// Err, when not nil, marks a request that could not be read from its input.
	// It is not sent; its Result has an Error of kind KindInvalid wrapping Err.
	// Readers set it to an *InputError so that the raw input is reported.
	Err error
}

// InputError describes an input line that is not a valid request.
type InputError struct {
	// Line is the 1-based line number in the input, or 0 when unknown.
	Line int64
	// Input is the offending line, cut to MaxInputEcho bytes.
	Input string
	// Err says what is wrong with it.
	Err error
}

// MaxInputEcho is how much of an invalid input line an InputError keeps.
const MaxInputEcho = 1024

// Error names the line and what is wrong with it.
func (e *InputError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %v", e.Line, e.Err)
	}
	return e.Err.Error()
}

// Unwrap returns what is wrong with the line.
func (e *InputError) Unwrap() error { return e.Err }

// NewInputError returns an *InputError for line number n holding input, cut
// to MaxInputEcho bytes on a UTF-8 boundary.
func NewInputError(n int64, input string, err error) *InputError {
	return &InputError{Line: n, Input: CutUTF8(input, MaxInputEcho), Err: err}
}

// CutUTF8 returns s cut to at most max bytes without splitting a UTF-8 sequence.
func CutUTF8(s string, max int) string {
	if len(s) <= max {
		return s
	}
	i := max
	// Step back over continuation bytes (10xxxxxx) so no rune is split.
	for i > 0 && i > max-4 && s[i]&0xC0 == 0x80 {
		i--
	}
	return s[:i]
}

// Validate reports why r cannot be sent, or nil. It checks that the URL is an
// absolute http or https URL with a host and no control characters, that the
// method is a valid token, and that every header name and value is valid.
func (r *Request) Validate() error {
	if _, err := r.parseURL(); err != nil {
		return err
	}
	return r.validateFields()
}

// validateFields checks the method and the headers.
func (r *Request) validateFields() error {
	if r.Method != "" && !validMethod(r.Method) {
		return fmt.Errorf("invalid method %q", r.Method)
	}
	for k, vs := range r.Header {
		if !httpguts.ValidHeaderFieldName(k) {
			return fmt.Errorf("invalid header name %q", k)
		}
		for _, v := range vs {
			if !httpguts.ValidHeaderFieldValue(v) {
				return fmt.Errorf("invalid value for header %q", k)
			}
		}
	}
	return nil
}

var errNoURL = errors.New("no url")

func (r *Request) parseURL() (*url.URL, error) {
	if r.URL == "" {
		return nil, errNoURL
	}
	for i := 0; i < len(r.URL); i++ {
		if c := r.URL[i]; c < 0x20 || c == 0x7f {
			return nil, fmt.Errorf("url has a control character (byte %#02x at %d)", c, i)
		}
	}
	u, err := url.Parse(r.URL)
	if err != nil {
		// url.Error repeats the whole URL; the record already holds it.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("url does not parse: %w", err)
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
	case "":
		return nil, errors.New("url has no scheme (want http:// or https://)")
	default:
		return nil, fmt.Errorf("url scheme %q is not http or https", u.Scheme)
	}
	if u.Host == "" || u.Hostname() == "" {
		return nil, errors.New("url has no host")
	}
	return u, nil
}

func validMethod(m string) bool {
	if m == "" {
		return false
	}
	for i := 0; i < len(m); i++ {
		if !httpguts.IsTokenRune(rune(m[i])) {
			return false
		}
	}
	return true
}

func (r *Request) method() string {
	if r.Method == "" {
		return http.MethodGet
	}
	return r.Method
}
