package input

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/gatherdev/gather"
)

var fuzzSeeds = []string{
	"",
	" ",
	"# comment",
	"http://example.com",
	"https://example.com/a?b=c#d",
	"  https://example.com/  \r",
	"http://[::1]:80/",
	"http://exa mple.com/",
	"http://",
	"ftp://example.com/",
	"example.com",
	"http://example.com/\x00",
	"\ufeffhttp://example.com/",
	`{"url":"https://example.com/"}`,
	`{"url":"https://example.com/","method":"POST","headers":{"A":"b","C":["d","e"]},"body":{"x":[1,2]},"id":5}`,
	`{"url":"https://example.com/","body":"text","id":"x"}`,
	`{"url":"https://example.com/"} trailing`,
	`{"url":1}`,
	`{"header":{}}`,
	`{"url":"https://example.com/","headers":{"Bad Name":"x"}}`,
	`{"url":"https://example.com/","headers":{"A":"\r\n"}}`,
	`{"url":"https://example.com/","id":{}}`,
	`{`,
	`{"url":"https://example.com/\u0000"}`,
	"{\"url\":\"https://example.com/\"}\x00",
	`{"url":"https://example.com/","body":{"a" : [ 1 , "x \" y" , {"b":null} ], "\u00e9\n":true}}`,
	`{"u\u0072l":"https://example.com/\u00e9","headers":{"X-\u0041":["1", "2"]}}`,
	`["a", 1, {"b": [2]}]`,
	`"a\"b\u00e9"`,
	"{\"url\":\"https://example.com/\xff\",\"body\":\"\xff\"}",
}

func FuzzParseLine(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s), int64(1), "")
		f.Add([]byte(s), int64(99), "POST")
	}
	f.Fuzz(func(t *testing.T, line []byte, n int64, method string) {
		d := Defaults{Method: method, Body: []byte("default")}
		orig := bytes.Clone(line)
		req, skip := ParseLine(line, n, d)
		if !bytes.Equal(line, orig) {
			t.Fatalf("ParseLine modified its input")
		}
		trimmed := trim(orig)
		checkJSONHelpers(t, trimmed)
		if skip {
			if len(trimmed) != 0 && trimmed[0] != '#' {
				t.Fatalf("skipped %q", orig)
			}
			return
		}
		if len(trimmed) == 0 || trimmed[0] == '#' {
			t.Fatalf("did not skip %q", orig)
		}
		if req.Line != n {
			t.Fatalf("Line = %d, want %d", req.Line, n)
		}
		if req.Err != nil {
			var ie *gather.InputError
			if !errors.As(req.Err, &ie) {
				t.Fatalf("Err is %T, not *gather.InputError: %v", req.Err, req.Err)
			}
			if len(ie.Input) > gather.MaxInputEcho {
				t.Fatalf("echo of %d bytes", len(ie.Input))
			}
			if ie.Line != n {
				t.Fatalf("InputError.Line = %d, want %d", ie.Line, n)
			}
			if ie.Err == nil || ie.Err.Error() == "" {
				t.Fatalf("InputError without a cause")
			}
			// An invalid JSON line keeps its id, so that its record names the request.
			if req.URL != "" || req.Header != nil || req.Body != nil || req.Method != "" {
				t.Fatalf("invalid request has fields set: %#v", req)
			}
			return
		}
		if err := req.Validate(); err != nil {
			t.Fatalf("Validate: %v", err)
		}
		if trimmed[0] != '{' {
			if req.URL != string(trimmed) {
				t.Fatalf("URL = %q, want %q", req.URL, trimmed)
			}
			if req.Method != method || string(req.Body) != "default" || req.Header != nil || req.ID != "" {
				t.Fatalf("plain line request: %#v", req)
			}
		}
		// The request must not share memory with line.
		body := bytes.Clone(req.Body)
		for i := range line {
			line[i] ^= 0xff
		}
		if !bytes.Equal(req.Body, body) {
			t.Fatalf("Body aliases the line")
		}
	})
}

