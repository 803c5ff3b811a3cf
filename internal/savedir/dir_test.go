package savedir

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// newDir opens a fresh save directory and, once the test is over, checks
// that it holds no temp files.
func newDir(t *testing.T) *Dir {
	t.Helper()
	d, err := Open(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	noTemps(t, d.Path())
	return d
}

// noTemps checks, once the test is over, that dir holds no temp files.
func noTemps(t *testing.T, dir string) {
	t.Helper()
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, name := range list(t, abs) {
			if strings.HasPrefix(name, ".gather-tmp-") {
				t.Errorf("temp file %s left in %s", name, abs)
			}
		}
	})
}

// list returns the sorted names in dir.
func list(t testing.TB, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	slices.Sort(names)
	return names
}

// save saves body for rawURL and key, checks that it landed inside d with
// that content, and returns its path.
func save(t testing.TB, d *Dir, rawURL, key string, body []byte) string {
	t.Helper()
	f, err := d.Create(rawURL, key)
	if err != nil {
		t.Fatal(err)
	}
	// In pieces, as a response body comes.
	for rest := body; len(rest) > 0; {
		n := min(len(rest), 7)
		if _, err := f.Write(rest[:n]); err != nil {
			f.Abort()
			t.Fatal(err)
		}
		rest = rest[n:]
	}
	path, err := f.Commit()
	if err != nil {
		t.Fatal(err)
	}
	if dir := filepath.Dir(path); dir != filepath.Clean(d.Path()) {
		t.Fatalf("saved %q at %s, outside %s", rawURL, path, d.Path())
	}
	checkFile(t, path, body)
	return path
}

// checkFile checks that path is a regular file holding want.
func checkFile(t testing.TB, path string, want []byte) {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if !fi.Mode().IsRegular() {
		t.Fatalf("%s is %v, not a regular file", path, fi.Mode())
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s holds %q, want %q", path, got, want)
	}
}

const (
	key1 = "1f2e3d4c5b6a79881f2e3d4c5b6a7988"
	key2 = "aabbccdd00112233aabbccdd00112233"
)

func TestSave(t *testing.T) {
	d := newDir(t)
	path := save(t, d, "http://h/a.json", key1, []byte(`{"a":1}`))
	if want := filepath.Join(d.Path(), "h_a.json"); path != want {
		t.Errorf("path = %s, want %s", path, want)
	}
	// An empty body is a file too.
	path = save(t, d, "http://h/empty", key1, nil)
	if want := filepath.Join(d.Path(), "h_empty"); path != want {
		t.Errorf("path = %s, want %s", path, want)
	}
	if got, want := list(t, d.Path()), []string{"h_a.json", "h_empty"}; !slices.Equal(got, want) {
		t.Errorf("dir holds %q, want %q", got, want)
	}
}

func TestCollisions(t *testing.T) {
	d := newDir(t)
	dir := d.Path()
	// Different queries are different names, not a collision.
	p1 := save(t, d, "http://h/a.json?x=1", key1, []byte("q1"))
	p2 := save(t, d, "http://h/a.json?x=2", key1, []byte("q2"))
	if filepath.Base(p1) != Name("http://h/a.json?x=1") || filepath.Base(p2) != Name("http://h/a.json?x=2") {
		t.Errorf("query variants saved at %s and %s, want their own names", p1, p2)
	}

	// The same URL again is: the key's tag, then a counter.
	want := map[string]string{
		"h_a.json":                   "first",
		"h_a-aabbccdd.json":          "second",
		"h_a-1f2e3d4c.json":          "third",
		"h_a-1f2e3d4c-2.json":        "fourth",
		"h_a-1f2e3d4c-3.json":        "fifth",
		"h_a-aabbccdd-2.json":        "sixth",
		"h_a_1f206b11.json":          "q1",
		"h_a_93188956.json":          "q2",
		"h_index":                    "index",
		"h_index-1f2e3d4c":           "index again",
		"h_index-1f2e3d4c-2":         "index a third time",
		"h_index-1f2e3d4c-3":         "index a fourth time",
		"h_a_1f206b11-1f2e3d4c.json": "q1 again",
	}
	steps := []struct{ url, key, body, name string }{
		{"http://h/a.json", key2, "first", "h_a.json"},
		{"http://h/a.json", key2, "second", "h_a-aabbccdd.json"},
		{"http://h/a.json", key1, "third", "h_a-1f2e3d4c.json"},
		{"http://h/a.json", key1, "fourth", "h_a-1f2e3d4c-2.json"},
		{"https://h/a.json", key1, "fifth", "h_a-1f2e3d4c-3.json"},
		{"http://h/a.json", key2, "sixth", "h_a-aabbccdd-2.json"},
		{"http://h/", key1, "index", "h_index"},
		{"http://h", key1, "index again", "h_index-1f2e3d4c"},
		{"http://h/..", key1, "index a third time", "h_index-1f2e3d4c-2"},
		{"http://h/%2e%2e/", key1, "index a fourth time", "h_index-1f2e3d4c-3"},
		{"http://h/a.json?x=1", key1, "q1 again", "h_a_1f206b11-1f2e3d4c.json"},
	}
	for _, s := range steps {
		path := save(t, d, s.url, s.key, []byte(s.body))
		if want := filepath.Join(dir, s.name); path != want {
			t.Errorf("%s saved at %s, want %s", s.url, path, want)
		}
	}
	got := list(t, dir)
	if len(got) != len(want) {
		t.Errorf("dir holds %q, want %d files", got, len(want))
	}
	for name, body := range want {
		checkFile(t, filepath.Join(dir, name), []byte(body))
	}
}

