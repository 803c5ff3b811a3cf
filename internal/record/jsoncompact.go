package record

import "bytes"

// compactJSON appends src to dst without insignificant white space if src
// is one valid JSON value (RFC 8259, as encoding/json.Valid judges it) that
// nests no deeper than maxDepth. ok is false otherwise, and the result is
// to be dropped. It checks and compacts in one pass, which is the record
// encoder's hot path for JSON bodies. UTF-8 validity is not its concern.
func compactJSON(dst, src []byte, maxDepth int) (out []byte, ok bool) {
	s := jsonScanner{src: src, dst: dst, maxDepth: maxDepth}
	if !s.value() {
		return dst, false
	}
	s.space()
	return s.dst, s.i == len(s.src)
}

type jsonScanner struct {
	src             []byte
	i               int
	dst             []byte
	depth, maxDepth int
}

func (s *jsonScanner) space() {
	for s.i < len(s.src) {
		switch s.src[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// next skips white space and returns the next byte, or 0 at the end.
func (s *jsonScanner) next() byte {
	s.space()
	if s.i < len(s.src) {
		return s.src[s.i]
	}
	return 0
}

func (s *jsonScanner) value() bool {
	switch s.next() {
	case '{':
		return s.container('{', '}')
	case '[':
		return s.container('[', ']')
	case '"':
		return s.string()
	case 't':
		return s.literal("true")
	case 'f':
		return s.literal("false")
	case 'n':
		return s.literal("null")
	default:
		return s.number()
	}
}

// container scans an object or an array, its opening byte next.
func (s *jsonScanner) container(open, close byte) bool {
	if s.depth++; s.depth > s.maxDepth {
		return false
	}
	s.dst = append(s.dst, open)
	s.i++
	if s.next() == close {
		s.dst = append(s.dst, close)
		s.i++
		s.depth--
		return true
	}
	for {
		if open == '{' {
			if s.next() != '"' || !s.string() || s.next() != ':' {
				return false
			}
			s.dst = append(s.dst, ':')
			s.i++
		}
		if !s.value() {
			return false
		}
		switch s.next() {
		case ',':
			s.dst = append(s.dst, ',')
			s.i++
		case close:
			s.dst = append(s.dst, close)
			s.i++
			s.depth--
			return true
		default:
			return false
		}
	}
}

// string scans a string, its quote next, and copies it as it is.
func (s *jsonScanner) string() bool {
	start := s.i
	s.i++
	for s.i < len(s.src) {
		c := s.src[s.i]
		switch {
		case c == '"':
			s.i++
			s.dst = appendLineSafe(s.dst, s.src[start:s.i])
			return true
		case c == '\\':
			s.i++
			if s.i >= len(s.src) {
				return false
			}
			switch s.src[s.i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i++
			case 'u':
				if s.i+4 >= len(s.src) {
					return false
				}
				for _, h := range s.src[s.i+1 : s.i+5] {
					if !isHex(h) {
						return false
					}
				}
				s.i += 5
			default:
				return false
			}
		case c < 0x20:
			return false
		default:
			s.i++
		}
	}
	return false
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func (s *jsonScanner) literal(word string) bool {
	if len(s.src)-s.i < len(word) || string(s.src[s.i:s.i+len(word)]) != word {
		return false
	}
	s.dst = append(s.dst, word...)
	s.i += len(word)
	return true
}

// number scans -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *jsonScanner) number() bool {
	start := s.i
	if s.peek() == '-' {
		s.i++
	}
	switch c := s.peek(); {
	case c == '0':
		s.i++
	case '1' <= c && c <= '9':
		s.digits()
	default:
		return false
	}
	if s.peek() == '.' {
		s.i++
		if !s.digits() {
			return false
		}
	}
	if c := s.peek(); c == 'e' || c == 'E' {
		s.i++
		if c := s.peek(); c == '+' || c == '-' {
			s.i++
		}
		if !s.digits() {
			return false
		}
	}
	s.dst = append(s.dst, s.src[start:s.i]...)
	return true
}

func (s *jsonScanner) peek() byte {
	if s.i < len(s.src) {
		return s.src[s.i]
	}
	return 0
}

// digits scans one or more decimal digits.
func (s *jsonScanner) digits() bool {
	start := s.i
	for s.i < len(s.src) && '0' <= s.src[s.i] && s.src[s.i] <= '9' {
		s.i++
	}
	return s.i > start
}

// appendLineSafe appends a JSON string's text with U+2028 and U+2029
// escaped: valid JSON either way, but line breaks to some line splitters.
func appendLineSafe(dst, str []byte) []byte {
	if bytes.IndexByte(str, 0xe2) < 0 { // the common case, at SIMD speed
		return append(dst, str...)
	}
	for {
		i := bytes.Index(str, []byte("\xe2\x80"))
		if i < 0 || i+2 >= len(str) {
			return append(dst, str...)
		}
		if c := str[i+2]; c == 0xa8 || c == 0xa9 {
			dst = append(dst, str[:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', "89"[c-0xa8])
			str = str[i+3:]
		} else {
			// Not one of the two: step over one byte only, for a sequence may
			// start inside this one (found by FuzzCompactJSON: "\xe2\x80\u2029").
			dst = append(dst, str[:i+1]...)
			str = str[i+1:]
		}
	}
}
