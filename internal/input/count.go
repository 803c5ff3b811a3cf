package input

import "io"

// CountRequests counts the lines of r that are neither blank nor comments,
// which is how many requests a Reader would yield (repeats included), for a
// progress total. It decompresses gzip input as a Reader does and holds no
// more than one buffer of it.
func CountRequests(src io.Reader) (int64, error) {
	r := &Reader{src: src}
	if !r.start() {
		return 0, r.err
	}
	var n int64
	decided := false // the current line's first non-blank byte was seen
	buf := make([]byte, bufSize)
	for {
		k, err := r.br.Read(buf)
		for _, c := range buf[:k] {
			switch {
			case c == '\n':
				decided = false
			case decided || c == ' ' || c == '\t' || c == '\r':
			default:
				decided = true
				if c != '#' {
					n++
				}
			}
		}
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			r.fail(err)
			return n, r.err
		}
	}
}
