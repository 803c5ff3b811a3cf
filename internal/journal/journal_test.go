package journal

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatherdev/gather"
	"github.com/gatherdev/gather/internal/record"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func okResult(url string, body []byte) *gather.Result {
	return &gather.Result{
		Request:  gather.Request{URL: url},
		Status:   200,
		Attempts: 1,
		Started:  t0,
		Elapsed:  1200 * time.Microsecond,
		Body:     body,
		Bytes:    int64(len(body)),
	}
}

func failResult(url string) *gather.Result {
	return &gather.Result{
		Request:  gather.Request{URL: url},
		Status:   503,
		Attempts: 4,
		Started:  t0,
		Elapsed:  time.Second,
		Err:      &gather.Error{Kind: gather.KindHTTP, Status: 503, Err: errors.New("503 Service Unavailable")},
	}
}

func invalidResult(line int64, input, id string) *gather.Result {
	cause := errors.New("url has no scheme (want http:// or https://)")
	return &gather.Result{
		Request: gather.Request{ID: id, Line: line, Err: gather.NewInputError(line, input, cause)},
		Err:     &gather.Error{Kind: gather.KindInvalid, Err: gather.NewInputError(line, input, cause)},
	}
}

func rec(r *gather.Result) []byte { return record.Append(nil, r, record.Options{}) }

func key(r *gather.Result) gather.Fingerprint { return r.Request.Fingerprint() }

func writeFile(t *testing.T, content []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "out.jsonl")
	if err := os.WriteFile(path, content, 0o640); err != nil {
		t.Fatal(err)
	}
	return path
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func concat(lines ...[]byte) []byte { return bytes.Join(lines, nil) }

func TestKeyMatchesFingerprint(t *testing.T) {
	post := okResult("http://h/p", nil)
	post.Request.Method = "POST"
	post.Request.Body = []byte(`{"q":1}`)
	post.Status, post.Err = 503, &gather.Error{Kind: gather.KindHTTP, Status: 503, Err: errors.New("503 Service Unavailable")}
	postID := okResult("http://h/p", []byte("x"))
	postID.Request.Method, postID.Request.Body, postID.Request.ID = "POST", []byte("b"), "item-9"
	withID := okResult("http://h/b", []byte("abc"))
	withID.Request.ID = "item-7"
	head := okResult("http://h/a", nil)
	head.Request.Method = "HEAD"
	getExplicit := okResult("http://h/a2", []byte("abc"))
	getExplicit.Request.Method = "GET"
	invalidURL := invalidResult(5, "ftp://x", "")
	invalidURL.Request.URL = "ftp://x"
	tests := []struct {
		name  string
		r     *gather.Result
		field string // a member the record must have
	}{
		{"get without id", okResult("http://h/a", []byte("abc")), `"url":"http://h/a"`},
		{"get, method given", getExplicit, `"method":"GET"`},
		{"head", head, `"method":"HEAD"`},
		{"failed get", failResult("http://h/z"), `"ok":false`},
		{"get with id", withID, `"id":"item-7"`},
		{"post with body", post, `"fp":"`},
		{"post with body and id", postID, `"id":"item-9"`},
		{"json body", okResult("http://h/j", []byte(`{"url":"http://other/","id":"no","ok":false,"fp":"00"}`)), `"body":{`},
		{"binary body", okResult("http://h/bin", []byte{0xff, 0, 1}), `"body_encoding"`},
		{"unicode url", okResult("http://h/é\u2028", nil), `\u2028`},
		{"invalid line", invalidResult(3, "not a url", ""), `"line":3`},
		{"invalid line with id", invalidResult(4, "bad\tline", "item-1"), `"id":"item-1"`},
		{"invalid line without number", invalidResult(0, "bad", ""), `"input":"bad"`},
		{"invalid line with url", invalidURL, `"input":"ftp://x"`},
		{"invalid long line", invalidResult(7, strings.Repeat("é", 600), ""), `"input":"`},
		{"invalid line, same input", invalidResult(8, "not a url", ""), `"line":8`},
	}
	seen := map[gather.Fingerprint]string{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line := rec(tt.r)
			if !bytes.Contains(line, []byte(tt.field)) {
				t.Fatalf("record %s lacks %s", line, tt.field)
			}
			got, ok, err := Key(line[:len(line)-1])
			if err != nil {
				t.Fatalf("Key(%s): %v", line, err)
			}
			if want := key(tt.r); got != want {
				t.Errorf("Key(%s) = %v, want %v", line, got, want)
			}
			if ok != tt.r.OK() {
				t.Errorf("Key(%s) ok = %v, want %v", line, ok, tt.r.OK())
			}
			// With its newline, too.
			if got2, _, err := Key(line); err != nil || got2 != got {
				t.Errorf("Key with newline = %v, %v; want %v", got2, err, got)
			}
			if other, dup := seen[got]; dup {
				t.Errorf("same key as %q", other)
			}
			seen[got] = tt.name
		})
	}
}

