package input

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/gatherdev/gather"
)

// collect reads all requests from r.
func collect(t testing.TB, r *Reader) []gather.Request {
	t.Helper()
	var reqs []gather.Request
	for req := range r.All() {
		reqs = append(reqs, req)
	}
	return reqs
}

func gz(t testing.TB, parts ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	for _, p := range parts { // one gzip member per part
		zw := gzip.NewWriter(&buf)
		if _, err := zw.Write([]byte(p)); err != nil {
			t.Fatal(err)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// brief is what a test checks of a request.
type brief struct {
	Line int64
	URL  string
	Err  string // the cause of an InputError, or ""
}

func briefs(reqs []gather.Request) []brief {
	var bs []brief
	for _, r := range reqs {
		b := brief{Line: r.Line, URL: r.URL}
		if r.Err != nil {
			var ie *gather.InputError
			if errors.As(r.Err, &ie) {
				b.Err = ie.Err.Error()
			} else {
				b.Err = "not an InputError: " + r.Err.Error()
			}
		}
		bs = append(bs, b)
	}
	return bs
}

const sample = "\ufeffhttp://a.example/1\r\n" +
	"\n" +
	"# comment\n" +
	"   \t\n" +
	"  https://b.example/2  \r\n" +
	"ftp://c.example/3\n" +
	`{"url":"https://d.example/4","method":"POST"}` + "\n" +
	"\t# indented comment\r\n" +
	"https://e.example/5" // no final newline

var sampleWant = []brief{
	{Line: 1, URL: "http://a.example/1"},
	{Line: 5, URL: "https://b.example/2"},
	{Line: 6, Err: `url scheme "ftp" is not http or https`},
	{Line: 7, URL: "https://d.example/4"},
	{Line: 9, URL: "https://e.example/5"},
}

func TestReader(t *testing.T) {
	readers := map[string]func(io.Reader) io.Reader{
		"plain":   func(r io.Reader) io.Reader { return r },
		"onebyte": iotest.OneByteReader,
		"half":    iotest.HalfReader,
		"dataerr": iotest.DataErrReader,
		"gzip":    func(r io.Reader) io.Reader { b, _ := io.ReadAll(r); return bytes.NewReader(gz(t, string(b))) },
		"gzip1by1": func(r io.Reader) io.Reader {
			b, _ := io.ReadAll(r)
			return iotest.OneByteReader(bytes.NewReader(gz(t, string(b))))
		},
		"multistream": func(r io.Reader) io.Reader {
			b, _ := io.ReadAll(r)
			s := string(b)
			// Split mid-line: members need not end on line boundaries.
			return bytes.NewReader(gz(t, s[:30], s[30:100], "", s[100:]))
		},
	}
	for name, wrap := range readers {
		t.Run(name, func(t *testing.T) {
			r := NewReader(wrap(strings.NewReader(sample)), Defaults{})
			reqs := collect(t, r)
			if err := r.Err(); err != nil {
				t.Fatalf("Err = %v", err)
			}
			if got := briefs(reqs); !reflect.DeepEqual(got, sampleWant) {
				t.Errorf("got  %+v\nwant %+v", got, sampleWant)
			}
			if r.Lines() != 9 {
				t.Errorf("Lines = %d, want 9", r.Lines())
			}
			if reqs[3].Method != "POST" {
				t.Errorf("JSON request method = %q", reqs[3].Method)
			}
		})
	}
}

func TestReaderDefaults(t *testing.T) {
	in := "https://a.example/\n" + `{"url":"https://b.example/","method":"PUT","body":"own"}` + "\n" + `{"url":"https://c.example/"}`
	d := Defaults{Method: "POST", Body: []byte("x=1")}
	reqs := collect(t, NewReader(strings.NewReader(in), d))
	if len(reqs) != 3 {
		t.Fatalf("got %d requests", len(reqs))
	}
	for i, want := range []struct{ method, body string }{{"POST", "x=1"}, {"PUT", "own"}, {"POST", "x=1"}} {
		if reqs[i].Method != want.method || string(reqs[i].Body) != want.body {
			t.Errorf("request %d: method %q body %q, want %q %q", i, reqs[i].Method, reqs[i].Body, want.method, want.body)
		}
	}
}

func TestReaderEdges(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		want  []brief
		lines int64
	}{
		{"empty", "", nil, 0},
		{"one byte", "x", []brief{{Line: 1, Err: "url has no scheme (want http:// or https://)"}}, 1},
		{"newlines only", "\n\n\r\n", nil, 3},
		{"bom only", "\ufeff", nil, 0},
		{"bom then newline", "\ufeff\n", nil, 1},
		{"bom only at start", "\ufeff\n\ufeffhttp://a.example/", []brief{{Line: 2, Err: "url does not parse: first path segment in URL cannot contain colon"}}, 2},
		{"comment without newline", "http://a.example/\n# end", []brief{{Line: 1, URL: "http://a.example/"}}, 2},
		{"lone cr", "http://a.example/\rhttp://b.example/\n", []brief{{Line: 1, Err: "url has a control character (byte 0x0d at 17)"}}, 1},
		{"not gzip: one magic byte", "\x1fhttp://a.example/", []brief{{Line: 1, Err: "url has a control character (byte 0x1f at 0)"}}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReader(strings.NewReader(tt.in), Defaults{})
			got := briefs(collect(t, r))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
			if r.Err() != nil {
				t.Errorf("Err = %v", r.Err())
			}
			if r.Lines() != tt.lines {
				t.Errorf("Lines = %d, want %d", r.Lines(), tt.lines)
			}
		})
	}
}

func TestReaderGzipBOM(t *testing.T) {
	r := NewReader(bytes.NewReader(gz(t, "\ufeffhttp://a.example/\n")), Defaults{})
	got := briefs(collect(t, r))
	want := []brief{{Line: 1, URL: "http://a.example/"}}
	if !reflect.DeepEqual(got, want) || r.Err() != nil {
		t.Errorf("got %+v, err %v", got, r.Err())
	}
}

func TestReaderGzipBroken(t *testing.T) {
	var lines strings.Builder
	for i := range 1000 {
		lines.WriteString("https://example.com/page/")
		lines.WriteString(strings.Repeat("x", i%50))
		lines.WriteString("\n")
	}
	good := gz(t, lines.String())
	mod := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	tests := map[string][]byte{
		"truncated":      good[:len(good)/2],
		"no trailer":     good[:len(good)-8],
		"bad checksum":   mod(func(b []byte) []byte { b[len(b)-8] ^= 0xff; return b }),
		"bad size":       mod(func(b []byte) []byte { b[len(b)-1] ^= 0xff; return b }),
		"corrupt data":   mod(func(b []byte) []byte { b[len(b)/2] ^= 0xff; b[len(b)/2+1] ^= 0xff; return b }),
		"bad header":     mod(func(b []byte) []byte { b[2] = 0x07; return b }),
		"header only":    good[:2],
		"trailing junk":  append(bytes.Clone(good), "junk"...),
		"second corrupt": append(bytes.Clone(good), good[:20]...),
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			r := NewReader(bytes.NewReader(in), Defaults{})
			reqs := collect(t, r)
			if r.Err() == nil {
				t.Fatalf("Err = nil after %d requests", len(reqs))
			}
			t.Logf("%d requests, Err = %v", len(reqs), r.Err())
			if name == "corrupt data" {
				// Deflate may decode corrupt data into garbage lines before
				// the checksum catches it at the end of the member.
				return
			}
			for i, req := range reqs {
				if req.Err != nil {
					t.Errorf("request %d: %v", i, req.Err)
				}
				if req.Line != int64(i+1) {
					t.Errorf("request %d has line %d", i, req.Line)
				}
			}
		})
	}
}