func TestEarlierRun(t *testing.T) {
	d := newDir(t)
	dir := d.Path()
	old := filepath.Join(dir, Name("http://h/a.json"))
	if err := os.WriteFile(old, []byte("from an earlier run"), 0o644); err != nil {
		t.Fatal(err)
	}
	path := save(t, d, "http://h/a.json", key1, []byte("new"))
	if want := filepath.Join(dir, "h_a-1f2e3d4c.json"); path != want {
		t.Errorf("saved at %s, want %s", path, want)
	}
	checkFile(t, old, []byte("from an earlier run"))

	// A second run sees both files of the first and keeps them.
	d2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	path = save(t, d2, "http://h/a.json", key1, []byte("newer"))
	if want := filepath.Join(dir, "h_a-1f2e3d4c-2.json"); path != want {
		t.Errorf("saved at %s, want %s", path, want)
	}
	checkFile(t, old, []byte("from an earlier run"))
	checkFile(t, filepath.Join(dir, "h_a-1f2e3d4c.json"), []byte("new"))
}

func TestPlanted(t *testing.T) {
	d := newDir(t)
	dir := d.Path()
	outside := filepath.Join(t.TempDir(), "victim")
	nothing := filepath.Join(t.TempDir(), "nothing")
	if err := os.WriteFile(outside, []byte("precious"), 0o644); err != nil {
		t.Fatal(err)
	}
	planted := []struct {
		url   string
		plant func(path string) error
	}{
		{"http://h/link", func(p string) error { return os.Symlink(outside, p) }},
		{"http://h/dangling", func(p string) error { return os.Symlink(nothing, p) }},
		{"http://h/rel", func(p string) error { return os.Symlink("../../"+filepath.Base(filepath.Dir(outside))+"/victim", p) }},
		{"http://h/dir", func(p string) error { return os.Mkdir(p, 0o755) }},
	}
	for _, p := range planted {
		name := Name(p.url)
		at := filepath.Join(dir, name)
		if err := p.plant(at); err != nil {
			t.Fatal(err)
		}
		before, err := os.Lstat(at)
		if err != nil {
			t.Fatal(err)
		}
		path := save(t, d, p.url, key1, []byte("body for "+p.url))
		if path == at {
			t.Errorf("%s saved over what was planted at %s", p.url, at)
		}
		after, err := os.Lstat(at)
		if err != nil {
			t.Fatal(err)
		}
		if before.Mode() != after.Mode() || !os.SameFile(before, after) {
			t.Errorf("%s: what was planted at %s was replaced", p.url, at)
		}
		checkFile(t, outside, []byte("precious"))
	}
	if _, err := os.Lstat(nothing); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a dangling symlink was followed: %v", err)
	}
}