func TestKeyExamples(t *testing.T) {
	fp := (&gather.Request{Method: "POST", URL: "http://h/p", Body: []byte("x")}).Fingerprint()
	tests := []struct {
		line string
		want gather.Fingerprint
		ok   bool
	}{
		{`{"url":"http://h/a","method":"GET","ok":true,"status":200,"attempts":1,"started":"2025-03-01T12:00:00.000Z","elapsed_ms":1.2,"bytes":3,"body":"abc","error":null}`,
			(&gather.Request{URL: "http://h/a"}).Fingerprint(), true},
		{`{"url":"http://h/p","method":"POST","fp":"` + fp.String() + `","ok":false,"status":503,"attempts":4,"error":{"kind":"http","message":"503 Service Unavailable"}}`,
			fp, false},
		{`{"url":"http://h/b","method":"GET","id":"item-7","ok":true,"attempts":1}`,
			(&gather.Request{ID: "item-7"}).Fingerprint(), true},
		{`{"url":"http://h/b","method":"GET","id":"","ok":true,"attempts":1}`,
			(&gather.Request{URL: "http://h/b"}).Fingerprint(), true},
		{`{"url":"http://h/b","ok":true,"attempts":1}`,
			(&gather.Request{URL: "http://h/b", Method: "GET"}).Fingerprint(), true},
		{`{"ok":false,"attempts":0,"error":{"kind":"invalid","message":"x"},"input":"not a url","line":3}`,
			(&gather.Request{Err: gather.NewInputError(3, "not a url", errors.New("y"))}).Fingerprint(), false},
		{`{"id":"i","ok":false,"attempts":0,"error":{"kind":"invalid","message":"x"},"input":"not a url","line":3}`,
			(&gather.Request{Err: gather.NewInputError(3, "not a url", errors.New("y"))}).Fingerprint(), false},
		{` {"ok" : true , "attempts" : 1.5e0 , "url" : "http://h/a" , "error" : "odd"} `,
			(&gather.Request{URL: "http://h/a"}).Fingerprint(), true},
	}
	for _, tt := range tests {
		got, ok, err := Key([]byte(tt.line))
		if err != nil || got != tt.want || ok != tt.ok {
			t.Errorf("Key(%s) = %v, %v, %v; want %v, %v", tt.line, got, ok, err, tt.want, tt.ok)
		}
	}
}

// ReadEntry reads the attempts beside the key, in range whatever the number.
func TestReadEntryAttempts(t *testing.T) {
	for line, want := range map[string]int{
		`{"url":"http://h/a","ok":true,"attempts":3}`:     3,
		`{"url":"http://h/a","ok":false,"attempts":0}`:    0,
		`{"url":"http://h/a","ok":true,"attempts":-2}`:    0,
		`{"url":"http://h/a","ok":true,"attempts":1e300}`: 1 << 30,
		`{"url":"http://h/a","ok":true,"attempts":2.7}`:   2,
	} {
		e, err := ReadEntry([]byte(line))
		if err != nil || e.Attempts != want || e.Key != (&gather.Request{URL: "http://h/a"}).Fingerprint() {
			t.Errorf("ReadEntry(%s) = %+v, %v; want %d attempts", line, e, err, want)
		}
	}
}

