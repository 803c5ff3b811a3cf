// Package journal reads, repairs and compacts a gather records file (JSON
// Lines, one record per request), so that a run can be resumed: every
// request that already has a record is skipped.
package journal

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"

	"github.com/gatherdev/gather"
)

// Journal is what an output file already holds, for --resume.
type Journal struct {
	last       map[gather.Fingerprint]bool // key -> whether its last record is ok
	records    int64
	repaired   int64
	duplicates int64
}

// Open reads the records file at path (which must exist), for appending to it.
//
// Every complete line (ending in "\n") must be a gather record; otherwise
// Open returns an error that names path and the line and changes nothing in
// the file. A last line without "\n" is a torn write from a crash: once every
// complete line checked out, the file is truncated to the end of the last
// complete line and synced. The torn line is not counted as a record, so its
// request is fetched again. An empty file holds zero records.
//
// Per key, Open keeps only whether the last record of that key is ok: a later
// record supersedes an earlier one.
func Open(path string) (*Journal, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()

	j := &Journal{last: make(map[gather.Fingerprint]bool)}
	lr := newLineReader(f)
	var n, good int64 // line number; offset just past the last complete line
	torn := false
	for {
		line, complete, err := lr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", path, err)
		}
		n++
		if !complete {
			torn = true
			break
		}
		key, ok, err := Key(line[:len(line)-1])
		if err != nil {
			return nil, notRecords(path, n, err)
		}
		good = lr.off
		j.records++
		if _, seen := j.last[key]; seen {
			j.duplicates++
		}
		j.last[key] = ok
	}
	if torn {
		if err := truncate(f, path, lr.off, good); err != nil {
			return nil, err
		}
		j.repaired = lr.off - good
	}
	return j, nil
}

// truncate cuts the file at path, read through f up to size bytes, to good
// bytes and syncs it.
func truncate(f *os.File, path string, size, good int64) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if fi.Size() != size {
		return fmt.Errorf("%s changed while it was read (%d bytes, was %d); not repairing it", path, fi.Size(), size)
	}
	w, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("repairing the torn last line of %s: %w", path, err)
	}
	if err := w.Truncate(good); err != nil {
		w.Close()
		return fmt.Errorf("repairing the torn last line of %s: %w", path, err)
	}
	if err := w.Sync(); err != nil {
		w.Close()
		return fmt.Errorf("repairing the torn last line of %s: %w", path, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("repairing the torn last line of %s: %w", path, err)
	}
	return nil
}

func notRecords(path string, n int64, err error) error {
	return fmt.Errorf("%s: line %d: not a gather records file: %w", path, n, err)
}

// Records returns how many complete records Open read.
func (j *Journal) Records() int64 { return j.records }

// Repaired returns how many bytes of a torn last line Open cut off, or 0.
func (j *Journal) Repaired() int64 { return j.repaired }

// Duplicates returns how many records had a key that appeared before: the
// records superseded by a later one of the same key.
func (j *Journal) Duplicates() int64 { return j.duplicates }

// Lookup reports whether key has a record, and whether its last record is ok.
func (j *Journal) Lookup(key gather.Fingerprint) (found, ok bool) {
	ok, found = j.last[key]
	return found, ok
}

// Len returns the number of distinct keys.
func (j *Journal) Len() int { return len(j.last) }

