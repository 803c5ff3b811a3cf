package main

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gatherdev/gather"
	"github.com/gatherdev/gather/internal/units"
)

// durationValue is a flag that takes "250ms", "1m" or a bare number of seconds.
type durationValue struct{ d *time.Duration }

func (v durationValue) String() string {
	if v.d == nil {
		return ""
	}
	return v.d.String()
}
func (v durationValue) Set(s string) error {
	d, err := units.ParseDuration(s)
	if err != nil {
		return err
	}
	*v.d = d
	return nil
}
func (durationValue) Type() string { return "duration" }

// sizeValue is a flag that takes a size like 512KB or 10MiB.
type sizeValue struct{ n *int64 }

func (v sizeValue) String() string {
	if v.n == nil {
		return ""
	}
	switch n := *v.n; {
	case n > 0 && n%(1<<20) == 0:
		return fmt.Sprintf("%dMiB", n>>20)
	case n > 0 && n%(1<<10) == 0:
		return fmt.Sprintf("%dKiB", n>>10)
	default:
		return fmt.Sprint(n)
	}
}
func (v sizeValue) Set(s string) error {
	n, err := units.ParseSize(s)
	if err != nil {
		return err
	}
	*v.n = n
	return nil
}
func (sizeValue) Type() string { return "size" }

// parseHeaders turns -H "Name: value" flags into a header. "Name:" with
// nothing after the colon sends an empty value.
func parseHeaders(flags []string) (http.Header, error) {
	h := http.Header{}
	for i, f := range flags {
		name, value, ok := strings.Cut(f, ":")
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		// Messages name the header, never its value: it may be a secret.
		if !ok || name == "" {
			return nil, fmt.Errorf("-H (the %s): want \"Name: value\", and it has no colon or no name", ordinal(i+1))
		}
		probe := gather.Request{URL: "http://header.check/", Header: http.Header{name: {value}}}
		if err := probe.Validate(); err != nil {
			if strings.Contains(err.Error(), "invalid value") {
				return nil, fmt.Errorf("-H %q: the value has a character a header cannot hold", name+": …")
			}
			return nil, fmt.Errorf("-H (the %s): %v", ordinal(i+1), err)
		}
		h.Add(name, value)
	}
	return h, nil
}

func ordinal(n int) string {
	switch n {
	case 1:
		return "1st"
	case 2:
		return "2nd"
	case 3:
		return "3rd"
	}
	return fmt.Sprintf("%dth", n)
}