var notRecordLines = []struct{ name, line string }{
	{"plain text", "hello world"},
	{"empty line", ""},
	{"blank line", "   "},
	{"json array", `[{"url":"http://h/a","ok":true,"attempts":1}]`},
	{"json string", `"x"`},
	{"json null", `null`},
	{"object without ok or attempts", `{"url":"http://h/a","method":"GET"}`},
	{"object without attempts", `{"url":"http://h/a","ok":true}`},
	{"object without ok", `{"url":"http://h/a","attempts":1}`},
	{"object without url or input", `{"ok":true,"attempts":1}`},
	{"ok not a boolean", `{"url":"http://h/a","ok":"true","attempts":1}`},
	{"ok null", `{"url":"http://h/a","ok":null,"attempts":1}`},
	{"attempts a string", `{"url":"http://h/a","ok":true,"attempts":"1"}`},
	{"url a number", `{"url":1,"ok":true,"attempts":1}`},
	{"url null", `{"url":null,"ok":true,"attempts":1}`},
	{"bad fp", `{"url":"http://h/a","fp":"xyz","ok":true,"attempts":1}`},
	{"truncated object", `{"url":"http://h/a","ok":true,"attempts":1`},
	{"trailing data", `{"url":"http://h/a","ok":true,"attempts":1} x`},
	{"two objects", `{"url":"http://h/a","ok":true,"attempts":1}{}`},
}

func TestKeyNotRecord(t *testing.T) {
	for _, tt := range notRecordLines {
		if k, _, err := Key([]byte(tt.line)); err == nil {
			t.Errorf("%s: Key(%s) = %v, want an error", tt.name, tt.line, k)
		} else {
			t.Logf("%s: %v", tt.name, err)
		}
	}
}

func TestOpenTornLastLine(t *testing.T) {
	r1, r2, r3 := rec(okResult("http://h/1", []byte("a"))), rec(failResult("http://h/2")), rec(okResult("http://h/3", []byte("c")))
	torn := r3[:len(r3)/2]
	path := writeFile(t, concat(r1, r2, torn))
	j, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := readFile(t, path), concat(r1, r2); !bytes.Equal(got, want) {
		t.Errorf("after Open the file is\n%q\nwant\n%q", got, want)
	}
	if j.Records() != 2 || j.Len() != 2 || j.Duplicates() != 0 || j.Repaired() != int64(len(torn)) {
		t.Errorf("Records, Len, Duplicates, Repaired = %d, %d, %d, %d; want 2, 2, 0, %d",
			j.Records(), j.Len(), j.Duplicates(), j.Repaired(), len(torn))
	}
	if found, ok := j.Lookup(key(okResult("http://h/1", nil))); !found || !ok {
		t.Errorf("Lookup(1) = %v, %v; want true, true", found, ok)
	}
	if found, ok := j.Lookup(key(failResult("http://h/2"))); !found || ok {
		t.Errorf("Lookup(2) = %v, %v; want true, false", found, ok)
	}
	if found, _ := j.Lookup(key(okResult("http://h/3", nil))); found {
		t.Error("the torn record was counted")
	}

	// Reopening finds nothing more to repair.
	j, err = Open(path)
	if err != nil || j.Repaired() != 0 || j.Records() != 2 {
		t.Errorf("reopen: %v, repaired %d, records %d", err, j.Repaired(), j.Records())
	}
}

