package input

import (
	"bytes"
	"strconv"
	"testing"
)

func BenchmarkParseLine(b *testing.B) {
	for _, bc := range []struct{ name, line string }{
		{"url", "https://example.com/some/path?query=value&page=17"},
		{"json", `{"url":"https://example.com/some/path?page=17","method":"POST","headers":{"Content-Type":"application/json","X-Tag":["a","b"]},"body":{"k":"v"},"id":"req-17"}`},
	} {
		b.Run(bc.name, func(b *testing.B) {
			line := []byte(bc.line)
			b.SetBytes(int64(len(line)))
			b.ReportAllocs()
			for b.Loop() {
				req, _ := ParseLine(line, 1, Defaults{})
				if req.Err != nil {
					b.Fatal(req.Err)
				}
			}
		})
	}
}

func BenchmarkReader(b *testing.B) {
	var buf bytes.Buffer
	for i := range 10_000 {
		switch {
		case i%100 == 0:
			buf.WriteString("# comment\n")
		case i%10 == 0:
			buf.WriteString(`{"url":"https://example.com/item/` + strconv.Itoa(i) + `","id":"` + strconv.Itoa(i) + `"}` + "\n")
		default:
			buf.WriteString("https://example.com/item/" + strconv.Itoa(i) + "?ref=list\n")
		}
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r := NewReader(bytes.NewReader(data), Defaults{})
		n := 0
		for req := range r.All() {
			if req.Err != nil {
				b.Fatal(req.Err)
			}
			n++
		}
		if r.Err() != nil || n != 9_900 {
			b.Fatalf("%d requests, err %v", n, r.Err())
		}
	}
}