func TestHostileURLsStayInside(t *testing.T) {
	d := newDir(t)
	parent := filepath.Dir(d.Path())
	urls := []string{
		"http://h/../../etc/passwd", "http://h/%2e%2e/%2e%2e/x", "http://h/a%2fb",
		"http://h/a\\b", "http://h//abs/path", "http://h/%00x", "http://h/" + strings.Repeat("a", 5000),
		"http://h/caf%C3%A9/日本.txt", "http://h/.hidden", "http://h/-rf", "/etc/passwd",
		"..", ".", "", "http://h/\x00", "../out2/x", "http://h/..%2f..%2fout2",
	}
	for i, u := range urls {
		save(t, d, u, fmt.Sprintf("%032x", i), []byte(u))
	}
	if got := list(t, d.Path()); len(got) != len(urls) {
		t.Errorf("dir holds %d files, want %d: %q", len(got), len(urls), got)
	}
	if got := list(t, parent); !slices.Equal(got, []string{"out"}) {
		t.Errorf("the directory's parent holds %q, want only out", got)
	}
}

func TestConcurrent(t *testing.T) {
	d := newDir(t)
	const n = 50
	paths := make([]string, n)
	bodies := make([][]byte, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		bodies[i] = bytes.Repeat([]byte(fmt.Sprintf("body %d\n", i)), 1000+i)
		wg.Go(func() {
			// A few keys only, so that tags collide as well as names.
			f, err := d.Create("http://h/same.json", fmt.Sprintf("%032x", i%3))
			if err != nil {
				errs[i] = err
				return
			}
			for rest := bodies[i]; len(rest) > 0; {
				k := min(len(rest), 512)
				if _, err := f.Write(rest[:k]); err != nil {
					f.Abort()
					errs[i] = err
					return
				}
				rest = rest[k:]
				runtime.Gosched()
			}
			paths[i], errs[i] = f.Commit()
		})
	}
	wg.Wait()
	seen := map[string]int{}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("body %d: %v", i, errs[i])
		}
		if j, ok := seen[paths[i]]; ok {
			t.Fatalf("bodies %d and %d both saved at %s", j, i, paths[i])
		}
		seen[paths[i]] = i
		checkFile(t, paths[i], bodies[i])
	}
	if got := list(t, d.Path()); len(got) != n {
		t.Errorf("dir holds %d files, want %d", len(got), n)
	}
}

func TestAbort(t *testing.T) {
	d := newDir(t)
	f, err := d.Create("http://h/a", key1)
	if err != nil {
		t.Fatal(err)
	}
	if got := list(t, d.Path()); len(got) != 1 || !strings.HasPrefix(got[0], ".gather-tmp-") {
		t.Fatalf("while writing, dir holds %q, want one temp file", got)
	}
	if _, err := f.Write([]byte("half a bo")); err != nil {
		t.Fatal(err)
	}
	if err := f.Abort(); err != nil {
		t.Fatal(err)
	}
	if err := f.Abort(); err != nil {
		t.Errorf("second Abort: %v", err)
	}
	if _, err := f.Write([]byte("dy")); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Write after Abort: %v, want ErrClosed", err)
	}
	if _, err := f.Commit(); err == nil {
		t.Error("Commit after Abort succeeded")
	}
	if got := list(t, d.Path()); len(got) != 0 {
		t.Errorf("after Abort, dir holds %q", got)
	}

	// Abort after Commit is a no-op, and Commit again returns the path.
	f, err = d.Create("http://h/a", key1)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("whole"))
	path, err := f.Commit()
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Abort(); err != nil {
		t.Errorf("Abort after Commit: %v", err)
	}
	if again, err := f.Commit(); err != nil || again != path {
		t.Errorf("Commit again = %q, %v; want %q, nil", again, err, path)
	}
	if _, err := f.Write([]byte("more")); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Write after Commit: %v, want ErrClosed", err)
	}
	checkFile(t, path, []byte("whole"))
	if got := list(t, d.Path()); !slices.Equal(got, []string{"h_a"}) {
		t.Errorf("dir holds %q, want [h_a]", got)
	}
}