func TestOpenTornCompleteJSON(t *testing.T) {
	// A last line that is a whole record but lacks its "\n" is still torn.
	r1, r2 := rec(okResult("http://h/1", nil)), rec(okResult("http://h/2", nil))
	path := writeFile(t, concat(r1, r2[:len(r2)-1]))
	j, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, path); !bytes.Equal(got, r1) {
		t.Errorf("after Open the file is %q, want %q", got, r1)
	}
	if j.Records() != 1 || j.Repaired() != int64(len(r2)-1) {
		t.Errorf("Records, Repaired = %d, %d", j.Records(), j.Repaired())
	}
}

func TestOpenOnlyTornFragment(t *testing.T) {
	for _, frag := range []string{`{"url":"http://h/a","meth`, "x", "not even json"} {
		path := writeFile(t, []byte(frag))
		j, err := Open(path)
		if err != nil {
			t.Fatalf("%q: %v", frag, err)
		}
		if got := readFile(t, path); len(got) != 0 {
			t.Errorf("%q: after Open the file is %q, want it empty", frag, got)
		}
		if j.Records() != 0 || j.Len() != 0 || j.Repaired() != int64(len(frag)) {
			t.Errorf("%q: Records, Len, Repaired = %d, %d, %d", frag, j.Records(), j.Len(), j.Repaired())
		}
	}
}

func TestOpenEmpty(t *testing.T) {
	path := writeFile(t, nil)
	j, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if j.Records() != 0 || j.Len() != 0 || j.Repaired() != 0 || j.Duplicates() != 0 {
		t.Errorf("empty file: %d records, %d keys, %d repaired, %d duplicates", j.Records(), j.Len(), j.Repaired(), j.Duplicates())
	}
	if found, _ := j.Lookup(key(okResult("http://h/1", nil))); found {
		t.Error("found a key in an empty file")
	}
}

func TestOpenMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.jsonl")
	if _, err := Open(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open(missing) = %v, want ErrNotExist", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Error("Open created the file")
	}
	if _, _, err := Compact(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Compact(missing) = %v, want ErrNotExist", err)
	}
}

func TestOpenRefusesOtherFiles(t *testing.T) {
	r1, r2, r4 := rec(okResult("http://h/1", nil)), rec(okResult("http://h/2", nil)), rec(okResult("http://h/4", nil))
	for _, tt := range []struct{ name, line3 string }{
		{"plain text", "just some text"},
		{"json array", `[1,2,3]`},
		{"json object without ok and attempts", `{"url":"http://h/3","method":"GET"}`},
		{"empty line", ""},
	} {
		for _, tornTail := range []bool{false, true} {
			content := concat(r1, r2, []byte(tt.line3+"\n"), r4)
			if tornTail {
				content = append(content, r4[:10]...)
			}
			path := writeFile(t, content)
			before, _ := os.Stat(path)
			_, err := Open(path)
			if err == nil {
				t.Fatalf("%s (torn %v): Open accepted it", tt.name, tornTail)
			}
			for _, want := range []string{path, "line 3", "not a gather records file"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("%s (torn %v): error %q does not say %q", tt.name, tornTail, err, want)
				}
			}
			if got := readFile(t, path); !bytes.Equal(got, content) {
				t.Errorf("%s (torn %v): Open changed the file", tt.name, tornTail)
			}
			_, _, err = Compact(path)
			if err == nil || !strings.Contains(err.Error(), "line 3") || !strings.Contains(err.Error(), path) {
				t.Errorf("%s (torn %v): Compact = %v, want a line 3 error", tt.name, tornTail, err)
			}
			if got := readFile(t, path); !bytes.Equal(got, content) {
				t.Errorf("%s (torn %v): Compact changed the file", tt.name, tornTail)
			}
			after, _ := os.Stat(path)
			if !after.ModTime().Equal(before.ModTime()) || after.Size() != before.Size() {
				t.Errorf("%s (torn %v): the file was touched", tt.name, tornTail)
			}
			assertNoTemp(t, filepath.Dir(path))
		}
	}
}

