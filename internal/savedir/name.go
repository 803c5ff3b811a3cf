// Package savedir saves response bodies, each to its own file, in one
// directory.
//
// A body is streamed to a temp file in the directory, fsynced, and then
// linked to its final name, which is never an existing file: not another
// response's, not one left by an earlier run, not a symlink planted under
// the name. Names come from the URL (see Name) and never hold a path
// separator, so no URL can put a file outside the directory.
package savedir

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"strings"
	"unicode/utf8"
)

const (
	// maxName is the longest file name Name and Commit give, in bytes.
	maxName = 200
	// maxExt is the longest extension (dot included) that is kept at the
	// end of a name; a longer one is just part of the name.
	maxExt = 10
	// tmpPattern is the pattern of temp file names. Names from Name never
	// start with ".", so they cannot clash with temp files.
	tmpPattern = ".gather-tmp-*"
)

// Name returns the base file name for rawURL. It is deterministic, ASCII,
// at most 200 bytes, holds no path separator, is never "." or "..", and
// never starts with "." (so it is neither hidden nor a temp file's name)
// nor "-".
//
// The rule:
//   - Take the URL's host, in lower case, with any port kept as "_8080".
//     The scheme, user info and fragment are left out.
//   - Then the path's segments (split at "/" first, then each
//     percent-decoded once, so "%2f" does not split). Empty, "." and ".."
//     segments are dropped entirely.
//   - If the path is empty, ends in "/", or ends in a dropped segment, add
//     "index".
//   - Join the parts with "_". Every byte or rune outside [A-Za-z0-9._-]
//     becomes "_", and runs of "_" are collapsed to one.
//   - The extension is the part of the last segment from its last ".",
//     when that is not the segment's first byte and is 2 to 10 bytes long
//     ("a.json" has ".json", ".bashrc" and "index" have none).
//   - If the URL has a query, add "_" and the first 8 hex digits of the
//     SHA-256 of the raw query, before the extension.
//   - A leading "." or "-" becomes "_".
//   - A name over 200 bytes has its middle cut out and replaced by "_",
//     8 hex digits of the SHA-256 of the uncut name and "_"; the
//     extension stays at the end.
//
// If rawURL does not parse, the name is "_" and the first 16 hex digits of
// the SHA-256 of rawURL.
//
// For example "https://Example.com:8080/a/b%20c/report.json?x=1" gives
// "example.com_8080_a_b_c_report_<8 hex>.json".
func Name(rawURL string) string {
	stem, ext := split(rawURL)
	return fit(stem, "", ext)
}

// split returns the name for rawURL before it is cut to maxName: its stem
// and its extension ("" or a dot and 1 to maxExt-1 safe bytes). The stem
// is sanitized, collapsed, and does not start with "." or "-".
func split(rawURL string) (stem, ext string) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "_" + hashHex(rawURL, 16), ""
	}

	var b strings.Builder
	// add appends part and returns where it starts in b.
	add := func(part string) int {
		if b.Len() > 0 {
			b.WriteByte('_')
		}
		start := b.Len()
		sanitize(&b, part)
		return start
	}
	if u.Host != "" {
		add(strings.ToLower(u.Host))
	}

	p := u.EscapedPath()
	if u.Opaque != "" {
		// "mailto:x/y": no host, the opaque part stands for the path.
		p = u.Opaque
	}
	index := true // the last segment names a directory
	last := ""    // the last segment kept, sanitized
	for seg := range strings.SplitSeq(p, "/") {
		if s, err := url.PathUnescape(seg); err == nil {
			seg = s
		}
		if seg == "" || seg == "." || seg == ".." {
			index = true
			continue
		}
		index = false
		start := add(seg)
		last = b.String()[start:]
	}
	if index {
		add("index")
	} else if i := strings.LastIndexByte(last, '.'); i > 0 && len(last)-i >= 2 && len(last)-i <= maxExt {
		ext = last[i:]
	}

	stem = b.String()[:b.Len()-len(ext)]
	if u.RawQuery != "" {
		stem += "_" + hashHex(u.RawQuery, 8)
	}
	return clean(stem), ext
}

// fit returns stem+suffix+ext, cut to at most maxName bytes by replacing
// the middle of stem with a hash of it. suffix and ext are short.
func fit(stem, suffix, ext string) string {
	if len(stem)+len(suffix)+len(ext) <= maxName {
		return clean(stem + suffix + ext)
	}
	mark := "_" + hashHex(stem, 8) + "_"
	keep := maxName - len(suffix) - len(ext) - len(mark)
	head := keep / 2
	tail := keep - head
	return clean(stem[:head] + mark + stem[len(stem)-tail:] + suffix + ext)
}

// sanitize writes s to b, each byte or rune outside [A-Za-z0-9._-] (and
// each byte of invalid UTF-8) as "_", and no "_" right after another.
func sanitize(b *strings.Builder, s string) {
	for len(s) > 0 {
		c := s[0]
		n := 1
		if c >= utf8.RuneSelf {
			_, n = utf8.DecodeRuneInString(s)
		}
		s = s[n:]
		if n > 1 || !isSafe(c) {
			c = '_'
		}
		if c == '_' && b.Len() > 0 && b.String()[b.Len()-1] == '_' {
			continue
		}
		b.WriteByte(c)
	}
}

func isSafe(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '.' || c == '_' || c == '-'
}

// clean replaces any unsafe byte by "_", a leading "." or "-" by "_", and
// collapses runs of "_". Its input is normally safe already; clean makes
// sure of it.
func clean(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isSafe(c) || i == 0 && (c == '.' || c == '-') {
			c = '_'
		}
		if c == '_' && len(b) > 0 && b[len(b)-1] == '_' {
			continue
		}
		b = append(b, c)
	}
	if len(b) == 0 {
		return "_"
	}
	return string(b)
}

// hashHex returns the first n hex digits of the SHA-256 of s.
func hashHex(s string, n int) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:n]
}

// keyTag returns the collision tag for key: its first 8 bytes when they
// are ASCII letters and digits (as in a hex fingerprint), otherwise the
// first 8 hex digits of the SHA-256 of key.
func keyTag(key string) string {
	if len(key) >= 8 {
		ok := true
		for i := range 8 {
			c := key[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
				ok = false
				break
			}
		}
		if ok {
			return key[:8]
		}
	}
	return hashHex(key, 8)
}
