package journal

import (
	"errors"
	"testing"
	"unicode/utf8"

	"github.com/gatherdev/gather"
	"github.com/gatherdev/gather/internal/record"
)

// FuzzKey checks that Key never panics on any line, and that for records
// written by record.Append it returns the request's own fingerprint.
func FuzzKey(f *testing.F) {
	f.Add([]byte(`{"url":"http://h/a","method":"GET","ok":true,"attempts":1,"body":"abc","error":null}`), "http://h/a", "", "", []byte(nil), "", int64(0))
	f.Add([]byte(`{"url":"http://h/p","method":"POST","fp":"00112233445566778899aabbccddeeff","ok":false,"attempts":4}`), "http://h/p", "POST", "", []byte("body"), "", int64(0))
	f.Add([]byte(`{"url":"http://h/b","method":"GET","id":"item-7","ok":true,"attempts":1}`), "http://h/b", "GET", "item-7", []byte(nil), "", int64(0))
	f.Add([]byte(`{"ok":false,"attempts":0,"error":{"kind":"invalid","message":"x"},"input":"not a url","line":3}`), "", "", "", []byte(nil), "not a url", int64(3))
	f.Add([]byte(`{"ok":false,"attempts":0,"error":{"kind":"invalid"},"input":"x","id":"i"}`), "", "", "i", []byte(nil), "x", int64(0))
	f.Add([]byte(`[1,2]`), "http://h/\u2028\x00", "PUT", "", []byte{0xff}, "\xff", int64(-1))
	f.Add([]byte(`{"ok":true,"attempts":1,"url":"x","line":1.5}`), "http://h/é", "", "é", []byte("{}"), "é", int64(1<<40))

	cause := errors.New("bad line")
	f.Fuzz(func(t *testing.T, line []byte, url, method, id string, body []byte, input string, n int64) {
		Key(line) // must not panic

		// A fetched request.
		res := &gather.Result{
			Request:  gather.Request{URL: url, Method: method, ID: id, Body: body},
			Status:   200,
			Attempts: 1,
			Body:     body,
			Bytes:    int64(len(body)),
		}
		rl := record.Append(nil, res, record.Options{})
		k, ok, err := Key(rl[:len(rl)-1])
		switch {
		case url == "":
			// No "url", no "input": not a record.
			if err == nil {
				t.Errorf("Key(%s) accepted a record without url", rl)
			}
		case err != nil:
			t.Fatalf("Key(%s): %v", rl, err)
		case !ok:
			t.Errorf("Key(%s) says not ok", rl)
		default:
			// The record keeps strings as UTF-8, replacing invalid bytes;
			// the key is exact when what it comes from is valid UTF-8.
			exact := false
			switch {
			case id != "":
				exact = utf8.ValidString(id)
			case len(body) > 0:
				exact = true // "fp" holds the fingerprint itself
			default:
				exact = utf8.ValidString(url) && utf8.ValidString(method)
			}
			if want := res.Request.Fingerprint(); exact && k != want {
				t.Errorf("Key(%s) = %v, want %v", rl, k, want)
			}
		}

		// An invalid input line.
		if n < 0 {
			n = -(n + 1) // line numbers are not negative
		}
		ie := gather.NewInputError(n, input, cause)
		inv := &gather.Result{
			Request: gather.Request{URL: url, ID: id, Line: n, Err: ie},
			Err:     &gather.Error{Kind: gather.KindInvalid, Err: ie},
		}
		rl = record.Append(nil, inv, record.Options{})
		k, ok, err = Key(rl[:len(rl)-1])
		if err != nil {
			t.Fatalf("Key(%s): %v", rl, err)
		}
		if ok {
			t.Errorf("Key(%s) says ok", rl)
		}
		if want := inv.Request.Fingerprint(); utf8.ValidString(ie.Input) && k != want {
			t.Errorf("Key(%s) = %v, want %v", rl, k, want)
		}
	})
}