func TestCommitFails(t *testing.T) {
	d := newDir(t)
	f, err := d.Create("http://h/a", key1)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("body"))
	// The temp file vanishing (someone cleaning the directory) fails the
	// commit without leaving anything behind.
	if err := os.Remove(f.tmp); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Commit(); err == nil {
		t.Fatal("Commit of a removed temp file succeeded")
	}
	if err := f.Abort(); err != nil {
		t.Errorf("Abort after a failed Commit: %v", err)
	}
	if got := list(t, d.Path()); len(got) != 0 {
		t.Errorf("dir holds %q", got)
	}
}

func TestLongNameCollision(t *testing.T) {
	d := newDir(t)
	u := "http://h/" + strings.Repeat("a", 5000) + ".json"
	var names []string
	for i := range 3 {
		path := save(t, d, u, key1, []byte{byte(i)})
		name := filepath.Base(path)
		checkName(t, u, name)
		if !strings.HasSuffix(name, ".json") {
			t.Errorf("name %q lost its extension", name)
		}
		names = append(names, name)
	}
	if !strings.HasSuffix(names[1], "-1f2e3d4c.json") || !strings.HasSuffix(names[2], "-1f2e3d4c-2.json") {
		t.Errorf("names = %q, want the tag and counter at the end", names)
	}
}

func TestHostileKey(t *testing.T) {
	d := newDir(t)
	save(t, d, "http://h/a", "../../../etc/x", []byte("1"))
	path := save(t, d, "http://h/a", "../../../etc/x", []byte("2"))
	if want := "h_a-" + hashHex("../../../etc/x", 8); filepath.Base(path) != want {
		t.Errorf("saved at %s, want %s", path, want)
	}
}

func TestLargeBody(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 50 MB")
	}
	d := newDir(t)
	const chunk, total = 64 << 10, 50 << 20
	buf := make([]byte, chunk)
	sum := sha256.New()

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f, err := d.Create("http://h/big.bin", key1)
	if err != nil {
		t.Fatal(err)
	}
	for i := range total / chunk {
		for j := range buf {
			buf[j] = byte(i*7 + j)
		}
		sum.Write(buf)
		if _, err := f.Write(buf); err != nil {
			f.Abort()
			t.Fatal(err)
		}
	}
	path, err := f.Commit()
	if err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 5<<20 {
		t.Errorf("saving %d bytes allocated %d bytes", total, grew)
	}

	file, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	got := sha256.New()
	n, err := io.Copy(got, file)
	if err != nil {
		t.Fatal(err)
	}
	if n != total || !bytes.Equal(got.Sum(nil), sum.Sum(nil)) {
		t.Errorf("file holds %d bytes with another content, want %d", n, total)
	}
}

func TestOpen(t *testing.T) {
	tmp := t.TempDir()

	// A missing directory is made, parents and all.
	dir := filepath.Join(tmp, "a", "b", "c")
	d, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	noTemps(t, dir)
	if d.Path() != dir {
		t.Errorf("Path() = %q, want %q", d.Path(), dir)
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		t.Fatalf("Open did not make %s: %v", dir, err)
	}
	if got := list(t, dir); len(got) != 0 {
		t.Errorf("Open left %q in %s", got, dir)
	}

	// A file is not a directory, nor a path through one.
	file := filepath.Join(tmp, "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{file, filepath.Join(file, "sub")} {
		_, err := Open(p)
		if err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("Open(%s) = %v, want an error naming it", p, err)
		}
	}
	checkFile(t, file, []byte("x"))

	if _, err := Open(""); err == nil {
		t.Error(`Open("") succeeded`)
	}
}

func TestOpenNotWritable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root can write anywhere")
	}
	dir := filepath.Join(t.TempDir(), "ro")
	if err := os.Mkdir(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o755) })
	_, err := Open(dir)
	if err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("Open(%s) = %v, want an error naming it", dir, err)
	}
}

func TestRelativePath(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, dir := range []string{"out", "./out/sub/", "out/../other"} {
		d, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		noTemps(t, dir)
		if d.Path() != dir {
			t.Errorf("Path() = %q, want %q", d.Path(), dir)
		}
		path := save(t, d, "http://h/rel/x.txt", key1, []byte("relative "+dir))
		if want := filepath.Join(dir, "h_rel_x.txt"); path != want {
			t.Errorf("path = %q, want %q", path, want)
		}
		if filepath.IsAbs(path) {
			t.Errorf("path %q is absolute, want it relative as the directory was given", path)
		}
	}
}
