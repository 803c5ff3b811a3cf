package jobqueue

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"unicode/utf8"

	"github.com/gatherdev/gather"
)

// wireRequest is a request as it travels in the requests stream: the input
// line's fields, and for a line that is not a valid request, its number,
// text and fault. JSON strings cannot carry bytes that are not UTF-8 (a URL
// in a legacy encoding, a header value with obs-text), so such a field
// travels in base64 under a name ending in 64 instead: every request
// arrives byte for byte, with the fingerprint it was queued under.
type wireRequest struct {
	URL      string              `json:"url,omitempty"`
	URL64    []byte              `json:"url64,omitempty"`
	Method   string              `json:"method,omitempty"`
	Header   map[string][]string `json:"header,omitempty"`
	Header64 map[string][][]byte `json:"header64,omitempty"`
	Body     *[]byte             `json:"body,omitempty"`
	ID       string              `json:"id,omitempty"`
	ID64     []byte              `json:"id64,omitempty"`
	Line     int64               `json:"line,omitempty"`
	Invalid  *string             `json:"invalid,omitempty"`
	Invalid6 []byte              `json:"invalid64,omitempty"`
	Fault    string              `json:"fault,omitempty"`
}

// encodeRequest returns the message that carries req.
func encodeRequest(req *gather.Request) ([]byte, error) {
	var w wireRequest
	var ie *gather.InputError
	switch {
	case errors.As(req.Err, &ie):
		w.Line, w.Fault = ie.Line, ie.Err.Error()
		if utf8.ValidString(ie.Input) {
			w.Invalid = &ie.Input
		} else {
			w.Invalid6 = []byte(ie.Input)
		}
		return json.Marshal(&w)
	case req.Err != nil:
		return nil, fmt.Errorf("request of line %d: %w", req.Line, req.Err)
	}
	w.URL, w.URL64 = splitUTF8(req.URL)
	w.ID, w.ID64 = splitUTF8(req.ID)
	w.Method, w.Line = req.Method, req.Line
	if req.Body != nil {
		w.Body = &req.Body
	}
	for name, values := range req.Header {
		if !utf8.ValidString(name) {
			return nil, fmt.Errorf("request of line %d: a header name is not text", req.Line)
		}
		text := true
		for _, v := range values {
			text = text && utf8.ValidString(v)
		}
		if text {
			if w.Header == nil {
				w.Header = make(map[string][]string)
			}
			w.Header[name] = values
			continue
		}
		if w.Header64 == nil {
			w.Header64 = make(map[string][][]byte)
		}
		for _, v := range values {
			w.Header64[name] = append(w.Header64[name], []byte(v))
		}
	}
	if !utf8.ValidString(req.Method) {
		return nil, fmt.Errorf("request of line %d: its method is not text", req.Line)
	}
	return json.Marshal(&w)
}

// splitUTF8 returns s as a JSON string when it is valid UTF-8, else as bytes.
func splitUTF8(s string) (string, []byte) {
	if utf8.ValidString(s) {
		return s, nil
	}
	return "", []byte(s)
}

// decodeRequest reads a message made by encodeRequest. A request that was
// invalid in its input comes back with the same *gather.InputError, so
// that it has the same fingerprint and yields the same invalid record.
func decodeRequest(data []byte) (gather.Request, error) {
	var w wireRequest
	if err := json.Unmarshal(data, &w); err != nil {
		return gather.Request{}, fmt.Errorf("not a gather request: %w", err)
	}
	if w.Invalid != nil || w.Invalid6 != nil {
		input := string(w.Invalid6)
		if w.Invalid != nil {
			input = *w.Invalid
		}
		ie := &gather.InputError{Line: w.Line, Input: input, Err: errors.New(w.Fault)}
		return gather.Request{Line: w.Line, Err: ie}, nil
	}
	req := gather.Request{URL: w.URL, Method: w.Method, ID: w.ID, Line: w.Line}
	if w.URL64 != nil {
		req.URL = string(w.URL64)
	}
	if w.ID64 != nil {
		req.ID = string(w.ID64)
	}
	if len(w.Header)+len(w.Header64) > 0 {
		req.Header = make(http.Header, len(w.Header)+len(w.Header64))
		for name, values := range w.Header {
			req.Header[name] = values
		}
		for name, values := range w.Header64 {
			for _, v := range values {
				req.Header[name] = append(req.Header[name], string(v))
			}
		}
	}
	if w.Body != nil {
		req.Body = *w.Body
		if req.Body == nil {
			req.Body = []byte{}
		}
	}
	return req, nil
}