func TestSupersession(t *testing.T) {
	a, b, c := "http://h/a", "http://h/b", "http://h/c"
	content := concat(
		rec(failResult(a)), rec(okResult(a, []byte("x"))), // not ok, then ok
		rec(okResult(b, nil)), rec(failResult(b)), // ok, then not ok
		rec(okResult(c, nil)),
		rec(failResult(b)), rec(failResult(a)), rec(okResult(a, nil)),
		rec(invalidResult(9, "oops", "")), rec(invalidResult(9, "oops", "")),
	)
	j, err := Open(writeFile(t, content))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		url       string
		found, ok bool
	}{{a, true, true}, {b, true, false}, {c, true, true}, {"http://h/d", false, false}} {
		found, ok := j.Lookup(key(okResult(tt.url, nil)))
		if found != tt.found || ok != tt.ok {
			t.Errorf("Lookup(%s) = %v, %v; want %v, %v", tt.url, found, ok, tt.found, tt.ok)
		}
	}
	if found, ok := j.Lookup(key(invalidResult(9, "oops", "any id"))); !found || ok {
		t.Errorf("Lookup(invalid line 9) = %v, %v; want true, false", found, ok)
	}
	if found, _ := j.Lookup(key(invalidResult(10, "oops", ""))); found {
		t.Error("Lookup(invalid line 10) found a record")
	}
	if j.Records() != 10 || j.Len() != 4 || j.Duplicates() != 6 {
		t.Errorf("Records, Len, Duplicates = %d, %d, %d; want 10, 4, 6", j.Records(), j.Len(), j.Duplicates())
	}
}

