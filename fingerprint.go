package gather

import (
	"crypto/sha256"
	"encoding/hex"
)

// Fingerprint identifies a request for deduplication and resume: two requests
// with the same ID, or without IDs and with the same method, URL and body,
// have the same Fingerprint. It is stable across runs and machines.
type Fingerprint [16]byte

// Fingerprint returns r's fingerprint. Headers do not count.
func (r *Request) Fingerprint() Fingerprint {
	h := sha256.New()
	if r.ID != "" {
		h.Write([]byte("id\x00"))
		h.Write([]byte(r.ID))
	} else {
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
