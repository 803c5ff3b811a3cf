package input

import (
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/gatherdev/gather"
)

func TestParseLineValid(t *testing.T) {
	post := Defaults{Method: "POST", Body: []byte("default body")}
	tests := []struct {
		name string
		line string
		d    Defaults
		want gather.Request // Line is filled in
	}{
		{name: "http", line: "http://example.com", want: gather.Request{URL: "http://example.com"}},
		{name: "https path", line: "https://example.com/a/b", want: gather.Request{URL: "https://example.com/a/b"}},
		{name: "query", line: "https://example.com/s?q=a%20b&x=1#frag", want: gather.Request{URL: "https://example.com/s?q=a%20b&x=1#frag"}},
		{name: "port", line: "http://example.com:8080/x", want: gather.Request{URL: "http://example.com:8080/x"}},
		{name: "ipv6", line: "http://[::1]:8080/", want: gather.Request{URL: "http://[::1]:8080/"}},
		{name: "ipv6 no port", line: "https://[2001:db8::1]/p", want: gather.Request{URL: "https://[2001:db8::1]/p"}},
		{name: "verbatim, not normalised", line: "HTTP://Example.COM:80/a/../b/./c?%7e", want: gather.Request{URL: "HTTP://Example.COM:80/a/../b/./c?%7e"}},
		{name: "unicode path", line: "https://example.com/ünï", want: gather.Request{URL: "https://example.com/ünï"}},
		{name: "trimmed", line: " \t https://example.com/ \t", want: gather.Request{URL: "https://example.com/"}},
		{name: "crlf", line: "https://example.com/\r", want: gather.Request{URL: "https://example.com/"}},
		{name: "hash inside", line: "https://example.com/#top", want: gather.Request{URL: "https://example.com/#top"}},
		{name: "defaults on plain", line: "https://example.com/", d: post,
			want: gather.Request{URL: "https://example.com/", Method: "POST", Body: []byte("default body")}},

		{name: "json url only", line: `{"url": "https://example.com/"}`, want: gather.Request{URL: "https://example.com/"}},
		{name: "json url trimmed", line: `{"url": "  https://example.com/ "}`, want: gather.Request{URL: "https://example.com/"}},
		{name: "json escaped url", line: `{"url": "https:\/\/example.com\/\u00e9"}`, want: gather.Request{URL: "https://example.com/é"}},
		{name: "json leading space", line: "  \t{\"url\":\"http://a.example\"}  ", want: gather.Request{URL: "http://a.example"}},
		{name: "json full", line: `{"url":"https://example.com/p","method":"PUT","headers":{"x-one":"1","Accept":["a","b"]},"body":"hello","id":"req-1"}`,
			want: gather.Request{URL: "https://example.com/p", Method: "PUT", Header: http.Header{"X-One": {"1"}, "Accept": {"a", "b"}}, Body: []byte("hello"), ID: "req-1"}},
		{name: "json method kept as given", line: `{"url":"https://example.com/","method":"post"}`,
			want: gather.Request{URL: "https://example.com/", Method: "post"}},
		{name: "json body object", line: `{"url":"https://example.com/","body": {"a": [1, 2 ], "b" : "x y"}}`,
			want: gather.Request{URL: "https://example.com/", Body: []byte(`{"a":[1,2],"b":"x y"}`)}},
		{name: "json body array", line: `{"url":"https://example.com/","body":[1, true]}`,
			want: gather.Request{URL: "https://example.com/", Body: []byte(`[1,true]`)}},
		{name: "json body number", line: `{"url":"https://example.com/","body":1.50e3}`,
			want: gather.Request{URL: "https://example.com/", Body: []byte(`1.50e3`)}},
		{name: "json body bool", line: `{"url":"https://example.com/","body":false}`,
			want: gather.Request{URL: "https://example.com/", Body: []byte(`false`)}},
		{name: "json body empty string", line: `{"url":"https://example.com/","body":""}`, d: post,
			want: gather.Request{URL: "https://example.com/", Method: "POST", Body: []byte{}}},
		{name: "json body escapes", line: `{"url":"https://example.com/","body":"a\nb\"c"}`,
			want: gather.Request{URL: "https://example.com/", Body: []byte("a\nb\"c")}},
		{name: "json id number", line: `{"url":"https://example.com/","id": 12345678901234567890123}`,
			want: gather.Request{URL: "https://example.com/", ID: "12345678901234567890123"}},
		{name: "json id number literal", line: `{"url":"https://example.com/","id":-1.0e2}`,
			want: gather.Request{URL: "https://example.com/", ID: "-1.0e2"}},
		{name: "json nulls", line: `{"url":"https://example.com/","method":null,"headers":null,"body":null,"id":null}`,
			want: gather.Request{URL: "https://example.com/"}},
		{name: "json defaults when absent", line: `{"url":"https://example.com/"}`, d: post,
			want: gather.Request{URL: "https://example.com/", Method: "POST", Body: []byte("default body")}},
		{name: "json defaults when null", line: `{"url":"https://example.com/","method":null,"body":null}`, d: post,
			want: gather.Request{URL: "https://example.com/", Method: "POST", Body: []byte("default body")}},
		{name: "json overrides defaults", line: `{"url":"https://example.com/","method":"GET","body":"mine"}`, d: post,
			want: gather.Request{URL: "https://example.com/", Method: "GET", Body: []byte("mine")}},
		{name: "json empty headers", line: `{"url":"https://example.com/","headers":{}}`,
			want: gather.Request{URL: "https://example.com/", Header: http.Header{}}},
		{name: "json repeated header keys", line: `{"url":"https://example.com/","headers":{"x-a":"1","X-A":["2"],"x-b":[]}}`,
			want: gather.Request{URL: "https://example.com/", Header: http.Header{"X-A": {"1", "2"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, skip := ParseLine([]byte(tt.line), 7, tt.d)
			if skip {
				t.Fatalf("ParseLine(%q) skipped", tt.line)
			}
			if got.Err != nil {
				t.Fatalf("ParseLine(%q): %v", tt.line, got.Err)
			}
			tt.want.Line = 7
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseLine(%q)\n got %#v\nwant %#v", tt.line, got, tt.want)
			}
			if err := got.Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
		})
	}
}

func TestParseLineSkip(t *testing.T) {
	for _, line := range []string{
		"", " ", "\t", " \t \r", "\r", "#", "# comment", "   # indented comment", "\t#{\"url\": 1}", "#http://example.com/",
	} {
		if req, skip := ParseLine([]byte(line), 3, Defaults{}); !skip {
			t.Errorf("ParseLine(%q) = %#v, want skip", line, req)
		}
	}
}

func TestParseLineInvalid(t *testing.T) {
	tests := []struct {
		name string
		line string
		d    Defaults
		want string // the cause, exactly
	}{
		{"no scheme", "example.com/path", Defaults{}, "url has no scheme (want http:// or https://)"},
		{"ftp", "ftp://example.com/file", Defaults{}, `url scheme "ftp" is not http or https`},
		{"no host", "http://", Defaults{}, "url has no host"},
		{"no host path", "https:///path", Defaults{}, "url has no host"},
		{"space in host", "http://exa mple.com/", Defaults{}, `url does not parse: invalid character " " in host name`},
		{"bad port", "http://example.com:port/", Defaults{}, `url does not parse: invalid port ":port" after host`},
		{"control character", "http://example.com/\x01", Defaults{}, "url has a control character (byte 0x01 at 19)"},
		{"tab inside", "http://example.com/a\tb", Defaults{}, "url has a control character (byte 0x09 at 20)"},
		{"del", "http://example.com/\x7f", Defaults{}, "url has a control character (byte 0x7f at 19)"},
		{"bad default method", "http://example.com/", Defaults{Method: "GE T"}, `invalid method "GE T"`},

		{"malformed json", `{"url": "http://example.com/"`, Defaults{}, "malformed JSON: unexpected end of line"},
		{"malformed json value", `{"url": http://example.com/}`, Defaults{}, "malformed JSON: invalid character 'h' looking for beginning of value"},
		{"malformed json comma", `{"url": "http://example.com/",}`, Defaults{}, "malformed JSON: invalid character '}' looking for beginning of object key string"},
		{"malformed json colon", `{"url" "http://example.com/"}`, Defaults{}, "malformed JSON: invalid character '\"' after object key"},
		{"malformed json raw control", "{\"url\": \"http://example.com/\x01\"}", Defaults{}, "malformed JSON: invalid character '\\x01' in string literal"},
		{"malformed json after field error", `{"header": {}, "url": }`, Defaults{}, "malformed JSON: invalid character '}' looking for beginning of value"},
		{"lone brace", "{", Defaults{}, "malformed JSON: unexpected end of line"},
		{"trailing garbage", `{"url": "http://example.com/"} x`, Defaults{}, "malformed JSON: trailing data after the object"},
		{"two objects", `{"url": "http://example.com/"}{}`, Defaults{}, "malformed JSON: trailing data after the object"},
		{"no url", `{"method": "GET"}`, Defaults{}, `json request has no "url"`},
		{"empty object", `{}`, Defaults{}, `json request has no "url"`},
		{"null url", `{"url": null}`, Defaults{}, `json request has no "url"`},
		{"empty url", `{"url": " "}`, Defaults{}, `json request has an empty "url"`},
		{"url number", `{"url": 5}`, Defaults{}, `"url" must be a string, not a number`},
		{"unknown field", `{"url": "http://example.com/", "header": {"a": "b"}}`, Defaults{}, `unknown field "header"`},
		{"field case matters", `{"URL": "http://example.com/"}`, Defaults{}, `unknown field "URL"`},
		{"duplicate field", `{"url": "http://example.com/", "url": "http://example.org/"}`, Defaults{}, `duplicate field "url"`},
		{"json bad url", `{"url": "ftp://example.com/"}`, Defaults{}, `url scheme "ftp" is not http or https`},
		{"json escaped control", `{"url": "http://example.com/\u0000"}`, Defaults{}, "url has a control character (byte 0x00 at 19)"},
		{"method number", `{"url": "http://example.com/", "method": 1}`, Defaults{}, `"method" must be a string, not a number`},
		{"method empty", `{"url": "http://example.com/", "method": ""}`, Defaults{}, `json request has an empty "method"`},
		{"method invalid", `{"url": "http://example.com/", "method": "G T"}`, Defaults{}, `invalid method "G T"`},
		{"id object", `{"url": "http://example.com/", "id": {}}`, Defaults{}, `"id" must be a string or a number, not an object`},
		{"id bool", `{"url": "http://example.com/", "id": true}`, Defaults{}, `"id" must be a string or a number, not a boolean`},
		{"id array", `{"url": "http://example.com/", "id": [1]}`, Defaults{}, `"id" must be a string or a number, not an array`},
		{"headers string", `{"url": "http://example.com/", "headers": "a: b"}`, Defaults{}, `"headers" must be an object, not a string`},
		{"headers array", `{"url": "http://example.com/", "headers": ["a"]}`, Defaults{}, `"headers" must be an object, not an array`},
		{"header value number", `{"url": "http://example.com/", "headers": {"a": 1}}`, Defaults{}, `header "a" must be a string or an array of strings, not a number`},
		{"header value null", `{"url": "http://example.com/", "headers": {"a": null}}`, Defaults{}, `header "a" must be a string or an array of strings, not null`},
		{"header array of objects", `{"url": "http://example.com/", "headers": {"a": ["x", {}]}}`, Defaults{}, `header "a" must be a string or an array of strings, not an object`},
		{"header name invalid", `{"url": "http://example.com/", "headers": {"Bad Name": "x"}}`, Defaults{}, `invalid header name "Bad Name"`},
		{"header name empty", `{"url": "http://example.com/", "headers": {"": "x"}}`, Defaults{}, `invalid header name ""`},
		{"header value newline", `{"url": "http://example.com/", "headers": {"X-A": "a\r\nInjected: 1"}}`, Defaults{}, `invalid value for header "X-A"`},
		{"over 1 MiB", "http://example.com/" + strings.Repeat("a", MaxLineSize), Defaults{}, "line is over 1 MiB (1048595 bytes)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, skip := ParseLine([]byte(tt.line), 42, tt.d)
			if skip {
				t.Fatalf("ParseLine(%q) skipped", tt.line)
			}
			var ie *gather.InputError
			if !errors.As(req.Err, &ie) {
				t.Fatalf("ParseLine(%q).Err = %v, want an *InputError", tt.line, req.Err)
			}
			if ie.Err.Error() != tt.want {
				t.Errorf("cause = %q, want %q", ie.Err.Error(), tt.want)
			}
			if req.Line != 42 || ie.Line != 42 {
				t.Errorf("Line = %d, InputError.Line = %d, want 42", req.Line, ie.Line)
			}
			wantInput := gather.CutUTF8(strings.Trim(tt.line, " \t\r"), gather.MaxInputEcho)
			if ie.Input != wantInput {
				t.Errorf("Input = %q, want %q", ie.Input, wantInput)
			}
			if req.URL != "" || req.Header != nil || req.Body != nil || req.ID != "" || req.Method != "" {
				t.Errorf("invalid request has fields set: %#v", req)
			}
		})
	}
}

