package record

// compactJSON appends src to dst without insignificant white space if src
// is one valid JSON value (RFC 8259, as encoding/json.Valid judges it) that
// nests no deeper than maxDepth, with U+2028 and U+2029 escaped. ok is false
// otherwise, and the result is to be dropped. UTF-8 validity is not its
// concern.
//
// It is the record encoder's hot path for JSON bodies, so it checks and
// compacts in one pass of one loop, with no call for each token, and copies
// src in runs broken only where white space is left out: a body that is
// compact already is copied at once.
func compactJSON(dst, src []byte, maxDepth int) (out []byte, ok bool) {
	var stackSpace [64]byte
	open := stackSpace[:0] // the containers open: '{' or '['
	i, from := 0, 0        // src[from:i] is yet to be copied to dst
	n := len(src)

value:
	i, from, dst = skipSpace(dst, src, i, from)
	if i >= n {
		return dst, false
	}
	switch c := src[i]; c {
	case '{', '[':
		if len(open) >= maxDepth {
			return dst, false
		}
		open = append(open, c)
		i++
		i, from, dst = skipSpace(dst, src, i, from)
		if i < n && src[i] == c+2 { // '}' is '{'+2, ']' is '['+2
			open = open[:len(open)-1]
			i++
			goto after
		}
		if c == '{' {
			goto key
		}
		goto value
	case '"':
		if j := plainString(src, i); j > 0 {
			i = j
		} else if i, from, dst = scanString(dst, src, i, from); i < 0 {
			return dst, false
		}
	case 't':
		if i = scanLiteral(src, i, "true"); i < 0 {
			return dst, false
		}
	case 'f':
		if i = scanLiteral(src, i, "false"); i < 0 {
			return dst, false
		}
	case 'n':
		if i = scanLiteral(src, i, "null"); i < 0 {
			return dst, false
		}
	default:
		if i = scanNumber(src, i); i < 0 {
			return dst, false
		}
	}

after: // a value has ended
	i, from, dst = skipSpace(dst, src, i, from)
	if len(open) == 0 {
		if i != n {
			return dst, false
		}
		return append(dst, src[from:]...), true
	}
	if i >= n {
		return dst, false
	}
	switch c := src[i]; {
	case c == ',':
		i++
		if open[len(open)-1] == '{' {
			goto key
		}
		goto value
	case c == open[len(open)-1]+2:
		open = open[:len(open)-1]
		i++
		goto after
	default:
		return dst, false
	}

key: // an object's member is next
	i, from, dst = skipSpace(dst, src, i, from)
	if i >= n || src[i] != '"' {
		return dst, false
	}
	if j := plainString(src, i); j > 0 {
		i = j
	} else if i, from, dst = scanString(dst, src, i, from); i < 0 {
		return dst, false
	}
	i, from, dst = skipSpace(dst, src, i, from)
	if i >= n || src[i] != ':' {
		return dst, false
	}
	i++
	goto value
}

// skipSpace skips the white space at src[i:], copying src[from:i] first
// when there is some.
func skipSpace(dst, src []byte, i, from int) (int, int, []byte) {
	if i >= len(src) || src[i] > ' ' { // the common case: none
		return i, from, dst
	}
	j := i
	for j < len(src) && (src[j] == ' ' || src[j] == '\t' || src[j] == '\n' || src[j] == '\r') {
		j++
	}
	if j == i {
		return i, from, dst
	}
	return j, j, append(dst, src[from:i]...)
}

// plainInString marks the bytes a string holds with no second look: not a
// quote, a backslash, a control character, or 0xe2, the first byte of
// U+2028 and U+2029.
var plainInString = func() (t [256]bool) {
	for c := range t {
		t[c] = c >= 0x20 && c != '"' && c != '\\' && c != 0xe2
	}
	return t
}()

// plainString returns the index after the string at src[i] if it holds
// only plainInString bytes, and 0 otherwise: the common case, inlined.
func plainString(src []byte, i int) int {
	for i++; i < len(src); i++ {
		if !plainInString[src[i]] {
			if src[i] == '"' {
				return i + 1
			}
			return 0
		}
	}
	return 0
}

// scanString scans the string at src[i], its opening quote, and returns the
// index after it, or -1 if it is not valid. U+2028 and U+2029 are valid JSON
// either way, but line breaks to some line splitters: they are escaped, which
// copies what comes before them.
func scanString(dst, src []byte, i, from int) (int, int, []byte) {
	i++
	for {
		for i < len(src) && plainInString[src[i]] {
			i++
		}
		if i >= len(src) {
			return -1, from, dst
		}
		switch c := src[i]; {
		case c == '"':
			return i + 1, from, dst
		case c == '\\':
			if i+1 >= len(src) {
				return -1, from, dst
			}
			switch src[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+5 >= len(src) {
					return -1, from, dst
				}
				for _, h := range src[i+2 : i+6] {
					if !isHex(h) {
						return -1, from, dst
					}
				}
				i += 6
			default:
				return -1, from, dst
			}
		case c == 0xe2:
			if i+2 < len(src) && src[i+1] == 0x80 && (src[i+2] == 0xa8 || src[i+2] == 0xa9) {
				dst = append(dst, src[from:i]...)
				dst = append(dst, '\\', 'u', '2', '0', '2', "89"[src[i+2]-0xa8])
				i += 3
				from = i
			} else {
				i++ // a sequence may start inside this one: "\xe2\x80\u2029"
			}
		default: // a control character
			return -1, from, dst
		}
	}
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// scanLiteral returns the index after word at src[i], or -1.
func scanLiteral(src []byte, i int, word string) int {
	if len(src)-i < len(word) || string(src[i:i+len(word)]) != word {
		return -1
	}
	return i + len(word)
}

// scanNumber scans -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? at src[i]
// and returns the index after it, or -1.
func scanNumber(src []byte, i int) int {
	if i < len(src) && src[i] == '-' {
		i++
	}
	switch {
	case i >= len(src):
		return -1
	case src[i] == '0':
		i++
	case '1' <= src[i] && src[i] <= '9':
		i = scanDigits(src, i)
	default:
		return -1
	}
	if i < len(src) && src[i] == '.' {
		if j := scanDigits(src, i+1); j > i+1 {
			i = j
		} else {
			return -1
		}
	}
	if i < len(src) && (src[i] == 'e' || src[i] == 'E') {
		i++
		if i < len(src) && (src[i] == '+' || src[i] == '-') {
			i++
		}
		if j := scanDigits(src, i); j > i {
			i = j
		} else {
			return -1
		}
	}
	return i
}

// scanDigits returns the index after the decimal digits at src[i:].
func scanDigits(src []byte, i int) int {
	for i < len(src) && '0' <= src[i] && src[i] <= '9' {
		i++
	}
	return i
}
