package gather

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"strconv"
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
	var stack [512]byte // most requests hash without an allocation
	b := stack[:0]
	switch ie := inputError(r.Err); {
	case ie != nil:
		b = append(b, "invalid\x00"...)
		b = strconv.AppendInt(b, ie.Line, 10)
		b = append(b, 0)
		b = append(b, ie.Input...)
	case r.ID != "":
		b = append(b, "id\x00"...)
		b = append(b, r.ID...)
	default:
		b = append(b, "req\x00"...)
		b = append(b, r.method()...)
		b = append(b, 0)
		b = append(b, r.URL...)
		b = append(b, 0)
		b = append(b, r.Body...)
	}
	sum := sha256.Sum256(b)
	return Fingerprint(sum[:16])
}

// inputError returns the *InputError in err's chain, or nil.
func inputError(err error) *InputError {
	if err == nil {
		return nil
	}
	var ie *InputError
	if errors.As(err, &ie) {
		return ie
	}
	return nil
}

// String returns the fingerprint as 32 hexadecimal digits.
func (f Fingerprint) String() string { return hex.EncodeToString(f[:]) }

// FingerprintSet is a set of fingerprints that costs 9 to 10.5 bytes per
// member: it keeps 70 of each fingerprint's 128 bits (6 choose one of 64
// shards, 64 are kept), in open-addressing tables of plain integers that the
// garbage collector need not scan, loaded up to 9/10, each growing on its
// own. Two different requests are taken for the same with a chance of about
// n²/2⁷¹ over n requests (under 10⁻⁹ for a million). The zero value is an
// empty set ready to use. It is not safe for concurrent use.
type FingerprintSet struct {
	shards [setShards]fingerprintShard
	n      int
	slots  int // in all shards
}

// fingerprintShard is a linear-probing table; 0 marks an empty slot.
type fingerprintShard struct {
	slots []uint64
	n     int
}

// setShards is the number of shards: enough that a growth copies a small
// part of the set, few enough that at a million members a shard's table
// spans many pages, where the heap's rounding of it is small.
const setShards = 64

// setKey returns the shard and the 64-bit key that stand for f.
func setKey(f Fingerprint) (shard byte, key uint64) {
	key = binary.LittleEndian.Uint64(f[:8])
	if key == 0 {
		key = 1 // 0 marks empty slots
	}
	return f[8] % setShards, key
}

// Add adds f and reports whether it was new.
func (s *FingerprintSet) Add(f Fingerprint) bool {
	i, key := setKey(f)
	sh := &s.shards[i]
	if (sh.n+1)*10 > len(sh.slots)*9 { // keep the load at 9/10 at most
		s.slots -= len(sh.slots)
		sh.grow()
		s.slots += len(sh.slots)
	}
	if !sh.insert(key) {
		return false
	}
	sh.n++
	s.n++
	return true
}

// Has reports whether f is in the set.
func (s *FingerprintSet) Has(f Fingerprint) bool {
	i, key := setKey(f)
	sh := &s.shards[i]
	if len(sh.slots) == 0 {
		return false
	}
	for j := sh.home(key); ; j = sh.next(j) {
		switch sh.slots[j] {
		case key:
			return true
		case 0:
			return false
		}
	}
}

// Len returns the number of fingerprints in the set.
func (s *FingerprintSet) Len() int { return s.n }

// Bytes returns the memory the set holds.
func (s *FingerprintSet) Bytes() int { return 8 * s.slots }

// home maps key onto the table, whatever its length.
func (sh *fingerprintShard) home(key uint64) int {
	hi, _ := bits.Mul64(key, uint64(len(sh.slots)))
	return int(hi)
}

func (sh *fingerprintShard) next(j int) int {
	if j++; j == len(sh.slots) {
		return 0
	}
	return j
}

// insert puts key in the table, which has room, and reports whether it was new.
func (sh *fingerprintShard) insert(key uint64) bool {
	for j := sh.home(key); ; j = sh.next(j) {
		switch sh.slots[j] {
		case key:
			return false
		case 0:
			sh.slots[j] = key
			return true
		}
	}
}

// grow makes the table at least an eighth as large again, rounded up to
// the whole size class the heap gives it, so that a growth copies a small
// part of the set. Linear probing at a load of 9/10 looks at about 50 slots
// to find a key absent: 400 contiguous bytes.
func (sh *fingerprintShard) grow() {
	old := sh.slots
	size := max(len(old)+(len(old)+7)/8, 64)
	sh.slots = slices.Grow([]uint64(nil), size) // rounded up to a size class
	sh.slots = sh.slots[:cap(sh.slots)]
	for _, key := range old {
		if key != 0 {
			sh.insert(key)
		}
	}
}

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
