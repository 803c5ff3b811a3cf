package gather_test

import (
	"testing"

	"github.com/gatherdev/gather"
)

func TestHostKey(t *testing.T) {
	for _, tc := range []struct{ url, want string }{
		{"http://Example.COM/a", "http://example.com:80"},
		{"HTTPS://example.com/a", "https://example.com:443"},
		{"http://example.com:8080/", "http://example.com:8080"},
		{"http://[::1]/", "http://[::1]:80"},
		{"https://[FE80::1%25eth0]:8443/", "https://[fe80::1%eth0]:8443"},
		{"http://127.0.0.1:9/", "http://127.0.0.1:9"},
		{"http://user:pw@host.test/", "http://host.test:80"},
		{"ftp://host.test/", ""},
		{"not a url", ""},
	} {
		r := gather.Request{URL: tc.url}
		if got := r.HostKey(); got != tc.want {
			t.Errorf("HostKey(%q) = %q, want %q", tc.url, got, tc.want)
		}
	}
}
