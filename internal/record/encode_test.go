package record

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gatherdev/gather"
)

// keyOrder is the documented order of a record's keys.
var keyOrder = []string{
	"url", "method", "id", "fp", "ok", "status", "attempts", "started", "elapsed_ms",
	"bytes", "content_type", "body", "body_encoding", "error", "input", "line",
}

var keyRank = func() map[string]int {
	m := make(map[string]int, len(keyOrder))
	for i, k := range keyOrder {
		m[k] = i
	}
	return m
}()

// topKeys returns the keys of the JSON object in line, in the order they
// appear, and fails when line is not one JSON object.
func topKeys(t testing.TB, line []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		t.Fatalf("record does not start with an object: %v %v\n%s", tok, err, short(line))
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("reading key: %v\n%s", err, short(line))
		}
		k, ok := tok.(string)
		if !ok {
			t.Fatalf("key is %T %v\n%s", tok, tok, short(line))
		}
		keys = append(keys, k)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("value of %q: %v\n%s", k, err, short(line))
		}
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		t.Fatalf("record does not end its object: %v %v\n%s", tok, err, short(line))
	}
	if _, err := dec.Token(); err == nil {
		t.Fatalf("data after the record's object\n%s", short(line))
	}
	return keys
}

// checkLine checks what every record must be: one line ending in exactly one
// "\n", valid UTF-8 JSON, keys known, unique and in the documented order. It
// returns the decoded object (numbers as json.Number).
func checkLine(t testing.TB, line []byte) map[string]any {
	t.Helper()
	if !bytes.HasSuffix(line, []byte("\n")) {
		t.Fatalf("record does not end in a newline: %s", short(line))
	}
	if n := bytes.Count(line, []byte("\n")); n != 1 {
		t.Fatalf("record has %d newlines: %s", n, short(line))
	}
	if bytes.Contains(line, []byte("\r")) {
		t.Fatalf("record has a carriage return: %s", short(line))
	}
	if !utf8.Valid(line) {
		t.Fatalf("record is not valid UTF-8: %s", short(line))
	}
	if !json.Valid(line) {
		t.Fatalf("record is not valid JSON: %s", short(line))
	}
	keys := topKeys(t, line)
	last := -1
	for _, k := range keys {
		r, ok := keyRank[k]
		if !ok {
			t.Fatalf("unknown key %q in %s", k, short(line))
		}
		if r <= last {
			t.Fatalf("key %q out of order (or repeated) in %v: %s", k, keys, short(line))
		}
		last = r
	}
	for _, k := range []string{"ok", "attempts", "error"} {
		if !containsKey(keys, k) {
			t.Fatalf("record has no %q: %s", k, short(line))
		}
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("decode: %v\n%s", err, short(line))
	}
	return m
}

// short cuts line for a failure message.
func short(line []byte) string {
	if len(line) > 300 {
		return fmt.Sprintf("%q...(%d bytes)", line[:300], len(line))
	}
	return fmt.Sprintf("%q", line)
}

func containsKey(keys []string, k string) bool {
	for _, x := range keys {
		if x == k {
			return true
		}
	}
	return false
}

// jsonValue decodes s as JSON with numbers kept as json.Number.
func jsonValue(t testing.TB, s string) any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %q: %v", s, err)
	}
	return v
}

var (
	t0      = time.Date(2026, 11, 27, 8, 40, 36, 515_000_000, time.UTC)
	errConn = &gather.Error{Kind: gather.KindConnection, Err: errors.New("dial tcp 127.0.0.1:1: connect: connection refused")}
	err404  = &gather.Error{Kind: gather.KindHTTP, Status: 404, Err: errors.New("404 Not Found")}
)

func okResult(ctype string, body []byte) *gather.Result {
	return &gather.Result{
		Request:     gather.Request{URL: "https://example.com/a", Method: "GET", ID: "r1"},
		Status:      200,
		Attempts:    1,
		Started:     t0,
		Elapsed:     1234567 * time.Microsecond,
		ContentType: ctype,
		Body:        body,
		Bytes:       int64(len(body)),
	}
}

func invalidResult(line int64, input string, cause error) *gather.Result {
	return &gather.Result{
		Request: gather.Request{Line: line, Err: gather.NewInputError(line, input, cause)},
		Err:     &gather.Error{Kind: gather.KindInvalid, Err: gather.NewInputError(line, input, cause)},
	}
}

