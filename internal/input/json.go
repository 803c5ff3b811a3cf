package input

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/gatherdev/gather"
)

// A JSON line is first checked with json.Valid, which does not allocate; then
// the object, known to be valid, is walked by hand. This keeps member names
// exact (encoding/json matches struct fields case-insensitively), finds
// duplicate and unknown members in input order, and costs far fewer
// allocations than json.Decoder's Token API. Syntax errors are described by
// encoding/json itself.

// Bits for the members a JSON request has.
const (
	hasURL = 1 << iota
	hasMethod
	hasHeaders
	hasBody
	hasID
)

// parseJSON parses a JSON request line; t is trimmed and starts with '{'.
func parseJSON(t []byte, n int64, d Defaults) (gather.Request, error) {
	if !json.Valid(t) {
		return gather.Request{}, syntaxError(t)
	}
	req := gather.Request{Line: n, Method: d.Method, Body: d.Body}
	seen := 0
	hasURLValue := false
	err := eachMember(t, func(rawKey, raw []byte) error {
		var bit int
		switch key := keyBytes(rawKey); string(key) {
		case "url":
			bit = hasURL
		case "method":
			bit = hasMethod
		case "headers":
			bit = hasHeaders
		case "body":
			bit = hasBody
		case "id":
			bit = hasID
		default:
			return fmt.Errorf("unknown field %q", unquote(rawKey))
		}
		if seen&bit != 0 {
			return fmt.Errorf("duplicate field %q", unquote(rawKey))
		}
		seen |= bit
		k := kind(raw)
		if k == "null" {
			return nil // as if absent
		}
		switch bit {
		case hasURL:
			if k != "string" {
				return fmt.Errorf(`"url" must be a string, not %s`, article(k))
			}
			req.URL = strings.Trim(unquote(raw), " \t\r")
			if req.URL == "" {
				return errors.New(`json request has an empty "url"`)
			}
			hasURLValue = true
		case hasMethod:
			if k != "string" {
				return fmt.Errorf(`"method" must be a string, not %s`, article(k))
			}
			req.Method = unquote(raw)
			if req.Method == "" {
				return errors.New(`json request has an empty "method"`)
			}
		case hasHeaders:
			h, err := parseHeaders(raw)
			if err != nil {
				return err
			}
			req.Header = h
		case hasBody:
			if k == "string" {
				req.Body = []byte(unquote(raw))
			} else {
				req.Body = compact(raw)
			}
		case hasID:
			switch k {
			case "string":
				req.ID = unquote(raw)
			case "number":
				req.ID = string(raw)
			default:
				return fmt.Errorf(`"id" must be a string or a number, not %s`, article(k))
			}
		}
		return nil
	})
	// On an error, req keeps what was read (its ID above all) for the record.
	if err != nil {
		return req, err
	}
	if !hasURLValue {
		return req, errors.New(`json request has no "url"`)
	}
	if err := req.Validate(); err != nil {
		return req, err
	}
	return req, nil
}

// parseHeaders parses the headers member: an object whose values are
// strings or arrays of strings.
func parseHeaders(raw []byte) (http.Header, error) {
	if k := kind(raw); k != "object" {
		return nil, fmt.Errorf(`"headers" must be an object, not %s`, article(k))
	}
	h := make(http.Header)
	err := eachMember(raw, func(rawName, raw []byte) error {
		name := unquote(rawName)
		bad := func(k string) error {
			return fmt.Errorf("header %q must be a string or an array of strings, not %s", name, article(k))
		}
		switch k := kind(raw); k {
		case "string":
			h.Add(name, unquote(raw))
			return nil
		case "array":
			return eachElement(raw, func(v []byte) error {
				if k := kind(v); k != "string" {
					return bad(k)
				}
				h.Add(name, unquote(v))
				return nil
			})
		default:
			return bad(k)
		}
	})
	if err != nil {
		return nil, err
	}
	return h, nil
}

// syntaxError describes why t, which starts with '{', is not valid JSON.
func syntaxError(t []byte) error {
	var raw json.RawMessage
	err := json.NewDecoder(bytes.NewReader(t)).Decode(&raw)
	if err == nil {
		return errors.New("malformed JSON: trailing data after the object")
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("malformed JSON: unexpected end of line")
	}
	return fmt.Errorf("malformed JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
}

// The functions below work on valid JSON only.

func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(b []byte, i int) int {
	for i < len(b) && isJSONSpace(b[i]) {
		i++
	}
	return i
}

// stringEnd returns the index just past the string starting at b[i].
func stringEnd(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(b)
}

// valueEnd returns the index just past the value starting at b[i].
func valueEnd(b []byte, i int) int {
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				i = stringEnd(b, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
		return len(b)
	}
	// A number, true, false or null.
	for i < len(b) && !isJSONSpace(b[i]) && b[i] != ',' && b[i] != '}' && b[i] != ']' {
		i++
	}
	return i
}

// eachMember calls fn with each member of the object starting at obj[0], in
// order, until fn returns an error.
func eachMember(obj []byte, fn func(key, value []byte) error) error {
	i := skipSpace(obj, 1)
	if obj[i] == '}' {
		return nil
	}
	for {
		k := stringEnd(obj, i)
		key := obj[i:k]
		i = skipSpace(obj, skipSpace(obj, k)+1) // past ':'
		v := valueEnd(obj, i)
		if err := fn(key, obj[i:v]); err != nil {
			return err
		}
		i = skipSpace(obj, v)
		if obj[i] == '}' {
			return nil
		}
		i = skipSpace(obj, i+1) // past ','
	}
}

// eachElement calls fn with each element of the array starting at arr[0],
// in order, until fn returns an error.
func eachElement(arr []byte, fn func(value []byte) error) error {
	i := skipSpace(arr, 1)
	if arr[i] == ']' {
		return nil
	}
	for {
		v := valueEnd(arr, i)
		if err := fn(arr[i:v]); err != nil {
			return err
		}
		i = skipSpace(arr, v)
		if arr[i] == ']' {
			return nil
		}
		i = skipSpace(arr, i+1) // past ','
	}
}

// plain reports whether the JSON string s (with its quotes) decodes to its
// own bytes: no escapes and valid UTF-8.
func plain(s []byte) bool {
	s = s[1 : len(s)-1]
	return bytes.IndexByte(s, '\\') < 0 && utf8.Valid(s)
}

// keyBytes returns the decoded bytes of the member name key, without
// allocating when it has no escapes.
func keyBytes(key []byte) []byte {
	if plain(key) {
		return key[1 : len(key)-1]
	}
	return []byte(unquote(key))
}

// unquote decodes the JSON string s (with its quotes).
func unquote(s []byte) string {
	if plain(s) {
		return string(s[1 : len(s)-1])
	}
	var v string
	if err := json.Unmarshal(s, &v); err != nil {
		panic("input: unquote of invalid JSON string: " + err.Error()) // s was validated
	}
	return v
}

// compact returns the value v without insignificant white space, like
// json.Compact, in new memory.
func compact(v []byte) []byte {
	out := make([]byte, 0, len(v))
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case isJSONSpace(c):
		case c == '"':
			j := stringEnd(v, i)
			out = append(out, v[i:j]...)
			i = j - 1
		default:
			out = append(out, c)
		}
	}
	return out
}

// kind names the type of the JSON value v.
func kind(v []byte) string {
	switch v[0] {
	case '"':
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

func article(kind string) string {
	switch kind {
	case "object", "array":
		return "an " + kind
	case "null":
		return kind
	}
	return "a " + kind
}
