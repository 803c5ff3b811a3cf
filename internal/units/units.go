// Package units parses the sizes and durations that gather's flags take.
package units

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

var sizeUnits = []struct {
	suffix string
	scale  int64
}{
	// Longest suffixes first so "KiB" is not read as "B".
	{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"tib", 1 << 40},
	{"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"tb", 1e12},
	{"k", 1 << 10}, {"m", 1 << 20}, {"g", 1 << 30}, {"t", 1 << 40},
	{"b", 1},
}

// ParseSize parses a byte size: a number (fractions allowed) with an
// optional unit, KB/MB/GB/TB in powers of 1000, KiB/MiB/GiB/TiB and the
// single letters K/M/G/T in powers of 1024, B for bytes. Units are case-
// insensitive; "10MiB", "512KB", "1.5m" and "4096" parse.
func ParseSize(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	scale := int64(1)
	for _, u := range sizeUnits {
		if strings.HasSuffix(t, u.suffix) {
			t, scale = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.scale
			break
		}
	}
	if t == "" || strings.ContainsAny(t, "+-_") {
		return 0, fmt.Errorf("size %q: want a number of bytes with an optional unit, like 512KB or 10MiB", s)
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("size %q: want a number of bytes with an optional unit, like 512KB or 10MiB", s)
	}
	v := f * float64(scale)
	if v >= math.MaxInt64 {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	return int64(v), nil
}

// ParseDuration parses a duration as time.ParseDuration does ("250ms",
// "1m30s"), and a bare number as seconds ("5", "0.5"), as curl's -m does.
// Negative durations are refused.
func ParseDuration(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, errors.New("empty duration: want a duration like 250ms, 10s or 1m")
	}
	var d time.Duration
	if f, err := strconv.ParseFloat(t, 64); err == nil && !strings.ContainsAny(t, "xXpPiInN_") {
		if f > float64(math.MaxInt64)/float64(time.Second) || f < 0 {
			return 0, fmt.Errorf("duration %q is out of range", s)
		}
		d = time.Duration(f * float64(time.Second))
	} else {
		d, err = time.ParseDuration(t)
		if err != nil {
			return 0, fmt.Errorf("duration %q: want a duration like 250ms, 10s or 1m", s)
		}
	}
	if d < 0 {
		return 0, fmt.Errorf("duration %q is negative", s)
	}
	return d, nil
}