// checkJSONHelpers checks the hand-written JSON walker against encoding/json.
func checkJSONHelpers(t *testing.T, b []byte) {
	if !json.Valid(b) {
		return
	}
	var want bytes.Buffer
	if err := json.Compact(&want, b); err != nil {
		t.Fatal(err)
	}
	if got := compact(b); !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("compact(%q) = %q, want %q", b, got, want.Bytes())
	}
	v := b[skipSpace(b, 0):]
	if end := valueEnd(v, 0); len(bytes.TrimRight(v[end:], " \t\r\n")) != 0 {
		t.Fatalf("valueEnd(%q) = %d", v, end)
	}
	switch kind(v) {
	case "string":
		var s string
		json.Unmarshal(v, &s)
		if got := unquote(bytes.TrimRight(v, " \t\r\n")); got != s {
			t.Fatalf("unquote(%q) = %q, want %q", v, got, s)
		}
	case "object":
		// Compare the members with encoding/json's tokens.
		dec := json.NewDecoder(bytes.NewReader(v))
		dec.Token()
		var wantKV []string
		for dec.More() {
			k, _ := dec.Token()
			var raw json.RawMessage
			dec.Decode(&raw)
			wantKV = append(wantKV, k.(string), string(raw))
		}
		var gotKV []string
		eachMember(v, func(k, val []byte) error {
			gotKV = append(gotKV, unquote(k), string(val))
			return nil
		})
		if !reflect.DeepEqual(gotKV, wantKV) {
			t.Fatalf("members of %q:\n got %q\nwant %q", v, gotKV, wantKV)
		}
	case "array":
		var want []json.RawMessage
		json.Unmarshal(v, &want)
		var got []json.RawMessage
		eachElement(v, func(e []byte) error {
			got = append(got, e)
			return nil
		})
		if len(got) != len(want) {
			t.Fatalf("elements of %q: got %q, want %q", v, got, want)
		}
		for i := range got {
			if !bytes.Equal(got[i], want[i]) {
				t.Fatalf("elements of %q: got %q, want %q", v, got, want)
			}
		}
	}
}

// splitLines splits data into physical lines the simple way.
func splitLines(data []byte) [][]byte {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	if len(data) == 0 {
		return nil
	}
	lines := bytes.Split(data, []byte("\n"))
	if len(lines[len(lines)-1]) == 0 {
		lines = lines[:len(lines)-1] // the final newline ends a line, it does not start one
	}
	return lines
}

func FuzzReader(f *testing.F) {
	f.Add([]byte(sample), false)
	f.Add([]byte(sample), true)
	f.Add([]byte("\n\n#\n"), false)
	f.Add([]byte("http://a.example/\r\n \t\nftp://x\n{\"url\":\"http://b.example/\",\"id\":1}"), true)
	for _, s := range fuzzSeeds {
		f.Add([]byte(s+"\n"+s), false)
	}
	f.Add([]byte("\x1f\x8b\x08\x00"), false)
	f.Fuzz(func(t *testing.T, data []byte, compress bool) {
		d := Defaults{Method: "PUT"}
		in := data
		if compress {
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			zw.Write(data)
			zw.Close()
			in = buf.Bytes()
		}
		r := NewReader(bytes.NewReader(in), d)
		var reqs []gather.Request
		last := int64(0)
		for req := range r.All() {
			if req.Line <= last {
				t.Fatalf("line %d after line %d", req.Line, last)
			}
			last = req.Line
			reqs = append(reqs, req)
		}
		if last > r.Lines() {
			t.Fatalf("request on line %d but Lines = %d", last, r.Lines())
		}
		if !compress && len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b {
			return // the input itself is (maybe broken) gzip
		}
		if r.Err() != nil {
			t.Fatalf("Err = %v", r.Err())
		}
		// Compare with parsing the lines one by one.
		lines := splitLines(data)
		if r.Lines() != int64(len(lines)) {
			t.Fatalf("Lines = %d, want %d", r.Lines(), len(lines))
		}
		var want []gather.Request
		for i, line := range lines {
			if req, skip := ParseLine(line, int64(i+1), d); !skip {
				want = append(want, req)
			}
		}
		if len(reqs) != len(want) {
			t.Fatalf("got %d requests, want %d", len(reqs), len(want))
		}
		for i := range reqs {
			if !sameRequest(reqs[i], want[i]) {
				t.Fatalf("request %d:\n got %#v\nwant %#v", i, reqs[i], want[i])
			}
		}
	})
}

func sameRequest(a, b gather.Request) bool {
	ae, be := a.Err, b.Err
	a.Err, b.Err = nil, nil
	if !reflect.DeepEqual(a, b) {
		return false
	}
	if (ae == nil) != (be == nil) {
		return false
	}
	return ae == nil || ae.Error() == be.Error()
}