func assertNoTemp(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if e.Name() != "out.jsonl" {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}

func TestCompact(t *testing.T) {
	a, b, c, d := "http://h/a", "http://h/b", "http://h/c", "http://h/d"
	post1 := okResult("http://h/p", nil)
	post1.Request.Method, post1.Request.Body = "POST", []byte("one")
	post2 := okResult("http://h/p", nil)
	post2.Request.Method, post2.Request.Body = "POST", []byte("two")
	post1b := failResult("http://h/p")
	post1b.Request.Method, post1b.Request.Body = "POST", []byte("one")
	lines := [][]byte{
		rec(failResult(a)),                 // 0 superseded by 2
		rec(okResult(b, []byte("b1"))),     // 1 superseded by 5
		rec(okResult(a, []byte("a2"))),     // 2 kept
		rec(okResult(c, nil)),              // 3 kept
		rec(post1),                         // 4 superseded by 8
		rec(failResult(b)),                 // 5 kept
		rec(post2),                         // 6 kept
		rec(invalidResult(3, "x", "")),     // 7 kept
		rec(post1b),                        // 8 kept
		rec(invalidResult(4, "x", "")),     // 9 superseded by 10
		rec(invalidResult(4, "x", "id-4")), // 10 kept
		rec(okResult(d, nil)),              // 11 kept
	}
	want := concat(lines[2], lines[3], lines[5], lines[6], lines[7], lines[8], lines[10], lines[11])
	path := writeFile(t, concat(lines...))
	kept, dropped, err := Compact(path)
	if err != nil {
		t.Fatal(err)
	}
	if kept != 8 || dropped != 4 {
		t.Errorf("Compact = %d kept, %d dropped; want 8, 4", kept, dropped)
	}
	if got := readFile(t, path); !bytes.Equal(got, want) {
		t.Errorf("after Compact the file is\n%s\nwant\n%s", got, want)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("mode after Compact: %v, %v; want 0640", fi.Mode(), err)
	}
	assertNoTemp(t, filepath.Dir(path))

	j, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if j.Duplicates() != 0 || j.Records() != 8 || j.Len() != 8 {
		t.Errorf("reopened: Duplicates, Records, Len = %d, %d, %d; want 0, 8, 8", j.Duplicates(), j.Records(), j.Len())
	}
	if found, ok := j.Lookup(key(post1)); !found || ok {
		t.Errorf("Lookup(post one) = %v, %v; want true, false", found, ok)
	}

	// Compacting again changes nothing.
	kept, dropped, err = Compact(path)
	if err != nil || kept != 8 || dropped != 0 {
		t.Errorf("second Compact = %d, %d, %v; want 8, 0, nil", kept, dropped, err)
	}
	if got := readFile(t, path); !bytes.Equal(got, want) {
		t.Error("second Compact changed the file")
	}
	assertNoTemp(t, filepath.Dir(path))
}

func TestCompactTornAndEmpty(t *testing.T) {
	r1, r2 := rec(okResult("http://h/1", nil)), rec(okResult("http://h/2", nil))
	path := writeFile(t, concat(r1, r1, r2, r2[:7]))
	kept, dropped, err := Compact(path)
	if err != nil || kept != 2 || dropped != 1 {
		t.Fatalf("Compact = %d, %d, %v; want 2, 1, nil", kept, dropped, err)
	}
	if got := readFile(t, path); !bytes.Equal(got, concat(r1, r2)) {
		t.Errorf("after Compact the file is %q", got)
	}
	assertNoTemp(t, filepath.Dir(path))

	// Only a torn line: the result is empty.
	path = writeFile(t, r2[:7])
	if kept, dropped, err := Compact(path); err != nil || kept != 0 || dropped != 0 {
		t.Fatalf("Compact(torn only) = %d, %d, %v", kept, dropped, err)
	}
	if got := readFile(t, path); len(got) != 0 {
		t.Errorf("after Compact the file is %q, want empty", got)
	}

	path = writeFile(t, nil)
	if kept, dropped, err := Compact(path); err != nil || kept != 0 || dropped != 0 {
		t.Fatalf("Compact(empty) = %d, %d, %v", kept, dropped, err)
	}
	if got := readFile(t, path); len(got) != 0 {
		t.Errorf("after Compact the file is %q, want empty", got)
	}
	assertNoTemp(t, filepath.Dir(path))
}

func TestCompactLongLine(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdef"), 2<<20/16) // 2 MiB
	rBig := rec(okResult("http://h/big", big))
	rBig2 := rec(okResult("http://h/big", append([]byte("v2"), big...)))
	r1, r2 := rec(okResult("http://h/1", nil)), rec(failResult("http://h/2"))
	path := writeFile(t, concat(r1, rBig, r2, r1, rBig2, rBig[:1<<20]))
	kept, dropped, err := Compact(path)
	if err != nil || kept != 3 || dropped != 2 {
		t.Fatalf("Compact = %d, %d, %v; want 3, 2, nil", kept, dropped, err)
	}
	if got, want := readFile(t, path), concat(r2, r1, rBig2); !bytes.Equal(got, want) {
		t.Errorf("after Compact the file has %d bytes, want %d (the same)", len(got), len(want))
	}
	assertNoTemp(t, filepath.Dir(path))
	j, err := Open(path)
	if err != nil || j.Records() != 3 || j.Duplicates() != 0 {
		t.Errorf("reopened: %v", err)
	}
}

func TestOpenHugeBody(t *testing.T) {
	body := bytes.Repeat([]byte("x\"y\\z\n"), 5<<20/6+1) // > 5 MiB, escaped bigger still
	big := rec(okResult("http://h/huge", body))
	if len(big) < 5<<20 {
		t.Fatalf("record is only %d bytes", len(big))
	}
	jsonBody := rec(okResult("http://h/json", []byte(`{"a":"`+strings.Repeat("q", 5<<20)+`"}`)))
	r1 := rec(okResult("http://h/1", nil))
	path := writeFile(t, concat(r1, big, jsonBody, r1))
	j, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if j.Records() != 4 || j.Len() != 3 || j.Duplicates() != 1 || j.Repaired() != 0 {
		t.Errorf("Records, Len, Duplicates, Repaired = %d, %d, %d, %d", j.Records(), j.Len(), j.Duplicates(), j.Repaired())
	}
	for _, u := range []string{"http://h/huge", "http://h/json"} {
		if found, ok := j.Lookup(key(okResult(u, nil))); !found || !ok {
			t.Errorf("Lookup(%s) = %v, %v", u, found, ok)
		}
	}
}

func TestDeeplyNestedBody(t *testing.T) {
	// The record writer embeds JSON bodies up to 9999 levels deep, so that
	// the record, one level more, is still read.
	const depth = 9999
	body := strings.Repeat("[", depth) + strings.Repeat("]", depth)
	line := rec(okResult("http://h/deep", []byte(body)))
	if !bytes.Contains(line, []byte(`"body":[[`)) {
		t.Fatal("the body was not embedded")
	}
	if k, _, err := Key(line); err != nil || k != key(okResult("http://h/deep", nil)) {
		t.Errorf("Key = %v, %v", k, err)
	}
}

func TestLineReader(t *testing.T) {
	long := strings.Repeat("L", 200<<10)
	in := "a\n\n" + long + "\nb\n" + long
	lr := newLineReader(strings.NewReader(in))
	var got []string
	var completes []bool
	for {
		line, complete, err := lr.next()
		if err != nil {
			break
		}
		got = append(got, string(line))
		completes = append(completes, complete)
	}
	want := []string{"a\n", "\n", long + "\n", "b\n", long}
	if len(got) != len(want) {
		t.Fatalf("got %d lines, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] || completes[i] != (i < 4) {
			t.Errorf("line %d: %d bytes, complete %v", i, len(got[i]), completes[i])
		}
	}
	if lr.off != int64(len(in)) {
		t.Errorf("off = %d, want %d", lr.off, len(in))
	}
}

func TestEach(t *testing.T) {
	good := string(record.Append(nil, &gather.Result{Request: gather.Request{URL: "http://h/a"}, Status: 200, Attempts: 1}, record.Options{}))
	var lines []int64
	torn, err := Each(strings.NewReader(good+good+`{"url":"http://h/b","ok`), func(n int64, line []byte, key gather.Fingerprint) error {
		lines = append(lines, n)
		if string(line) != good || key != (&gather.Request{URL: "http://h/a"}).Fingerprint() {
			t.Errorf("line %d: %q, key %v", n, line, key)
		}
		return nil
	})
	if err != nil || !torn || len(lines) != 2 {
		t.Errorf("torn %v err %v lines %v; want the 2 whole records and a torn one", torn, err, lines)
	}
	if _, err := Each(strings.NewReader(good+"not a record\n"), func(int64, []byte, gather.Fingerprint) error { return nil }); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("a line that is not a record: %v, want an error naming line 2", err)
	}
}

// TestKeyOfTextThatIsNotUTF8 checks that a record whose request holds bytes
// a JSON string cannot keep (a URL in a legacy encoding, an id, an invalid
// line) still has its request's key, so that --resume and collect --resume
// know it.
func TestKeyOfTextThatIsNotUTF8(t *testing.T) {
	for _, r := range []*gather.Result{
		{Request: gather.Request{URL: "http://h/?q=caf\xe9"}, Status: 200},
		{Request: gather.Request{URL: "http://h/", ID: "id-\xff"}, Status: 200},
		{Request: gather.Request{URL: "http://h/", Method: "POST", Body: []byte("x")}, Status: 200},
		invalidResult(4, "caf\xe9 is not a url", ""),
	} {
		got, _, err := Key(bytes.TrimSuffix(rec(r), []byte("\n")))
		if err != nil || got != key(r) {
			t.Errorf("%s: key %s, %v; want %s", rec(r), got, err, key(r))
		}
	}
}
