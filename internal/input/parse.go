// Package input turns gather's input (files, stdin, command-line arguments)
// into a stream of gather.Request values.
//
// Each line is a URL or a JSON object such as
//
//	{"url": "https://example.com/", "method": "POST", "headers": {"K": "v"}, "body": "...", "id": "..."}
//
// Blank lines and lines whose first non-blank byte is '#' are skipped. Every
// other line yields exactly one Request; a line that is not a valid request
// yields a Request whose Err is a *gather.InputError.
package input

import (
	"fmt"

	"github.com/gatherdev/gather"
)

// MaxLineSize is the longest line, in bytes and without its line ending, that
// can be a request. Longer lines are invalid.
const MaxLineSize = 1 << 20

// Defaults apply to every request that does not set them itself (from the CLI's -X and -d flags).
type Defaults struct {
	Method string // "" means GET (leave Request.Method empty then)
	Body   []byte // nil means none
}

// isBlank reports whether c is trimmed from the ends of a line.
func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\r' }

// trim returns line without leading and trailing spaces, tabs and carriage returns.
func trim(line []byte) []byte {
	i, j := 0, len(line)
	for i < j && isBlank(line[i]) {
		i++
	}
	for j > i && isBlank(line[j-1]) {
		j--
	}
	return line[i:j]
}

// lineSize is the size that counts against MaxLineSize: the line without the
// carriage return of a "\r\n" ending.
func lineSize(line []byte) int {
	if n := len(line); n > 0 && line[n-1] == '\r' {
		return n - 1
	}
	return len(line)
}

func errTooLong(size int64) error {
	return fmt.Errorf("line is over 1 MiB (%d bytes)", size)
}

// invalid returns the Request for an invalid line. It copies no more of line
// than the echo needs.
func invalid(n int64, line []byte, err error) gather.Request {
	if len(line) > gather.MaxInputEcho+1 {
		// One byte more than the echo lets CutUTF8 see a split rune.
		line = line[:gather.MaxInputEcho+1]
	}
	return gather.Request{Line: n, Err: gather.NewInputError(n, string(line), err)}
}

// ParseLine parses one line (without its newline). n is its 1-based line number.
// skip is true for blank and comment lines. Otherwise req has Line=n and either
// Err set or passes req.Validate().
//
// The returned Request does not refer to line's memory (Body may be d.Body).
func ParseLine(line []byte, n int64, d Defaults) (req gather.Request, skip bool) {
	t := trim(line)
	if len(t) == 0 || t[0] == '#' {
		return gather.Request{}, true
	}
	if size := lineSize(line); size > MaxLineSize {
		return invalid(n, t, errTooLong(int64(size))), false
	}
	if t[0] == '{' {
		req, err := parseJSON(t, n, d)
		if err != nil {
			bad := invalid(n, t, err)
			bad.ID = req.ID // an invalid record still names the request it stands for
			return bad, false
		}
		return req, false
	}
	req = gather.Request{URL: string(t), Method: d.Method, Body: d.Body, Line: n}
	if err := req.Validate(); err != nil {
		return invalid(n, t, err), false
	}
	return req, false
}