// errAfter returns data and then err.
type errAfter struct {
	data []byte
	err  error
}

func (e *errAfter) Read(p []byte) (int, error) {
	if len(e.data) == 0 {
		return 0, e.err
	}
	n := copy(p, e.data)
	e.data = e.data[n:]
	return n, nil
}

func TestReaderReadError(t *testing.T) {
	boom := errors.New("boom")
	r := NewReader(&errAfter{data: []byte("http://a.example/\nhttp://b.example/\nhttp://partial"), err: boom}, Defaults{})
	got := briefs(collect(t, r))
	want := []brief{{Line: 1, URL: "http://a.example/"}, {Line: 2, URL: "http://b.example/"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if !errors.Is(r.Err(), boom) {
		t.Errorf("Err = %v, want boom", r.Err())
	}
	if r.Lines() != 2 {
		t.Errorf("Lines = %d, want 2 (the partial line is not counted)", r.Lines())
	}

	// An error before anything is read.
	r = NewReader(&errAfter{err: boom}, Defaults{})
	if n := len(collect(t, r)); n != 0 || !errors.Is(r.Err(), boom) {
		t.Errorf("got %d requests, Err = %v", n, r.Err())
	}
}

func TestReaderLongLines(t *testing.T) {
	long := "https://example.com/" + strings.Repeat("a", 5_000_000)
	over := func(n int) string { return "line is over 1 MiB (" + itoa(n) + " bytes)" }
	mid := "https://example.com/" + strings.Repeat("m", 200_000) // over bufSize, under the limit
	exact := "https://example.com/" + strings.Repeat("e", MaxLineSize-20)
	in := "https://a.example/\n" + // 1
		long + "\n" + // 2
		"https://b.example/\n" + // 3
		long + "\r\n" + // 4
		"#" + long + "\n" + // 5 skipped
		strings.Repeat(" ", 3*MaxLineSize) + "\n" + // 6 skipped
		strings.Repeat(" ", 2*MaxLineSize) + "# late comment\n" + // 7 skipped
		strings.Repeat("\t", 2*MaxLineSize) + "http://late.example/\n" + // 8
		mid + "\n" + // 9
		exact + "\r\n" + // 10
		exact + "x\n" + // 11
		"  " + long // 12, no newline
	r := NewReader(strings.NewReader(in), Defaults{})
	reqs := collect(t, r)
	got := briefs(reqs)
	want := []brief{
		{Line: 1, URL: "https://a.example/"},
		{Line: 2, Err: over(len(long))},
		{Line: 3, URL: "https://b.example/"},
		{Line: 4, Err: over(len(long))},
		{Line: 8, Err: over(2*MaxLineSize + len("http://late.example/"))},
		{Line: 9, URL: mid},
		{Line: 10, URL: exact},
		{Line: 11, Err: over(MaxLineSize + 1)},
		{Line: 12, Err: over(len(long) + 2)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %.300v\nwant %.300v", got, want)
	}
	if r.Err() != nil || r.Lines() != 12 {
		t.Errorf("Err = %v, Lines = %d", r.Err(), r.Lines())
	}
	for _, req := range reqs {
		var ie *gather.InputError
		if errors.As(req.Err, &ie) {
			if len(ie.Input) > gather.MaxInputEcho {
				t.Errorf("line %d: echo of %d bytes", req.Line, len(ie.Input))
			}
			if req.Line != 8 && !strings.HasPrefix(ie.Input, "https://example.com/") {
				t.Errorf("line %d: echo %.40q", req.Line, ie.Input)
			}
		}
	}
	if c := cap(r.buf); c > MaxLineSize+bufSize+1 {
		t.Errorf("line buffer grew to %d bytes", c)
	}
}

func itoa(n int) string {
	var b []byte
	for {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
		if n == 0 {
			return string(b)
		}
	}
}

// endless yields n bytes of a line, then "\n".
type endless struct{ n int64 }

func (e *endless) Read(p []byte) (int, error) {
	if e.n < 0 {
		return 0, io.EOF
	}
	if e.n == 0 {
		p[0] = '\n'
		e.n = -1
		return 1, nil
	}
	k := copy(p[:min(int64(len(p)), e.n)], aaaa)
	copy(p, "http://")
	e.n -= int64(k)
	return k, nil
}

var aaaa = bytes.Repeat([]byte("a"), 128<<10)

func TestReaderHugeLineMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	const size = 300 << 20
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	r := NewReader(&endless{n: size}, Defaults{})
	reqs := collect(t, r)
	runtime.ReadMemStats(&after)
	if len(reqs) != 1 || reqs[0].Err == nil || !strings.Contains(reqs[0].Err.Error(), "over 1 MiB (314572800 bytes)") {
		t.Fatalf("got %+v", briefs(reqs))
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
		t.Errorf("reading a %d-byte line allocated %d bytes", size, alloc)
	}
}

func TestReaderEarlyBreak(t *testing.T) {
	in := "http://a.example/1\n#c\nhttp://a.example/2\nhttp://a.example/3\nhttp://a.example/4\n"
	r := NewReader(strings.NewReader(in), Defaults{})
	var got []int64
	for req := range r.All() {
		got = append(got, req.Line)
		if len(got) == 2 {
			break
		}
	}
	if !reflect.DeepEqual(got, []int64{1, 3}) {
		t.Errorf("lines = %v", got)
	}
	if r.Lines() != 3 {
		t.Errorf("Lines = %d, want 3", r.Lines())
	}
	for req := range r.All() {
		t.Errorf("second All yielded %+v", req)
	}
	if r.Err() != nil {
		t.Errorf("Err = %v", r.Err())
	}
}

func TestReaderSelfContained(t *testing.T) {
	// Requests must not share memory with the reader's buffers.
	var in strings.Builder
	for i := range 5000 {
		in.WriteString(`{"url":"https://example.com/`)
		in.WriteString(itoa(i))
		in.WriteString(`","body":"b`)
		in.WriteString(itoa(i))
		in.WriteString(`"}` + "\n")
	}
	reqs := collect(t, NewReader(iotest.HalfReader(strings.NewReader(in.String())), Defaults{}))
	if len(reqs) != 5000 {
		t.Fatalf("got %d requests", len(reqs))
	}
	for i, req := range reqs {
		if req.URL != "https://example.com/"+itoa(i) || string(req.Body) != "b"+itoa(i) {
			t.Fatalf("request %d: %q %q", i, req.URL, req.Body)
		}
	}
}
