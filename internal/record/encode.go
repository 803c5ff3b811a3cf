// Package record encodes gather results as JSON Lines records and writes
// them whole, a line at a time.
package record

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gatherdev/gather"
)

// Options change what a record holds.
type Options struct {
	// NoBody leaves the body out.
	NoBody bool
}

// needsFingerprint reports whether a record must carry its request's
// fingerprint because what it shows of the request cannot rebuild it when a
// run is resumed: requests that differ only in their body (the record
// keeps the fingerprint, not the body), and text that is not UTF-8, which
// a JSON string cannot hold byte for byte.
func needsFingerprint(req *gather.Request, inputErr *gather.InputError) bool {
	switch {
	case inputErr != nil:
		return !utf8.ValidString(inputErr.Input)
	case req.ID != "":
		return !utf8.ValidString(req.ID)
	}
	return len(req.Body) > 0 || !utf8.ValidString(req.URL) || !utf8.ValidString(req.Method)
}

// Append appends r's record, a JSON object and a newline, to dst.
func Append(dst []byte, r *gather.Result, o Options) []byte {
	req := &r.Request
	inputErr := inputError(r.Err)
	invalid := inputErr != nil

	e := encoder{b: append(dst, '{')}
	if req.URL != "" {
		e.key("url")
		e.string(req.URL)
		e.key("method")
		if req.Method == "" {
			e.b = append(e.b, `"GET"`...)
		} else {
			e.string(req.Method)
		}
	}
	if req.ID != "" {
		e.key("id")
		e.string(req.ID)
	}
	if needsFingerprint(req, inputErr) {
		e.key("fp")
		fp := req.Fingerprint()
		e.b = append(e.b, '"')
		e.b = hex.AppendEncode(e.b, fp[:])
		e.b = append(e.b, '"')
	}
	e.key("ok")
	e.b = strconv.AppendBool(e.b, r.OK())
	if r.Status != 0 {
		e.key("status")
		e.b = strconv.AppendInt(e.b, int64(r.Status), 10)
	}
	e.key("attempts")
	e.b = strconv.AppendInt(e.b, int64(r.Attempts), 10)
	if !r.Started.IsZero() {
		e.key("started")
		e.b = append(e.b, '"')
		e.b = r.Started.UTC().AppendFormat(e.b, "2006-01-02T15:04:05.000Z07:00")
		e.b = append(e.b, '"')
		e.key("elapsed_ms")
		e.b = AppendMillis(e.b, r.Elapsed)
	}
	if r.Status != 0 {
		e.key("bytes")
		e.b = strconv.AppendInt(e.b, r.Bytes, 10)
		if r.ContentType != "" {
			e.key("content_type")
			e.string(r.ContentType)
		}
		if !o.NoBody && r.Body != nil {
			e.body(r.Body, r.ContentType)
		}
		if r.File != "" {
			e.key("file")
			e.string(r.File)
		}
	}
	e.key("error")
	switch {
	case r.Err == nil:
		e.b = append(e.b, "null"...)
	default:
		msg := r.Err
		if invalid && inputErr.Err != nil {
			msg = inputErr.Err // the record names the line itself
		}
		e.b = append(e.b, `{"kind":`...)
		e.string(string(r.Kind()))
		e.b = append(e.b, `,"message":`...)
		e.string(msg.Error())
		e.b = append(e.b, '}')
	}
	if invalid {
		e.key("input")
		e.string(inputErr.Input)
		if inputErr.Line > 0 {
			e.key("line")
			e.b = strconv.AppendInt(e.b, inputErr.Line, 10)
		}
	}
	return append(e.b, '}', '\n')
}

// encoder appends the members of one JSON object.
type encoder struct {
	b    []byte
	more bool
}

func (e *encoder) key(k string) {
	if e.more {
		e.b = append(e.b, ',')
	}
	e.more = true
	e.b = append(e.b, '"')
	e.b = append(e.b, k...)
	e.b = append(e.b, '"', ':')
}

func (e *encoder) string(s string) { e.b = AppendString(e.b, s) }

// body writes "body" as embedded JSON when the body is JSON, a string when
// it is UTF-8 text, and base64 with "body_encoding" otherwise.
func (e *encoder) body(body []byte, contentType string) {
	e.key("body")
	switch {
	case !utf8.Valid(body):
		e.b = append(e.b, '"')
		e.b = base64.StdEncoding.AppendEncode(e.b, body)
		e.b = append(e.b, '"')
		e.key("body_encoding")
		e.b = append(e.b, `"base64"`...)
	case looksJSON(body, contentType):
		mark := len(e.b)
		if out, ok := compactJSON(e.b, body, maxBodyDepth); ok {
			e.b = out
		} else {
			e.b = AppendString(e.b[:mark], body)
		}
	default:
		e.b = AppendString(e.b, body)
	}
}

// looksJSON reports whether body is meant as JSON: its type says so, or it
// is an object or array. A bare "123" in a text/plain body stays text.
func looksJSON(body []byte, contentType string) bool {
	if strings.Contains(strings.ToLower(contentType), "json") {
		return true
	}
	for _, c := range body {
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		case '{', '[':
			return true
		}
		return false
	}
	return false
}

// maxBodyDepth is how deeply a JSON body may nest to be embedded: readers
// such as encoding/json stop at 10000 levels, and the record is one of them.
const maxBodyDepth = 10000 - 1

// AppendMillis appends d in milliseconds with microsecond precision.
func AppendMillis(dst []byte, d time.Duration) []byte {
	return strconv.AppendFloat(dst, float64(d.Microseconds())/1000, 'f', -1, 64)
}

const hexDigits = "0123456789abcdef"

// AppendString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD, as
// encoding/json does; no HTML escaping.
func AppendString[S ~string | ~[]byte](dst []byte, s S) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(string(s[i:min(i+utf8.UTFMax, len(s))]))
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			// Valid in JSON, but line breaks to some line splitters.
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// inputError returns the *gather.InputError in err's chain, or nil; it
// costs nothing when err is nil.
func inputError(err error) *gather.InputError {
	if err == nil {
		return nil
	}
	var ie *gather.InputError
	if errors.As(err, &ie) {
		return ie
	}
	return nil
}
