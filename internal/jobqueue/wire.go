package jobqueue

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/gatherdev/gather"
)

// wireRequest is a request as it travels in the requests stream: the input
// line's fields, with the body in base64 so that any bytes survive, and
// for a line that is not a valid request, its number, text and fault.
type wireRequest struct {
	URL     string      `json:"url,omitempty"`
	Method  string      `json:"method,omitempty"`
	Header  http.Header `json:"header,omitempty"`
	Body    *[]byte     `json:"body,omitempty"`
	ID      string      `json:"id,omitempty"`
	Line    int64       `json:"line,omitempty"`
	Invalid *string     `json:"invalid,omitempty"`
	Fault   string      `json:"fault,omitempty"`
}

// encodeRequest returns the message that carries req.
func encodeRequest(req *gather.Request) ([]byte, error) {
	w := wireRequest{URL: req.URL, Method: req.Method, Header: req.Header, ID: req.ID, Line: req.Line}
	if req.Body != nil {
		w.Body = &req.Body
	}
	var ie *gather.InputError
	if errors.As(req.Err, &ie) {
		w = wireRequest{Line: ie.Line, Invalid: &ie.Input, Fault: ie.Err.Error()}
	} else if req.Err != nil {
		return nil, fmt.Errorf("request of line %d: %w", req.Line, req.Err)
	}
	return json.Marshal(&w)
}

// decodeRequest reads a message made by encodeRequest. A request that was
// invalid in its input comes back with the same *gather.InputError, so
// that it has the same fingerprint and yields the same invalid record.
func decodeRequest(data []byte) (gather.Request, error) {
	var w wireRequest
	if err := json.Unmarshal(data, &w); err != nil {
		return gather.Request{}, fmt.Errorf("not a gather request: %w", err)
	}
	if w.Invalid != nil {
		ie := &gather.InputError{Line: w.Line, Input: *w.Invalid, Err: errors.New(w.Fault)}
		return gather.Request{Line: w.Line, Err: ie}, nil
	}
	req := gather.Request{URL: w.URL, Method: w.Method, Header: w.Header, ID: w.ID, Line: w.Line}
	if w.Body != nil {
		req.Body = *w.Body
		if req.Body == nil {
			req.Body = []byte{}
		}
	}
	return req, nil
}