func TestAppend(t *testing.T) {
	long := strings.Repeat("é", 600) // 1200 bytes, cut to 1024
	tests := []struct {
		name string
		r    *gather.Result
		o    Options
		want string // the exact record, without its newline
		// absent lists keys that must not be there.
		absent []string
	}{
		{
			name: "ok json body compacted",
			r: okResult("application/json; charset=utf-8", []byte(
				"\n  {\r\n\t\"a\" : [ 1 , 2.50 , -3e2 ] ,\n  \"s\" : \"x  y\\n \\\" {z} \\\\\" , \"n\": null, \"t\": true }\n\n")),
			want: `{"url":"https://example.com/a","method":"GET","id":"r1","ok":true,"status":200,"attempts":1,` +
				`"started":"2026-11-27T08:40:36.515Z","elapsed_ms":1234.567,"bytes":88,"content_type":"application/json; charset=utf-8",` +
				`"body":{"a":[1,2.50,-3e2],"s":"x  y\n \" {z} \\","n":null,"t":true},"error":null}`,
			absent: []string{"body_encoding"},
		},
		{
			name:   "json type with a number",
			r:      okResult("application/json", []byte("123")),
			want:   `{"url":"https://example.com/a","method":"GET","id":"r1","ok":true,"status":200,"attempts":1,"started":"2026-11-27T08:40:36.515Z","elapsed_ms":1234.567,"bytes":3,"content_type":"application/json","body":123,"error":null}`,
			absent: []string{"body_encoding"},
		},
		{
			name: "json type, upper case, string body",
			r:    okResult("Application/Problem+JSON", []byte(` "hi" `)),
			want: `{"url":"https://example.com/a","method":"GET","id":"r1","ok":true,"status":200,"attempts":1,"started":"2026-11-27T08:40:36.515Z","elapsed_ms":1234.567,"bytes":6,"content_type":"Application/Problem+JSON","body":"hi","error":null}`,
		},
		{
			name: "json type, invalid json is text",
			r:    okResult("application/json", []byte(`{"a":1,}`)),
			want: `{"url":"https://example.com/a","method":"GET","id":"r1","ok":true,"status":200,"attempts":1,"started":"2026-11-27T08:40:36.515Z","elapsed_ms":1234.567,"bytes":8,"content_type":"application/json","body":"{\"a\":1,}","error":null}`,
		},
		{
			name: "text/plain number stays text",
			r:    okResult("text/plain", []byte("123")),
			want: `{"url":"https://example.com/a","method":"GET","id":"r1","ok":true,"status":200,"attempts":1,"started":"2026-11-27T08:40:36.515Z","elapsed_ms":1234.567,"bytes":3,"content_type":"text/plain","body":"123","error":null}`,
		},
		{
			name: "untyped array is json",
			r:    okResult("", []byte(" [1, {\"b\": \"c d\"}]\n")),
			want: `{"url":"https://example.com/a","method":"GET","id":"r1","ok":true,"status":200,"attempts":1,"started":"2026-11-27T08:40:36.515Z","elapsed_ms":1234.567,"bytes":19,"body":[1,{"b":"c d"}],"error":null}`,
		},
		{
			name: "text with escapes",
			r:    okResult("text/plain; charset=utf-8", []byte("a \"q\" \\ b\n\r\t\x00\x01\x1f\x7f é 世 😀 \u2028 \u2029 <&>")),
			want: `{"url":"https://example.com/a","method":"GET","id":"r1","ok":true,"status":200,"attempts":1,"started":"2026-11-27T08:40:36.515Z","elapsed_ms":1234.567,"bytes":40,"content_type":"text/plain; charset=utf-8",` +
				`"body":"a \"q\" \\ b\n\r\t\u0000\u0001\u001f` + "\x7f é 世 😀 " + `\u2028 \u2029 <&>","error":null}`,
		},
		{
			name: "invalid utf-8 is base64",
			r:    okResult("application/octet-stream", []byte{0xff, 0x00, 'a', 0xc3}),
			want: `{"url":"https://example.com/a","method":"GET","id":"r1","ok":true,"status":200,"attempts":1,"started":"2026-11-27T08:40:36.515Z","elapsed_ms":1234.567,"bytes":4,"content_type":"application/octet-stream","body":"/wBhww==","body_encoding":"base64","error":null}`,
		},
		{
			name: "invalid utf-8 with json type is base64",
			r:    okResult("application/json", []byte("\"\xff\"")),
			want: `{"url":"https://example.com/a","method":"GET","id":"r1","ok":true,"status":200,"attempts":1,"started":"2026-11-27T08:40:36.515Z","elapsed_ms":1234.567,"bytes":3,"content_type":"application/json","body":"Iv8i","body_encoding":"base64","error":null}`,
		},
		{
			name: "empty body",
			r:    okResult("application/json", []byte{}),
			want: `{"url":"https://example.com/a","method":"GET","id":"r1","ok":true,"status":200,"attempts":1,"started":"2026-11-27T08:40:36.515Z","elapsed_ms":1234.567,"bytes":0,"content_type":"application/json","body":"","error":null}`,
		},
		{
			name:   "nil body",
			r:      okResult("text/plain", nil),
			want:   `{"url":"https://example.com/a","method":"GET","id":"r1","ok":true,"status":200,"attempts":1,"started":"2026-11-27T08:40:36.515Z","elapsed_ms":1234.567,"bytes":0,"content_type":"text/plain","error":null}`,
			absent: []string{"body", "body_encoding"},
		},
		{
			name:   "NoBody",
			r:      okResult("application/json", []byte(`{"a":1}`)),
			o:      Options{NoBody: true},
			want:   `{"url":"https://example.com/a","method":"GET","id":"r1","ok":true,"status":200,"attempts":1,"started":"2026-11-27T08:40:36.515Z","elapsed_ms":1234.567,"bytes":7,"content_type":"application/json","error":null}`,
			absent: []string{"body", "body_encoding"},
		},
		{
			name:   "NoBody binary",
			r:      okResult("image/png", []byte{0x89, 'P', 'N', 'G'}),
			o:      Options{NoBody: true},
			want:   `{"url":"https://example.com/a","method":"GET","id":"r1","ok":true,"status":200,"attempts":1,"started":"2026-11-27T08:40:36.515Z","elapsed_ms":1234.567,"bytes":4,"content_type":"image/png","error":null}`,
			absent: []string{"body", "body_encoding"},
		},
		{
			name: "http error",
			r: &gather.Result{
				Request:     gather.Request{URL: "http://example.com/missing", Method: "POST"},
				Status:      404,
				Attempts:    1,
				Started:     t0,
				Elapsed:     2500 * time.Microsecond,
				ContentType: "text/html",
				Body:        []byte("<h1>Not Found</h1>"),
				Bytes:       18,
				Err:         err404,
			},
			want:   `{"url":"http://example.com/missing","method":"POST","ok":false,"status":404,"attempts":1,"started":"2026-11-27T08:40:36.515Z","elapsed_ms":2.5,"bytes":18,"content_type":"text/html","body":"<h1>Not Found</h1>","error":{"kind":"http","message":"404 Not Found"}}`,
			absent: []string{"id", "input", "line"},
		},
		{
			name: "connection error",
			r: &gather.Result{
				Request:  gather.Request{URL: "http://127.0.0.1:1/", ID: "c"},
				Attempts: 3,
				Started:  t0,
				Elapsed:  time.Second,
				Err:      errConn,
			},
			want:   `{"url":"http://127.0.0.1:1/","method":"GET","id":"c","ok":false,"attempts":3,"started":"2026-11-27T08:40:36.515Z","elapsed_ms":1000,"error":{"kind":"connection","message":"dial tcp 127.0.0.1:1: connect: connection refused"}}`,
			absent: []string{"status", "bytes", "content_type", "body", "body_encoding"},
		},
		{
			name: "2xx with an error is not ok",
			r: &gather.Result{
				Request:  gather.Request{URL: "http://e.com/"},
				Status:   200,
				Attempts: 1,
				Started:  t0,
				Bytes:    1 << 20,
				Err:      &gather.Error{Kind: gather.KindTooLarge, Err: gather.ErrBodyTooLarge},
			},
			want: `{"url":"http://e.com/","method":"GET","ok":false,"status":200,"attempts":1,"started":"2026-11-27T08:40:36.515Z","elapsed_ms":0,"bytes":1048576,"error":{"kind":"too_large","message":"body too large"}}`,
		},
		{
			name: "3xx is not ok",
			r: &gather.Result{
				Request:  gather.Request{URL: "http://e.com/"},
				Status:   304,
				Attempts: 1,
				Started:  t0,
			},
			want: `{"url":"http://e.com/","method":"GET","ok":false,"status":304,"attempts":1,"started":"2026-11-27T08:40:36.515Z","elapsed_ms":0,"bytes":0,"error":null}`,
		},
		{
			name:   "invalid input line",
			r:      invalidResult(7, `{"url": "ftp://x", "a":"\u2028"}`, errors.New(`url scheme "ftp" is not http or https`)),
			want:   `{"ok":false,"attempts":0,"error":{"kind":"invalid","message":"url scheme \"ftp\" is not http or https"},"input":"{\"url\": \"ftp://x\", \"a\":\"\\u2028\"}","line":7}`,
			absent: []string{"url", "method", "status", "started", "elapsed_ms", "bytes", "body"},
		},
		{
			name: "invalid with url, no line",
			r: func() *gather.Result {
				ie := gather.NewInputError(0, "http://exa mple.com/", errors.New("url does not parse: invalid character \" \" in host name"))
				return &gather.Result{
					Request: gather.Request{URL: "http://exa mple.com/", Method: "PUT"},
					Err:     &gather.Error{Kind: gather.KindInvalid, Err: ie},
				}
			}(),
			want:   `{"url":"http://exa mple.com/","method":"PUT","ok":false,"attempts":0,"error":{"kind":"invalid","message":"url does not parse: invalid character \" \" in host name"},"input":"http://exa mple.com/"}`,
			absent: []string{"line"},
		},
		{
			name:   "invalid input is cut to 1 KiB",
			r:      invalidResult(12, long, errors.New("not a url")),
			want:   `{"ok":false,"attempts":0,"error":{"kind":"invalid","message":"not a url"},"input":"` + strings.Repeat("é", 512) + `","line":12}`,
			absent: []string{"url"},
		},
		{
			name:   "invalid input with bad utf-8 and controls",
			r:      invalidResult(3, "\xff\x00\n\"x", errors.New("bad\tline")),
			want:   `{"fp":"e6ed50cca817feab57cb18d9cd6dafd0","ok":false,"attempts":0,"error":{"kind":"invalid","message":"bad\tline"},"input":"\ufffd\u0000\n\"x","line":3}`,
			absent: []string{"url"},
		},
		{
			name: "id absent, method default",
			r: &gather.Result{
				Request:  gather.Request{URL: "https://e.com/"},
				Status:   204,
				Attempts: 2,
				Started:  t0,
				Elapsed:  1500 * time.Nanosecond,
				Body:     []byte{},
			},
			want:   `{"url":"https://e.com/","method":"GET","ok":true,"status":204,"attempts":2,"started":"2026-11-27T08:40:36.515Z","elapsed_ms":0.001,"bytes":0,"body":"","error":null}`,
			absent: []string{"id", "content_type"},
		},
		{
			name: "id with quotes and method kept",
			r: &gather.Result{
				Request:  gather.Request{URL: "https://e.com/?q=\"<x>\"&r=1", Method: "DELETE", ID: "a\"b\\c\x01"},
				Status:   201,
				Attempts: 1,
				Started:  t0,
			},
			want: `{"url":"https://e.com/?q=\"<x>\"&r=1","method":"DELETE","id":"a\"b\\c\u0001","ok":true,"status":201,"attempts":1,"started":"2026-11-27T08:40:36.515Z","elapsed_ms":0,"bytes":0,"error":null}`,
		},
		{
			name: "time converted to UTC, ms truncated, elapsed ns dropped",
			r: &gather.Result{
				Request:  gather.Request{URL: "https://e.com/"},
				Status:   200,
				Attempts: 1,
				Started:  time.Date(2026, 1, 1, 1, 2, 3, 999_999_999, time.FixedZone("X", 5*3600+30*60)),
				Elapsed:  1234567891 * time.Nanosecond,
			},
			want: `{"url":"https://e.com/","method":"GET","ok":true,"status":200,"attempts":1,"started":"2025-12-31T19:32:03.999Z","elapsed_ms":1234.567,"bytes":0,"error":null}`,
		},
		{
			name: "whole second started has .000",
			r: &gather.Result{
				Request:  gather.Request{URL: "https://e.com/"},
				Status:   200,
				Attempts: 1,
				Started:  time.Date(2026, 3, 4, 5, 6, 7, 0, time.FixedZone("W", -8*3600)),
				Elapsed:  90 * time.Minute,
			},
			want: `{"url":"https://e.com/","method":"GET","ok":true,"status":200,"attempts":1,"started":"2026-03-04T13:06:07.000Z","elapsed_ms":5400000,"bytes":0,"error":null}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prefix := []byte("prev\n")
			got := Append(bytes.Clone(prefix), tt.r, tt.o)
			if !bytes.HasPrefix(got, prefix) {
				t.Fatalf("Append changed dst: %q", got)
			}
			line := got[len(prefix):]
			if string(line) != tt.want+"\n" {
				t.Errorf("Append:\n got %s\nwant %s", line, tt.want)
			}
			m := checkLine(t, line)
			for _, k := range tt.absent {
				if _, ok := m[k]; ok {
					t.Errorf("record has %q: %s", k, line)
				}
			}
			checkSemantics(t, tt.r, tt.o, m, line)
		})
	}
}

// checkSemantics checks the decoded record m against r per the contract,
// independently of the exact bytes.
func checkSemantics(t testing.TB, r *gather.Result, o Options, m map[string]any, line []byte) {
	t.Helper()
	if ok := m["ok"]; ok != (r.Err == nil && r.Status >= 200 && r.Status <= 299) {
		t.Errorf("ok = %v: %s", ok, short(line))
	}
	if r.Request.URL != "" {
		if m["url"] != fixUTF8(r.Request.URL) {
			t.Errorf("url = %q, want %q", m["url"], r.Request.URL)
		}
		wantMethod := cmpOr(r.Request.Method, "GET")
		if m["method"] != fixUTF8(wantMethod) {
			t.Errorf("method = %q, want %q", m["method"], wantMethod)
		}
	}
	if id, ok := m["id"]; ok != (r.Request.ID != "") || (ok && id != fixUTF8(r.Request.ID)) {
		t.Errorf("id = %q (present %v), want %q", id, ok, r.Request.ID)
	}
	if st, ok := m["status"]; ok != (r.Status != 0) || (ok && st.(json.Number).String() != fmt.Sprint(r.Status)) {
		t.Errorf("status = %v (present %v), want %d", st, ok, r.Status)
	}
	if a := m["attempts"].(json.Number).String(); a != fmt.Sprint(r.Attempts) {
		t.Errorf("attempts = %v, want %d", a, r.Attempts)
	}
	if s, ok := m["started"]; ok {
		if !startedRE.MatchString(s.(string)) {
			t.Errorf("started %q is not RFC 3339 UTC with milliseconds", s)
		}
		p, err := time.Parse(time.RFC3339Nano, s.(string))
		if err != nil || !p.Equal(r.Started.Truncate(time.Millisecond)) {
			t.Errorf("started %q parses to %v, %v; want %v", s, p, err, r.Started.Truncate(time.Millisecond))
		}
		e, ok := m["elapsed_ms"].(json.Number)
		if !ok {
			t.Fatalf("elapsed_ms is %T, want a number", m["elapsed_ms"])
		}
		// n µs is n/1000 ms: compare as decimals, exactly.
		if got, want := e.String(), millisText(r.Elapsed); got != want {
			t.Errorf("elapsed_ms = %s, want %s", got, want)
		}
	}
	if r.Status == 0 {
		for _, k := range []string{"bytes", "content_type", "body", "body_encoding"} {
			if _, ok := m[k]; ok {
				t.Errorf("record without a response has %q", k)
			}
		}
	} else if b := m["bytes"].(json.Number).String(); b != fmt.Sprint(r.Bytes) {
		t.Errorf("bytes = %s, want %d", b, r.Bytes)
	}
	body, hasBody := m["body"]
	if wantBody := r.Status != 0 && !o.NoBody && r.Body != nil; hasBody != wantBody {
		t.Errorf("body present %v, want %v", hasBody, wantBody)
	}
	if hasBody {
		checkBody(t, r.Body, r.ContentType, body, m["body_encoding"], line)
	} else if _, ok := m["body_encoding"]; ok {
		t.Errorf("body_encoding without a body")
	}
	switch e := m["error"].(type) {
	case nil:
		if r.Err != nil {
			t.Errorf("error is null, want %v", r.Err)
		}
	case map[string]any:
		if r.Err == nil {
			t.Fatalf("error = %v, want null", e)
		}
		if len(e) != 2 || e["kind"] != string(gather.KindOf(r.Err)) {
			t.Errorf("error = %v, want kind %q", e, gather.KindOf(r.Err))
		}
		want := r.Err.Error()
		var ie *gather.InputError
		if errors.As(r.Err, &ie) {
			want = ie.Err.Error()
			if m["input"] != fixUTF8(ie.Input) {
				t.Errorf("input = %q, want %q", m["input"], ie.Input)
			}
			if len(ie.Input) > gather.MaxInputEcho {
				t.Errorf("input longer than %d bytes", gather.MaxInputEcho)
			}
			if l, ok := m["line"]; ok != (ie.Line > 0) || (ok && l.(json.Number).String() != fmt.Sprint(ie.Line)) {
				t.Errorf("line = %v (present %v), want %d", l, ok, ie.Line)
			}
		} else if _, ok := m["input"]; ok {
			t.Errorf("input in a record that is not invalid")
		}
		if e["message"] != fixUTF8(want) {
			t.Errorf("message = %q, want %q", e["message"], want)
		}
	default:
		t.Errorf("error is %T", e)
	}
}

var startedRE = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// millisText is d in ms with µs precision as a shortest decimal.
func millisText(d time.Duration) string {
	us := d.Microseconds()
	sign := ""
	if us < 0 {
		sign, us = "-", -us
	}
	s := fmt.Sprintf("%d.%03d", us/1000, us%1000)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return sign + s
}

// fixUTF8 replaces each byte of s that is not part of valid UTF-8 with
// U+FFFD, as encoding/json does.
func fixUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		b.WriteRune(r) // RuneError for a bad byte
		i += n
	}
	return b.String()
}

// bodyMode is how the contract says body should be recorded.
func bodyMode(body []byte, ctype string) string {
	if !utf8.Valid(body) {
		return "base64"
	}
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if (strings.Contains(strings.ToLower(ctype), "json") ||
		len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[')) && json.Valid(body) &&
		embeddable(body) {
		return "json"
	}
	return "text"
}

// embeddable reports whether encoding/json can read a record holding valid
// JSON body as a value: it limits nesting to 10000 levels.
func embeddable(body []byte) bool {
	var v any
	return json.Unmarshal(append(append([]byte(`{"body":`), body...), '}'), &v) == nil
}

// checkBody checks that the decoded record body v (and body_encoding enc)
// give back body.
func checkBody(t testing.TB, body []byte, ctype string, v, enc any, line []byte) {
	t.Helper()
	switch mode := bodyMode(body, ctype); mode {
	case "base64":
		if enc != "base64" {
			t.Fatalf("body_encoding = %v, want base64: %s", enc, short(line))
		}
		s, ok := v.(string)
		if !ok {
			t.Fatalf("base64 body is %T", v)
		}
		got, err := base64.StdEncoding.DecodeString(s)
		if err != nil || !bytes.Equal(got, body) {
			t.Fatalf("base64 body decodes to %q, %v; want %q", got, err, body)
		}
	case "json":
		if enc != nil {
			t.Fatalf("body_encoding = %v for a JSON body", enc)
		}
		if want := jsonValue(t, string(body)); !reflect.DeepEqual(v, want) {
			t.Fatalf("JSON body = %#v, want %#v", v, want)
		}
		if s, ok := v.(string); ok && s == string(body) && !json.Valid([]byte(s)) {
			t.Fatalf("JSON body recorded as text")
		}
	case "text":
		if enc != nil {
			t.Fatalf("body_encoding = %v for a text body", enc)
		}
		if s, ok := v.(string); !ok || s != string(body) {
			t.Fatalf("text body = %#v, want %q", v, body)
		}
	}
}

// A JSON body is recorded compact, exactly as json.Compact would.
func TestAppendBodyCompact(t *testing.T) {
	bodies := []string{
		`{}`, `[]`, ` { } `, "[\n1,\n2\n]", `{"a":"  spaces  ","b":"\" [ { \\"}`,
		`{"esc":"\u00e9\ud83d\ude00\/\b\f","raw":"é😀 ` + "\u2028" + `"}`,
		`[true,false,null,0,-0.5e-10,1E+2]`,
		"\t\r\n \"str\"\t", `"\\"`, `"\\\""`,
	}
	for _, b := range bodies {
		var want bytes.Buffer
		if err := json.Compact(&want, []byte(b)); err != nil {
			t.Fatalf("bad test body %q: %v", b, err)
		}
		line := Append(nil, okResult("application/json", []byte(b)), Options{})
		m := checkLine(t, line)
		raw := extractRaw(t, line, "body")
		// U+2028 and U+2029 are escaped: line breaks to some line splitters.
		wantS := strings.NewReplacer("\u2028", `\u2028`, "\u2029", `\u2029`).Replace(want.String())
		if raw != wantS {
			t.Errorf("body %q recorded as %s, want %s", b, raw, wantS)
		}
		checkBody(t, []byte(b), "application/json", m["body"], m["body_encoding"], line)
	}
}

// extractRaw returns the raw JSON value of key in the record line.
func extractRaw(t testing.TB, line []byte, key string) string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(line, &m); err != nil {
		t.Fatal(err)
	}
	return string(m[key])
}

// A JSON body must give a record that encoding/json can read, which reads
// at most 10000 levels of nesting: the record's object is one of them. A body
// nested deeper than 9999 levels is recorded as text instead.
func TestAppendDeepJSONBody(t *testing.T) {
	for _, tt := range []struct {
		body     string
		embedded bool
	}{
		{strings.Repeat("[", 9999) + strings.Repeat("]", 9999), true},
		{strings.Repeat(`{"a":`, 9998) + "[1]" + strings.Repeat("}", 9998), true},
		{strings.Repeat("[", 10000) + strings.Repeat("]", 10000), false},
		{`{"s":"` + strings.Repeat("[", 20000) + `"}`, true},
		{strings.Repeat(`{"a":"]}\"[{","b":[`, 5000) + "0" + strings.Repeat("]}", 5000), false},
		{strings.Repeat(`{"a":"]}\"[{","b":[`, 4999) + "0" + strings.Repeat("]}", 4999), true},
	} {
		body := []byte(tt.body)
		if !json.Valid(body) {
			t.Fatalf("test body not valid: %.40s", body)
		}
		line := Append(nil, okResult("application/json", body), Options{})
		m := checkLine(t, line)
		checkBody(t, body, "application/json", m["body"], m["body_encoding"], line)
		_, isText := m["body"].(string)
		if isText == tt.embedded {
			t.Errorf("body %.40s...: recorded as text %v, want embedded %v", body, isText, tt.embedded)
		}
	}
}

func TestAppendMillis(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0"},
		{999 * time.Nanosecond, "0"},
		{time.Microsecond, "0.001"},
		{1500 * time.Nanosecond, "0.001"},
		{10 * time.Microsecond, "0.01"},
		{time.Millisecond, "1"},
		{1234567 * time.Microsecond, "1234.567"},
		{1234567891 * time.Nanosecond, "1234.567"},
		{time.Hour, "3600000"},
		{100 * time.Hour, "360000000"},
		{-1500 * time.Microsecond, "-1.5"},
		{1<<63 - 1, "9223372036854.775"},
	}
	for _, tt := range tests {
		got := string(AppendMillis([]byte("x"), tt.d))
		if got != "x"+tt.want {
			t.Errorf("AppendMillis(%v) = %q, want %q", tt.d, got[1:], tt.want)
		}
		if got[1:] != millisText(tt.d) {
			t.Errorf("millisText(%v) = %q disagrees with %q", tt.d, millisText(tt.d), got[1:])
		}
	}
	// Every µs count in a range prints as its exact decimal.
	for us := int64(0); us < 200_000; us += 7 {
		d := time.Duration(us) * time.Microsecond
		if got, want := string(AppendMillis(nil, d)), millisText(d); got != want {
			t.Fatalf("AppendMillis(%v) = %s, want %s", d, got, want)
		}
	}
}

// stdString is encoding/json's encoding of s, without HTML escaping.
func stdString(t testing.TB, s string) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

func decodeString(t testing.TB, b []byte) string {
	t.Helper()
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("%q does not decode as a JSON string: %v", b, err)
	}
	return s
}

var stringCases = func() []string {
	cs := []string{
		"", "a", "hello, world", `"`, `\`, `\"`, `"\\"`, "/", "</script>", "<&>",
		"\x00", "\x1f", "\x7f", "\b\f\n\r\t\v", "tab\there", "new\nline", "\r\n",
		"é", "世界", "😀", "\u2028", "\u2029", "a\u2028b\u2029c", "\ufeff", "\ufffd",
		"\xff", "\xfe\xff", "\xc3", "\xc3(", "a\xc3", "\xe2\x82", "\xe2\x82(", "\xf0\x9f\x98",
		"\xf0\x9f\x98\x80\xf0", "\xed\xa0\x80", "\xed\xbf\xbf", "\xc0\x80", "\xc1\xbf",
		"\xf4\x90\x80\x80", "\xf8\x88\x80\x80\x80", "\x80", "\xbf\x80", "é\xffé",
		"\"\xff\\\n\x00\u2028😀", strings.Repeat("x", 1000), strings.Repeat("\xff", 10),
		string([]byte{0xe2, 0x80, 0xa8, 0xe2, 0x80}),
	}
	for c := 0; c < 0x80; c++ {
		cs = append(cs, string(rune(c)), "a"+string(rune(c))+"b")
	}
	for c := 0x80; c < 0x100; c++ {
		cs = append(cs, string([]byte{byte(c)}), "x"+string([]byte{byte(c)})+"y")
	}
	return cs
}()

func TestAppendString(t *testing.T) {
	for _, s := range stringCases {
		got := AppendString([]byte("pre"), s)
		if !bytes.HasPrefix(got, []byte("pre")) {
			t.Fatalf("AppendString changed dst")
		}
		got = got[3:]
		checkJSONString(t, s, got)
		if b := AppendString(nil, []byte(s)); !bytes.Equal(b, got) {
			t.Errorf("AppendString([]byte(%q)) = %s, string gives %s", s, b, got)
		}
	}
}

func TestAppendStringExact(t *testing.T) {
	tests := map[string]string{
		"":               `""`,
		"<a href=\"x\">": `"<a href=\"x\">"`,
		"a\\b":           `"a\\b"`,
		"\n\r\t":         `"\n\r\t"`,
		"\x00\x01\x1f":   `"\u0000\u0001\u001f"`,
		"\b\f":           `"\u0008\u000c"`,
		"\x7f":           "\"\x7f\"",
		"é\xff😀":         `"é\ufffd😀"`,
		"\xe2\x82":       `"\ufffd\ufffd"`,
	}
	for in, want := range tests {
		if got := string(AppendString(nil, in)); got != want {
			t.Errorf("AppendString(%q) = %s, want %s", in, got, want)
		}
	}
}

// checkJSONString checks that got, AppendString's encoding of s, is one
// JSON string on one line that means what encoding/json's encoding means.
func checkJSONString(t testing.TB, s string, got []byte) {
	t.Helper()
	if !utf8.Valid(got) {
		t.Fatalf("AppendString(%q) = %q is not valid UTF-8", s, got)
	}
	for _, c := range got {
		if c < 0x20 {
			t.Fatalf("AppendString(%q) = %q has a raw control byte", s, got)
		}
	}
	if !json.Valid(got) {
		t.Fatalf("AppendString(%q) = %q is not valid JSON", s, got)
	}
	dec := decodeString(t, got)
	want := decodeString(t, stdString(t, s))
	if dec != want {
		t.Fatalf("AppendString(%q) decodes to %q, encoding/json's to %q", s, dec, want)
	}
	if dec != fixUTF8(s) {
		t.Fatalf("AppendString(%q) decodes to %q, want %q", s, dec, fixUTF8(s))
	}
	if utf8.ValidString(s) && dec != s {
		t.Fatalf("AppendString(%q) does not round-trip", s)
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range stringCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := AppendString(nil, s)
		checkJSONString(t, s, got)
		if b := AppendString(nil, []byte(s)); !bytes.Equal(b, got) {
			t.Fatalf("AppendString([]byte(%q)) = %s, string gives %s", s, b, got)
		}
	})
}

func FuzzAppend(f *testing.F) {
	type seed struct {
		url, ctype string
		body       []byte
		id         string
		status     int
	}
	seeds := []seed{
		{"https://example.com/", "application/json", []byte(`{"a": [1, 2, {"b": "c d"}]}`), "1", 200},
		{"https://example.com/", "application/json", []byte("123"), "", 200},
		{"https://example.com/", "application/json", []byte(" \"x\" "), "", 200},
		{"https://example.com/", "application/json", []byte(""), "", 200},
		{"https://example.com/", "application/json", []byte("{\"a\":\"\xff\"}"), "", 200},
		{"https://example.com/", "text/plain", []byte("123"), "id", 201},
		{"https://example.com/", "text/plain", []byte(" [1,\n 2] "), "id", 201},
		{"https://example.com/", "text/plain", []byte("a\"b\\c\n\x00\u2028"), "", 500},
		{"http://e/\xff", "", []byte{0xff, 0xfe, 0}, "\xff", 404},
		{"", "", nil, "", 0},
		{"http://x/", "APPLICATION/JSON", []byte("[[[[]]]]"), "", -1},
		{"http://x/", "json", []byte(`{"k":"\u0000\ud800"}`), "", 999},
		{"http://x/", "text/html", []byte("<p>é</p>"), "<id>", 302},
	}
	for _, s := range seeds {
		f.Add(s.url, s.ctype, s.body, s.id, s.status)
	}
	f.Fuzz(func(t *testing.T, url, ctype string, body []byte, id string, status int) {
		r := &gather.Result{
			Request:     gather.Request{URL: url, ID: id},
			Status:      status,
			Attempts:    1,
			Started:     t0,
			Elapsed:     time.Duration(len(body)) * time.Microsecond,
			ContentType: ctype,
			Body:        body,
			Bytes:       int64(len(body)),
		}
		if status >= 400 {
			r.Err = &gather.Error{Kind: gather.KindHTTP, Status: status, Err: fmt.Errorf("%d %s", status, id)}
		} else if status == 0 {
			r.Err = &gather.Error{Kind: gather.KindConnection, Err: errors.New(ctype)}
		}
		for _, o := range []Options{{}, {NoBody: true}} {
			line := Append(nil, r, o)
			m := checkLine(t, line)
			checkSemantics(t, r, o, m, line)
		}
	})
}

func BenchmarkAppend(b *testing.B) {
	jsonBody := func() []byte {
		var buf bytes.Buffer
		buf.WriteString("{\n")
		for i := 0; buf.Len() < 1000; i++ {
			fmt.Fprintf(&buf, "  \"key%d\": {\"name\": \"item %d\", \"n\": %d, \"ok\": true},\n", i, i, i*7)
		}
		buf.WriteString("  \"end\": null\n}\n")
		return buf.Bytes()
	}()
	compactBody := func() []byte { // as APIs send it, and as bench/target does
		var buf bytes.Buffer
		buf.WriteString(`{"items":[`)
		for i := 0; buf.Len() < 960; i++ {
			if i > 0 {
				buf.WriteByte(',')
			}
			fmt.Fprintf(&buf, `{"id":%d,"name":"item-%d","ok":true}`, i, i)
		}
		buf.WriteString(`],"pad":"` + strings.Repeat("x", 40) + `"}`)
		return buf.Bytes()
	}()
	binBody := make([]byte, 1024)
	for i := range binBody {
		binBody[i] = byte(i*131 + 7)
	}
	textBody := bytes.Repeat([]byte("lorem ipsum \"dolor\" sit amet é\n"), 32)
	for _, bc := range []struct {
		name  string
		ctype string
		body  []byte
	}{
		{"json1k", "application/json", jsonBody},
		{"json1k-compact", "application/json", compactBody},
		{"binary1k", "application/octet-stream", binBody},
		{"text1k", "text/plain", textBody},
	} {
		b.Run(bc.name, func(b *testing.B) {
			r := okResult(bc.ctype, bc.body)
			dst := Append(nil, r, Options{})
			b.SetBytes(int64(len(bc.body)))
			b.ReportAllocs()
			for b.Loop() {
				dst = Append(dst[:0], r, Options{})
			}
		})
	}
}
