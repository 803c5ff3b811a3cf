package main

import (
	"strings"
	"testing"

	"github.com/gatherdev/gather/gathertest"
)

func TestRedactArgs(t *testing.T) {
	in := []string{"fetch", "-H", "Authorization: Bearer SECRET1", "--header=Cookie: s=SECRET2", "-HX-Api-Key: SECRET3",
		"https://user:SECRET4@example.com/a", "-o", "out.jsonl", "https://example.com/b?q=1"}
	got := strings.Join(redactArgs(in), " ")
	for _, secret := range []string{"SECRET1", "SECRET2", "SECRET3", "SECRET4"} {
		if strings.Contains(got, secret) {
			t.Errorf("%s shows in %q", secret, got)
		}
	}
	for _, kept := range []string{"Authorization: REDACTED", "Cookie: REDACTED", "X-Api-Key: REDACTED", "user:REDACTED@example.com", "out.jsonl", "https://example.com/b?q=1"} {
		if !strings.Contains(got, kept) {
			t.Errorf("%q lost %q", got, kept)
		}
	}
}

// A secret given with -H, or as a URL's password, shows nowhere but where
// the request needs it: not in usage errors, summaries or records.
func TestSecretsStayOut(t *testing.T) {
	srv := gathertest.NewServer(t)
	for _, args := range [][]string{
		{"-H", "Authorization Bearer SECRET-A", srv.URL + "/status/200"},      // no colon: usage error
		{"-H", "Authorization: Bearer SECRET-A\x01", srv.URL + "/status/200"}, // bad value: usage error
		{"-H", "Authorization: Bearer SECRET-A", srv.URL + "/status/500", srv.URL + "/redirect/2", "not a url"},
	} {
		r := gatherFetch(t, nil, args...)
		for _, out := range []string{r.stderr, r.stdout} {
			if strings.Contains(out, "SECRET-A") {
				t.Errorf("gather %q printed the secret:\n%s", args, out)
			}
		}
	}
}
