package gather

import (
	"crypto/rand"
	"fmt"
	"runtime"
	"testing"
)

func TestFingerprintIdentity(t *testing.T) {
	a := Request{URL: "http://h/a"}
	same := []Request{{URL: "http://h/a", Method: "GET"}, {URL: "http://h/a", Header: map[string][]string{"X": {"y"}}}}
	differ := []Request{{URL: "http://h/b"}, {URL: "http://h/a", Method: "POST"}, {URL: "http://h/a", Body: []byte("x")}, {URL: "http://h/a", ID: "1"}}
	for _, r := range same {
		if r.Fingerprint() != a.Fingerprint() {
			t.Errorf("%+v and %+v differ", r, a)
		}
	}
	for _, r := range differ {
		if r.Fingerprint() == a.Fingerprint() {
			t.Errorf("%+v and %+v are the same", r, a)
		}
	}
	byID := []Request{{URL: "http://h/1", ID: "x"}, {URL: "http://h/2", Method: "POST", ID: "x"}}
	if byID[0].Fingerprint() != byID[1].Fingerprint() {
		t.Error("the same id is not the same request")
	}
	bad1 := Request{Err: NewInputError(3, "not a url", fmt.Errorf("x"))}
	bad2 := Request{Err: NewInputError(4, "not a url", fmt.Errorf("x"))}
	if bad1.Fingerprint() == bad2.Fingerprint() {
		t.Error("invalid lines on different lines share a fingerprint")
	}
	f := a.Fingerprint()
	if g, err := ParseFingerprint(f.String()); err != nil || g != f {
		t.Errorf("ParseFingerprint(String()) = %v, %v", g, err)
	}
	for _, s := range []string{"", "zz", f.String()[:30], f.String() + "00", "g" + f.String()[1:]} {
		if _, err := ParseFingerprint(s); err == nil {
			t.Errorf("ParseFingerprint(%q): no error", s)
		}
	}
}

func randomFingerprints(n int) []Fingerprint {
	fps := make([]Fingerprint, n)
	for i := range fps {
		rand.Read(fps[i][:])
	}
	return fps
}

func TestFingerprintSet(t *testing.T) {
	var s FingerprintSet
	var zero Fingerprint
	if s.Has(zero) || s.Len() != 0 {
		t.Fatal("the zero set is not empty")
	}
	fps := randomFingerprints(200000)
	fps = append(fps, zero) // the zero fingerprint is a member like any other
	for i, f := range fps {
		if !s.Add(f) {
			t.Fatalf("Add(%d) says it was there", i)
		}
		if s.Add(f) {
			t.Fatalf("Add(%d) twice says new", i)
		}
	}
	if s.Len() != len(fps) {
		t.Errorf("Len = %d, want %d", s.Len(), len(fps))
	}
	for i, f := range fps {
		if !s.Has(f) {
			t.Fatalf("member %d missing", i)
		}
	}
	for _, f := range randomFingerprints(10000) {
		if s.Has(f) {
			t.Fatalf("a fingerprint never added is in the set")
		}
	}
}

// TestFingerprintSetMemory holds the set to its promise of 9 to 10.5 bytes
// a member: the memory is the budget of a million-URL run.
func TestFingerprintSetMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("a million fingerprints")
	}
	fps := randomFingerprints(1 << 20)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	var s FingerprintSet
	for _, f := range fps {
		s.Add(f)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	perMember := float64(after.HeapAlloc-before.HeapAlloc) / float64(len(fps))
	// The heap rounds allocations up to its size classes: allow for that.
	if got := float64(s.Bytes()) / float64(len(fps)); got > perMember || got < perMember*0.85 {
		t.Errorf("Bytes says %.1f bytes per member, the heap %.1f", got, perMember)
	}
	if perMember > 10.5 {
		t.Errorf("%.1f bytes per member, want at most 10.5", perMember)
	}
	t.Logf("%.1f bytes per member", perMember)
	runtime.KeepAlive(&s)
	runtime.KeepAlive(fps)
}

func BenchmarkFingerprintSetAdd(b *testing.B) {
	fps := randomFingerprints(1 << 16)
	var s FingerprintSet
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		f := fps[i&(len(fps)-1)]
		f[15] = byte(i >> 16) // new members as i grows
		f[14] = byte(i >> 24)
		s.Add(f)
	}
}

func BenchmarkFingerprint(b *testing.B) {
	r := Request{URL: "https://api.example.com/v1/items/1234567?fields=a,b,c"}
	b.ReportAllocs()
	for range b.N {
		r.Fingerprint()
	}
}