func TestParseLineSizeLimit(t *testing.T) {
	url := "http://example.com/"
	exact := url + strings.Repeat("a", MaxLineSize-len(url))
	for _, line := range []string{exact, exact + "\r"} {
		req, _ := ParseLine([]byte(line), 1, Defaults{})
		if req.Err != nil {
			t.Errorf("line of %d bytes: %v", len(line), req.Err)
		}
	}
	for _, line := range []string{exact + "a", exact + " ", exact + "\r\r"} {
		req, _ := ParseLine([]byte(line), 1, Defaults{})
		if req.Err == nil || !strings.Contains(req.Err.Error(), "line is over 1 MiB") {
			t.Errorf("line of %d bytes: err = %v, want over 1 MiB", len(line), req.Err)
		}
	}
	// A long comment is still a comment.
	if _, skip := ParseLine([]byte("#"+strings.Repeat("x", 2*MaxLineSize)), 1, Defaults{}); !skip {
		t.Error("long comment not skipped")
	}
}

func TestParseLineEchoCut(t *testing.T) {
	// A long invalid line is echoed cut to MaxInputEcho bytes on a rune boundary.
	line := "ftp://example.com/" + strings.Repeat("é", 2000)
	req, _ := ParseLine([]byte(line), 1, Defaults{})
	var ie *gather.InputError
	if !errors.As(req.Err, &ie) {
		t.Fatalf("Err = %v", req.Err)
	}
	if len(ie.Input) > gather.MaxInputEcho || !strings.HasPrefix(line, ie.Input) || len(ie.Input) < gather.MaxInputEcho-3 {
		t.Errorf("Input has %d bytes", len(ie.Input))
	}
	if !strings.HasSuffix(ie.Input, "é") {
		t.Errorf("Input ends in a split rune: %q", ie.Input[len(ie.Input)-4:])
	}
}

func TestParseLineNoAliasing(t *testing.T) {
	for _, line := range []string{
		"https://example.com/x",
		`{"url":"https://example.com/x","method":"PUT","headers":{"A":"b"},"body":"zz","id":"i"}`,
		`{"url":"https://example.com/x","body":{"k":1},"id":123}`,
		"ftp://nope",
	} {
		b := []byte(line)
		req, _ := ParseLine(b, 1, Defaults{})
		want, _ := ParseLine([]byte(line), 1, Defaults{})
		for i := range b {
			b[i] = 'X'
		}
		if !reflect.DeepEqual(req, want) {
			t.Errorf("after overwriting the line, request changed:\n got %#v\nwant %#v", req, want)
		}
	}
}

func TestInvalidJSONKeepsID(t *testing.T) {
	for _, line := range []string{`{"url":"ftp://x/","id":"a1"}`, `{"id":"a1","url":"http://x/","method":"BAD METHOD"}`, `{"id":"a1"}`} {
		req, skip := ParseLine([]byte(line), 3, Defaults{})
		if skip || req.Err == nil || req.ID != "a1" {
			t.Errorf("%s: skip %v err %v id %q; want invalid with id a1", line, skip, req.Err, req.ID)
		}
	}
}
