package record

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestCompactJSON(t *testing.T) {
	for _, in := range []string{
		`{}`, `[]`, ` { "a" : [ 1 , 2.5e-3 , -0 , true , false , null ] } `, `"x\u00e9\"\\\/\b\f\n\r\t"`,
		`0`, `-1.5E+10`, `{"a":{"b":{"c":[[],{}]}}}`, "[1,\n2]",
		`{`, `}`, `[1,]`, `{"a" 1}`, `{"a":}`, `01`, `1.`, `.5`, `-`, `1e`, `+1`, `tru`, `nul`, `"\x"`, `"\u12g4"`,
		"\"a\tb\"", "[\"\u2028\"]", " [ \"x\u2028y\" ,\n\"\u2029\" ] ", "{\"a\":\"\xe2\x80\u2029\"}", `[1 2]`, `{"a":1,}`, `{1:2}`, `"abc`, `1 2`, ``, `   `, `[`, `NaN`, `"\uD800"`,
	} {
		got, ok := compactJSON(nil, []byte(in), 100)
		if want := json.Valid([]byte(in)); ok != want {
			t.Errorf("compactJSON(%q) ok = %v, json.Valid = %v", in, ok, want)
			continue
		}
		if ok {
			var want bytes.Buffer
			json.Compact(&want, []byte(in))
			wantS := strings.NewReplacer("\u2028", `\u2028`, "\u2029", `\u2029`).Replace(want.String())
			if string(got) != wantS {
				t.Errorf("compactJSON(%q) = %q, want %q", in, got, wantS)
			}
		}
	}
	deep := strings.Repeat("[", 50) + strings.Repeat("]", 50)
	if _, ok := compactJSON(nil, []byte(deep), 50); !ok {
		t.Error("depth 50 refused at max 50")
	}
	if _, ok := compactJSON(nil, []byte(deep), 49); ok {
		t.Error("depth 50 accepted at max 49")
	}
	deeper := strings.Repeat(`{"a":[`, 100) + strings.Repeat("]}", 100) // past the scanner's first stack
	if _, ok := compactJSON(nil, []byte(deeper), 200); !ok {
		t.Error("depth 200 refused at max 200")
	}
	if _, ok := compactJSON(nil, []byte(deeper), 199); ok {
		t.Error("depth 200 accepted at max 199")
	}
}

func FuzzCompactJSON(f *testing.F) {
	for _, s := range []string{`{"a":[1,2,{"b":null}]}`, ` [ true , "x\n" ] `, `-0.5e+7`, `{"a":"\u00e9"}`, `[1,]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		got, ok := compactJSON([]byte("prefix"), src, 10000)
		if want := json.Valid(src); ok != want {
			t.Fatalf("compactJSON(%q) ok = %v, json.Valid = %v", src, ok, want)
		}
		if ok {
			var want bytes.Buffer
			json.Compact(&want, src)
			wantS := strings.NewReplacer("\u2028", `\u2028`, "\u2029", `\u2029`).Replace(want.String())
			if string(got) != "prefix"+wantS {
				t.Fatalf("compactJSON(%q) = %q, want %q", src, got, wantS)
			}
		}
	})
}