// Compact rewrites the records file at path keeping only the last record of
// each key, byte for byte, in the order of those last records. It returns how
// many records it kept and dropped. A torn last line (without "\n") is not a
// record and is left out too, as Open would cut it; a file in which a
// complete line is not a record is refused and left unchanged. When there is
// nothing to leave out, the file is left as it is.
//
// The rewrite is atomic: the new content goes to a temporary file in the same
// directory, which is synced and renamed over path before the directory is
// synced, so a crash at any moment leaves either the old file or the new one.
// Compact streams: it reads the file twice, once to find the line of each
// key's last record and once to copy those lines, and holds only a map from
// key to line index.
func Compact(path string) (kept, dropped int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, 0, err
	}

	// Pass 1: the index of each key's last line.
	last := make(map[gather.Fingerprint]int64)
	lr := newLineReader(f)
	var lines int64 // complete lines
	torn := false
	for {
		line, complete, err := lr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, 0, fmt.Errorf("reading %s: %w", path, err)
		}
		if !complete {
			torn = true
			break
		}
		key, _, err := Key(line[:len(line)-1])
		if err != nil {
			return 0, 0, notRecords(path, lines+1, err)
		}
		last[key] = lines
		lines++
	}
	kept = int64(len(last))
	dropped = lines - kept
	if dropped == 0 && !torn {
		return kept, 0, nil
	}

	// Pass 2: copy the last lines to a temporary file.
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return 0, 0, err
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".compact-*")
	if err != nil {
		return 0, 0, fmt.Errorf("compacting %s: %w", path, err)
	}
	renamed := false
	defer func() {
		if err != nil && !renamed {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(fi.Mode().Perm()); err != nil {
		return 0, 0, fmt.Errorf("compacting %s: %w", path, err)
	}
	w := bufio.NewWriterSize(tmp, 64<<10)
	lr.reset(f)
	changed := fmt.Errorf("%s changed while it was compacted; left as it was", path)
	for i := int64(0); i < lines; i++ {
		line, complete, err := lr.next()
		if err == io.EOF || (err == nil && !complete) {
			return 0, 0, changed
		}
		if err != nil {
			return 0, 0, fmt.Errorf("reading %s: %w", path, err)
		}
		key, _, err := Key(line[:len(line)-1])
		if err != nil {
			return 0, 0, changed
		}
		li, ok := last[key]
		if !ok {
			return 0, 0, changed
		}
		if li == i {
			if _, err := w.Write(line); err != nil {
				return 0, 0, fmt.Errorf("compacting %s: %w", path, err)
			}
		}
	}
	if _, complete, err := lr.next(); err == nil && complete {
		return 0, 0, changed
	}
	if err := w.Flush(); err != nil {
		return 0, 0, fmt.Errorf("compacting %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return 0, 0, fmt.Errorf("compacting %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return 0, 0, fmt.Errorf("compacting %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return 0, 0, fmt.Errorf("compacting %s: %w", path, err)
	}
	// From here on the temporary file is path: a failure to sync the
	// directory must not remove it.
	renamed = true
	if serr := syncDir(dir); serr != nil {
		return kept, dropped, fmt.Errorf("compacting %s: syncing %s: %w", path, dir, serr)
	}
	return kept, dropped, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	if err := d.Sync(); err != nil {
		d.Close()
		return err
	}
	return d.Close()
}

// wire holds the members of a record that make its key. encoding/json skips
// all others, the body among them, without keeping them.
type wire struct {
	URL      *string         `json:"url"`
	Method   *string         `json:"method"`
	ID       *string         `json:"id"`
	FP       *string         `json:"fp"`
	OK       *bool           `json:"ok"`
	Attempts *float64        `json:"attempts"`
	Error    json.RawMessage `json:"error"`
	Input    *string         `json:"input"`
	Line     *int64          `json:"line"`
}

// Entry is what the journal reads of a record: the key of the request it
// stands for, whether it is ok, and how many times it was sent.
type Entry struct {
	Key      gather.Fingerprint
	OK       bool
	Attempts int
}

// Key returns the request key of one record line (without its newline) and
// whether the record is ok, or an error when the line is not a gather
// record: ReadEntry without the attempts.
func Key(line []byte) (gather.Fingerprint, bool, error) {
	e, err := ReadEntry(line)
	return e.Key, e.OK, err
}

// ReadEntry reads one record line (without its newline), or returns an
// error when the line is not a gather record: a JSON object with a boolean
// "ok", a number "attempts", and a string "url" or a string "input".
//
// The key is the gather.Fingerprint of the request the record stands for:
// the record's "fp" when it has one (its request could not be rebuilt from
// the rest); for an invalid input line (error kind "invalid" with "input"),
// that of a request whose Err is gather.NewInputError("line", "input", ...),
// with line 0 when the record has none; else its non-empty "id"; else its
// method and URL.
func ReadEntry(line []byte) (Entry, error) {
	if !isObject(line) {
		return Entry{}, errors.New("not a JSON object")
	}
	var w wire
	if err := json.Unmarshal(line, &w); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return Entry{}, fmt.Errorf("%q is %s, not %s", te.Field, article(te.Value), goType(te.Type.Kind()))
		}
		return Entry{}, err
	}
	switch {
	case w.OK == nil:
		return Entry{}, errors.New(`no boolean "ok"`)
	case w.Attempts == nil:
		return Entry{}, errors.New(`no number "attempts"`)
	case w.URL == nil && w.Input == nil:
		return Entry{}, errors.New(`no string "url" or "input"`)
	}
	e := Entry{OK: *w.OK, Attempts: int(min(max(*w.Attempts, 0), 1<<30))}
	switch {
	case w.FP != nil:
		fp, err := gather.ParseFingerprint(*w.FP)
		if err != nil {
			return Entry{}, fmt.Errorf(`"fp": %w`, err)
		}
		e.Key = fp
	case w.Input != nil && errorKind(w.Error) == string(gather.KindInvalid):
		var n int64
		if w.Line != nil {
			n = *w.Line
		}
		r := gather.Request{Err: gather.NewInputError(n, *w.Input, errInvalid)}
		e.Key = r.Fingerprint()
	case w.ID != nil && *w.ID != "":
		r := gather.Request{ID: *w.ID}
		e.Key = r.Fingerprint()
	default:
		var r gather.Request
		if w.URL != nil {
			r.URL = *w.URL
		}
		if w.Method != nil {
			r.Method = *w.Method
		}
		e.Key = r.Fingerprint()
	}
	return e, nil
}

// errInvalid stands for the cause of an invalid input line, which does not
// count in its fingerprint.
var errInvalid = errors.New("invalid input")

// errorKind returns the "kind" of a record's "error" object, or "".
func errorKind(raw json.RawMessage) string {
	if !isObject(raw) {
		return ""
	}
	var e struct {
		Kind string `json:"kind"`
	}
	if json.Unmarshal(raw, &e) != nil {
		return ""
	}
	return e.Kind
}

func isObject(b []byte) bool {
	b = bytes.TrimLeft(b, " \t\r\n")
	return len(b) > 0 && b[0] == '{'
}

// goType names the JSON type of a field of wire.
func goType(k reflect.Kind) string {
	switch k {
	case reflect.Bool:
		return "a boolean"
	case reflect.Float64:
		return "a number"
	case reflect.Int64:
		return "an integer"
	case reflect.String:
		return "a string"
	}
	return k.String()
}

func article(jsonType string) string {
	switch jsonType {
	case "array", "object":
		return "an " + jsonType
	case "null":
		return "null"
	}
	return "a " + jsonType
}

// lineReader reads lines of any length, holding at most one at a time.
type lineReader struct {
	br  *bufio.Reader
	buf []byte // a line longer than br's buffer
	off int64  // bytes read so far
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, 64<<10)}
}

