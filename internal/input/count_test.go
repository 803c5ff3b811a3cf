package input

import (
	"bytes"
	"compress/gzip"
	"strings"
	"testing"
)

func TestCountRequests(t *testing.T) {
	text := "\ufeffhttp://a/\n\n  # comment\n\t\nhttp://b/\r\n{\"url\":\"http://c/\"}\nnot a url\n" + strings.Repeat("x", 3<<20) + "\nhttp://last/"
	want := int64(0)
	for range NewReader(strings.NewReader(text), Defaults{}).All() {
		want++
	}
	if want != 6 {
		t.Fatalf("Reader yields %d, test expects 6", want)
	}
	got, err := CountRequests(strings.NewReader(text))
	if err != nil || got != want {
		t.Errorf("CountRequests = %d, %v; want %d", got, err, want)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(text))
	zw.Close()
	got, err = CountRequests(&gz)
	if err != nil || got != want {
		t.Errorf("CountRequests(gzip) = %d, %v; want %d", got, err, want)
	}
	if _, err := CountRequests(bytes.NewReader([]byte{0x1f, 0x8b, 1, 2, 3})); err == nil {
		t.Error("corrupt gzip: no error")
	}
}

func FuzzCountRequests(f *testing.F) {
	f.Add([]byte("http://a/\n# c\n\nhttp://b/"))
	f.Add([]byte("\ufeff#x\r\n {}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var want int64
		for range NewReader(bytes.NewReader(data), Defaults{}).All() {
			want++
		}
		got, _ := CountRequests(bytes.NewReader(data))
		if got != want {
			t.Fatalf("CountRequests = %d, Reader yields %d for %q", got, want, data)
		}
	})
}
