package gather

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
)

// Fingerprint identifies a request for deduplication and resume: two requests
// with the same ID, or without IDs and with the same method, URL and body,
// have the same Fingerprint. It is stable across runs and machines.
type Fingerprint [16]byte

// Fingerprint returns r's fingerprint. Headers do not count. A request
// that could not be read (Err holds an *InputError) is identified by its
// line number and text instead, so that --resume can tell which invalid
// lines already have a record.
func (r *Request) Fingerprint() Fingerprint {
	h := sha256.New()
	var ie *InputError
	switch {
	case r.Err != nil && errors.As(r.Err, &ie):
		fmt.Fprintf(h, "invalid\x00%d\x00%s", ie.Line, ie.Input)
	case r.ID != "":
		h.Write([]byte("id\x00"))
		h.Write([]byte(r.ID))
	default:
		h.Write([]byte("req\x00"))
		h.Write([]byte(r.method()))
		h.Write([]byte{0})
		h.Write([]byte(r.URL))
		h.Write([]byte{0})
		h.Write(r.Body)
	}
	var sum [sha256.Size]byte
	var fp Fingerprint
	copy(fp[:], h.Sum(sum[:0]))
	return fp
}

// String returns the fingerprint as 32 hexadecimal digits.
func (f Fingerprint) String() string { return hex.EncodeToString(f[:]) }

// FingerprintSet is a set of fingerprints. The zero value is an empty set
// ready to use. It is not safe for concurrent use.
type FingerprintSet struct {
	m map[Fingerprint]struct{}
}

// Add adds f and reports whether it was new.
func (s *FingerprintSet) Add(f Fingerprint) bool {
	if s.m == nil {
		s.m = make(map[Fingerprint]struct{})
	}
	if _, ok := s.m[f]; ok {
		return false
	}
	s.m[f] = struct{}{}
	return true
}

// Has reports whether f is in the set.
func (s *FingerprintSet) Has(f Fingerprint) bool {
	_, ok := s.m[f]
	return ok
}

// Len returns the number of fingerprints in the set.
func (s *FingerprintSet) Len() int { return len(s.m) }

// ParseFingerprint parses the 32 hexadecimal digits of Fingerprint.String.
func ParseFingerprint(s string) (Fingerprint, error) {
	var f Fingerprint
	if len(s) != 2*len(f) {
		return f, fmt.Errorf("fingerprint %q is not %d hexadecimal digits", s, 2*len(f))
	}
	if _, err := hex.Decode(f[:], []byte(s)); err != nil {
		return f, fmt.Errorf("fingerprint %q: %w", s, err)
	}
	return f, nil
}
