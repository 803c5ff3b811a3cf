package gather

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"0", 0, true},
		{"5", 5 * time.Second, true},
		{" 120 ", 2 * time.Minute, true},
		{"99999999999999999999", 0, false}, // does not parse as int64
		{"9999999999", 365 * 24 * time.Hour, true},
		{now.Add(30 * time.Second).Format(http.TimeFormat), 30 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{"Fri, 27 Nov 2026 10:00:10 GMT", 10 * time.Second, true},
		{"Friday, 27-Nov-26 10:00:10 GMT", 10 * time.Second, true}, // RFC 850
		{"", 0, false},
		{"-5", 0, false},
		{"1.5", 0, false},
		{"soon", 0, false},
		{"5s", 0, false},
	}
	for _, tt := range tests {
		got, ok := ParseRetryAfter(tt.in, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseRetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"5", "0", "-1", "Fri, 27 Nov 2026 10:00:10 GMT", "garbage", "99999999999999999999"} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := ParseRetryAfter(s, now)
		if d < 0 || (!ok && d != 0) {
			t.Fatalf("ParseRetryAfter(%q) = %v, %v", s, d, ok)
		}
	})
}

func TestParseRetryOn(t *testing.T) {
	resp := func(code int) *http.Response { return &http.Response{StatusCode: code} }
	kindErr := func(k Kind) error { return &Error{Kind: k, Err: errors.New(string(k))} }
	type outcome struct {
		resp *http.Response
		err  error
	}
	conn, timeout, proto := outcome{err: kindErr(KindConnection)}, outcome{err: kindErr(KindTimeout)}, outcome{err: kindErr(KindProtocol)}
	s := func(code int) outcome { return outcome{resp: resp(code), err: kindErr(KindHTTP)} }
	tests := []struct {
		spec     string
		retry    []outcome
		noRetry  []outcome
		mustFail bool
	}{
		{spec: DefaultRetryOn, retry: []outcome{conn, timeout, s(429), s(500), s(502), s(503), s(504)}, noRetry: []outcome{proto, s(404), s(501), s(400), {resp: resp(200)}}},
		{spec: "5xx", retry: []outcome{s(500), s(599), s(501)}, noRetry: []outcome{s(429), conn, timeout}},
		{spec: "500-502, timeout", retry: []outcome{s(500), s(502), timeout}, noRetry: []outcome{s(503), conn}},
		{spec: "protocol,404", retry: []outcome{proto, s(404)}, noRetry: []outcome{s(500)}},
		{spec: "none", noRetry: []outcome{conn, s(503)}},
		{spec: "", noRetry: []outcome{conn, s(503)}},
		{spec: "bogus", mustFail: true},
		{spec: "600", mustFail: true},
		{spec: "99", mustFail: true},
		{spec: "503-500", mustFail: true},
		{spec: "6xx", mustFail: true},
		{spec: "500-", mustFail: true},
		{spec: "invalid", mustFail: true},
	}
	for _, tt := range tests {
		check, err := ParseRetryOn(tt.spec)
		if tt.mustFail {
			if err == nil {
				t.Errorf("ParseRetryOn(%q): no error", tt.spec)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseRetryOn(%q): %v", tt.spec, err)
			continue
		}
		for _, o := range tt.retry {
			if !check(context.Background(), o.resp, o.err) {
				t.Errorf("%q does not retry %v %v", tt.spec, o.resp, o.err)
			}
		}
		for _, o := range tt.noRetry {
			if check(context.Background(), o.resp, o.err) {
				t.Errorf("%q retries %v %v", tt.spec, o.resp, o.err)
			}
		}
	}
}

func FuzzParseRetryOn(f *testing.F) {
	for _, s := range []string{DefaultRetryOn, "5xx", "500-504", "none", "", "a,,b", "100-599"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		check, err := ParseRetryOn(s)
		if err == nil {
			check(context.Background(), &http.Response{StatusCode: 503}, nil)
			check(context.Background(), nil, &Error{Kind: KindConnection, Err: errors.New("x")})
		}
	})
}

func TestBackoff(t *testing.T) {
	base, ceiling := 100*time.Millisecond, 2*time.Second
	for attempt, want := range []time.Duration{0, 100, 200, 400, 800, 1600, 2000, 2000} {
		if attempt == 0 {
			continue
		}
		want *= time.Millisecond
		if got := ExponentialCap(attempt, base, ceiling); got != want {
			t.Errorf("ExponentialCap(%d) = %v, want %v", attempt, got, want)
		}
		for range 200 {
			if d := FullJitter(attempt, base, ceiling); d < 0 || d > want {
				t.Fatalf("FullJitter(%d) = %v, outside [0, %v]", attempt, d, want)
			}
		}
	}
	if got := ExponentialCap(1000, base, ceiling); got != ceiling {
		t.Errorf("ExponentialCap(1000) = %v, want the cap", got)
	}
	// Full jitter spreads: 200 draws are not all in the lower half.
	high := 0
	for range 200 {
		if FullJitter(3, base, ceiling) > 200*time.Millisecond {
			high++
		}
	}
	if high == 0 || high == 200 {
		t.Errorf("FullJitter(3) put %d of 200 waits above half its range", high)
	}
}
