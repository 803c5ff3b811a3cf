package savedir

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// checkName fails unless name keeps every promise of Name.
func checkName(t testing.TB, rawURL, name string) {
	t.Helper()
	switch {
	case name == "", name == ".", name == "..":
		t.Errorf("Name(%q) = %q: empty, . or ..", rawURL, name)
	case len(name) > maxName:
		t.Errorf("Name(%q) is %d bytes, over %d", rawURL, len(name), maxName)
	case strings.ContainsAny(name, `/\`):
		t.Errorf("Name(%q) = %q holds a path separator", rawURL, name)
	case name[0] == '.' || name[0] == '-':
		t.Errorf("Name(%q) = %q starts with %q", rawURL, name, name[0])
	case strings.HasPrefix(name, ".gather-tmp-"):
		t.Errorf("Name(%q) = %q looks like a temp file", rawURL, name)
	case !utf8.ValidString(name):
		t.Errorf("Name(%q) = %q is not valid UTF-8", rawURL, name)
	}
	for i := 0; i < len(name); i++ {
		if !isSafe(name[i]) {
			t.Errorf("Name(%q) = %q holds %q, outside [A-Za-z0-9._-]", rawURL, name, name[i])
			break
		}
	}
	if strings.Contains(name, "__") {
		t.Errorf("Name(%q) = %q holds a run of _", rawURL, name)
	}
}

func TestName(t *testing.T) {
	long := strings.Repeat("a", 5000)
	tests := []struct {
		url  string
		want string // "" to check only the invariants
	}{
		// Escapes out of the directory.
		{"http://h/../../etc/passwd", "h_etc_passwd"},
		{"http://h/%2e%2e/%2e%2e/x", "h_x"},
		{"http://h/%2E%2E/%2e./.%2e/x", "h_x"},
		{"http://h/a%2fb", "h_a_b"},
		{"http://h/a%2F..%2F..%2Fb", "h_a_.._.._b"},
		{"http://h/a%5c..%5cb", "h_a_.._b"},
		{"http://h/a\\b", "h_a_b"},
		{"http://h/..\\..\\x", "h_.._.._x"},
		{"http://h//abs/path", "h_abs_path"},
		{"/etc/passwd", "etc_passwd"},
		{"//etc/passwd", "etc_passwd"},
		{"file:///etc/passwd", "etc_passwd"},
		{"..", "index"},
		{"../..", "index"},
		{"%2e%2e", "index"},
		{".", "index"},
		{"", "index"},
		{"http://h/a/..", "h_a_index"},
		{"http://h/%252e%252e/x", "h_2e_2e_x"}, // decoded once only
		// NUL and control bytes.
		{"http://h/%00x", "h_x"},
		{"http://h/a%00/%0a%0d%09b", "h_a_b"},
		{"http://h/\x00x", ""}, // does not parse
		{"http://h/a\nb", ""},  // does not parse
		// Over-long names.
		{"http://h/" + long, ""},
		{"http://h/" + long + ".json", ""},
		{"http://h/" + long + ".verylongextension", ""},
		{"http://" + strings.Repeat("h", 300) + "/x", ""},
		{"http://h/" + strings.Repeat("%C3%A9", 3000), ""},
		{"http://h/" + strings.Repeat("a/", 3000), ""},
		// Unicode.
		{"http://h/caf%C3%A9/日本.txt", "h_caf_.txt"},
		{"http://h/%EF%BC%8F..%EF%BC%8Fetc", "h_.._etc"},  // fullwidth solidus
		{"http://h/%E2%80%A4%E2%80%A4/x", "h_x"},          // one dot leaders
		{"http://h/a%E2%80%AEgpj.exe", "h_a_gpj.exe"},     // right-to-left override
		{"http://h/%C0%AE%C0%AE/x", "h_x"},                // overlong "."
		{"http://h/%ff%fe", "h_"},                         // invalid UTF-8
		{"http://xn--caf-dma.com/x", "xn--caf-dma.com_x"}, // punycode
		{"http://café.com/x", "caf_.com_x"},               // raw unicode host
		{"http://\u212A.com/x", "k.com_x"},                // Kelvin sign lowers to k
		{"http://h/\u0130", "h_"},                         // dotted capital I
		{"http://h/x%CC%B8%CC%B8", "h_x_"},                // combining marks
		{"http://h/\ufeff.json", "h_.json"},               // BOM before a dot
		// Hidden and option-like names.
		{"http://h/.hidden", "h_.hidden"},
		{"/.hidden", "_hidden"},
		{".gather-tmp-123", "_gather-tmp-123"},
		{"http://h/-rf", "h_-rf"},
		{"-rf", "_rf"},
		{"http://.h/", "_h_index"},
		{"http://-h/", "_h_index"},
		// Index and extensions.
		{"http://h", "h_index"},
		{"http://h/", "h_index"},
		{"http://h/dir/", "h_dir_index"},
		{"http://h/a.json", "h_a.json"},
		{"http://h/a.tar.gz", "h_a.tar.gz"},
		{"http://h/.json", "h_.json"},
		{"http://h/x.", "h_x."},
		// Hosts and ports.
		{"http://H.Example.COM/A", "h.example.com_A"},
		{"http://h:8080/a", "h_8080_a"},
		{"http://[::1]:8080/x", "_1_8080_x"},
		{"http://user:pass@h/x#frag", "h_x"},
		{"https://Example.com:8080/a/b%20c/report.json?x=1", "example.com_8080_a_b_c_report_1f206b11.json"},
		// Queries.
		{"http://h/a.json?x=1", "h_a_1f206b11.json"},
		{"http://h/a.json?x=2", "h_a_93188956.json"},
		{"http://h/?x=1", "h_index_1f206b11"},
		{"http://h/a?", "h_a"},
		// Oddities.
		{"mailto:a@b.c", "a_b.c"},
		{"http://h/%zz", "_6a5d296b9be22fbe"},
		{"http://h:port/x", ""},
		{"::", ""},
	}
	for _, tt := range tests {
		got := Name(tt.url)
		checkName(t, tt.url, got)
		if tt.want != "" && got != tt.want {
			t.Errorf("Name(%q) = %q, want %q", tt.url, got, tt.want)
		}
		if again := Name(tt.url); again != got {
			t.Errorf("Name(%q) = %q, then %q", tt.url, got, again)
		}
	}
}

func TestNameLong(t *testing.T) {
	long := strings.Repeat("a", 5000)
	for _, tt := range []struct{ url, ext string }{
		{"http://h/" + long, ""},
		{"http://h/" + long + ".json", ".json"},
		{"http://h/" + long + "?q=1", ""},
		{"http://h/" + long + ".json?q=1", ".json"},
		{"http://h/" + long + ".verylongextension", ""},
	} {
		got := Name(tt.url)
		checkName(t, tt.url, got)
		if len(got) != maxName {
			t.Errorf("Name(%.30q...) is %d bytes, want %d", tt.url, len(got), maxName)
		}
		if !strings.HasPrefix(got, "h_aaaa") {
			t.Errorf("Name(%.30q...) = %q, want the head kept", tt.url, got)
		}
		if tt.ext != "" && !strings.HasSuffix(got, tt.ext) {
			t.Errorf("Name(%.30q...) = %q, want it to end in %q", tt.url, got, tt.ext)
		}
	}
	// Long names that differ only in the middle get different names.
	a := Name("http://h/" + long + "x" + long)
	b := Name("http://h/" + long + "y" + long)
	if a == b {
		t.Errorf("long URLs differing in the middle share the name %q", a)
	}
}

func TestNameQuery(t *testing.T) {
	seen := map[string]string{}
	for _, u := range []string{
		"http://h/a.json",
		"http://h/a.json?x=1",
		"http://h/a.json?x=2",
		"http://h/a.json?x=1&y=2",
		"http://h/a.json?y=2&x=1",
		"http://h/a.json?X=1",
	} {
		n := Name(u)
		if other, ok := seen[n]; ok {
			t.Errorf("%q and %q share the name %q", u, other, n)
		}
		seen[n] = u
		if !strings.HasSuffix(n, ".json") {
			t.Errorf("Name(%q) = %q, want the extension kept last", u, n)
		}
	}
}

func TestNamePorts(t *testing.T) {
	a, b, c := Name("http://h/x"), Name("http://h:8080/x"), Name("http://h:8081/x")
	if a == b || b == c || a == c {
		t.Errorf("ports do not tell names apart: %q %q %q", a, b, c)
	}
}

func TestKeyTag(t *testing.T) {
	for _, tt := range []struct{ key, want string }{
		{"1f2e3d4c5b6a79881f2e3d4c5b6a7988", "1f2e3d4c"},
		{"ABCDEFGH", "ABCDEFGH"},
		{"", hashHex("", 8)},
		{"short", hashHex("short", 8)},
		{"../../../etc/passwd", hashHex("../../../etc/passwd", 8)},
		{"abc/defgh", hashHex("abc/defgh", 8)},
		{"abcdefg\x00", hashHex("abcdefg\x00", 8)},
	} {
		if got := keyTag(tt.key); got != tt.want {
			t.Errorf("keyTag(%q) = %q, want %q", tt.key, got, tt.want)
		}
	}
}

// FuzzName checks Name's promises on any input, and that the names Commit
// tries for it keep them too.
func FuzzName(f *testing.F) {
	for _, s := range []string{
		"http://h/../../etc/passwd", "http://h/%2e%2e/%2e%2e/x", "http://h/a%2fb",
		"http://h/a\\b", "http://h//abs/path", "http://h/%00x", "http://h/.hidden",
		"http://h/-rf", "http://h/a.json?x=1", "http://[::1]:8080/x", "mailto:a@b.c",
		"http://h/caf%C3%A9/日本.txt", "", ".", "..", "-", "%2e", "http://h/" + strings.Repeat("a", 300) + ".json",
		"http://h/" + strings.Repeat("%C3%A9", 100), "http://h/%zz", "http://h/\x00",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, rawURL string) {
		name := Name(rawURL)
		checkName(t, rawURL, name)
		if again := Name(rawURL); again != name {
			t.Fatalf("Name(%q) = %q, then %q", rawURL, name, again)
		}
		stem, ext := split(rawURL)
		if got := fit(stem, "", ext); got != name {
			t.Fatalf("fit(split(%q)) = %q, Name = %q", rawURL, got, name)
		}
		for _, suffix := range []string{"-1f2e3d4c", "-1f2e3d4c-2", "-1f2e3d4c-1048576"} {
			n := fit(stem, suffix, ext)
			checkName(t, rawURL, n)
			if n == name {
				t.Fatalf("suffix %q leaves the name %q as is", suffix, name)
			}
			if !strings.HasSuffix(n, suffix+ext) {
				t.Fatalf("fit(%q, %q, %q) = %q, want the suffix and extension at the end", stem, suffix, ext, n)
			}
		}
	})
}