func (r *lineReader) reset(rd io.Reader) {
	r.br.Reset(rd)
	r.off = 0
}

// next returns the next line, with its "\n" when complete is true. The line
// is valid until the next call. At the end it returns io.EOF; a last line
// without "\n" comes first with complete false.
func (r *lineReader) next() (line []byte, complete bool, err error) {
	frag, err := r.br.ReadSlice('\n')
	if err == nil {
		r.off += int64(len(frag))
		return frag, true, nil
	}
	r.buf = append(r.buf[:0], frag...)
	for err == bufio.ErrBufferFull {
		frag, err = r.br.ReadSlice('\n')
		r.buf = append(r.buf, frag...)
	}
	r.off += int64(len(r.buf))
	line = r.buf
	if cap(r.buf) > 4<<20 {
		r.buf = nil // do not keep a huge buffer for the lines to come
	}
	switch {
	case err == nil:
		return line, true, nil
	case err == io.EOF && len(line) > 0:
		return line, false, nil
	default:
		return nil, false, err
	}
}

// Each reads the records of r in order and calls fn with each complete
// line's number, the line (its "\n" included; valid only during the call)
// and its request key. A last line without "\n", the torn write of a crash,
// is reported by torn and not passed to fn. A line that is not a gather
// record ends the scan with an error naming its number; so does an error
// from fn.
func Each(r io.Reader, fn func(n int64, line []byte, key gather.Fingerprint) error) (torn bool, err error) {
	lr := newLineReader(r)
	for n := int64(1); ; n++ {
		line, complete, err := lr.next()
		switch {
		case err == io.EOF:
			return false, nil
		case err != nil:
			return false, err
		case !complete:
			return true, nil
		}
		key, _, err := Key(line[:len(line)-1])
		if err != nil {
			return false, fmt.Errorf("line %d: not a gather record: %w", n, err)
		}
		if err := fn(n, line, key); err != nil {
			return false, err
		}
	}
}
