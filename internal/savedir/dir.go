package savedir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"
)

// maxTries bounds the names Commit tries for one body. It is only reached
// if os.Link keeps failing with EEXIST for some other reason than a taken
// name.
const maxTries = 1 << 20

// Dir saves bodies into one directory. It is safe for concurrent use.
type Dir struct {
	path string

	mu   sync.Mutex
	next map[string]int // name with tag -> the last counter Commit used with it
}

// Open prepares dir, creating it (with its parents, mode 0o755) if it is
// missing, and checks that it is a directory that a file can be created
// in. Its errors name dir.
func Open(dir string) (*Dir, error) {
	if dir == "" {
		return nil, errors.New("save directory: empty path")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("save directory %s: %w", dir, err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("save directory %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("save directory %s: not a directory", dir)
	}
	f, err := os.CreateTemp(dir, tmpPattern)
	if err != nil {
		return nil, fmt.Errorf("save directory %s: cannot create a file: %w", dir, err)
	}
	name := f.Name()
	err = f.Close()
	if rerr := os.Remove(name); err == nil {
		err = rerr
	}
	if err != nil {
		return nil, fmt.Errorf("save directory %s: %w", dir, err)
	}
	return &Dir{path: dir}, nil
}

// Path returns the directory as given to Open.
func (d *Dir) Path() string { return d.path }

// Create starts the body of the request identified by key (such as a hex
// fingerprint; see Commit for how it is used) for rawURL. The body is
// written to a new temp file in the directory, named ".gather-tmp-*", until
// Commit or Abort. Every File that Create returns must be committed or
// aborted.
func (d *Dir) Create(rawURL, key string) (*File, error) {
	stem, ext := split(rawURL)
	f, err := os.CreateTemp(d.path, tmpPattern)
	if err != nil {
		return nil, err
	}
	return &File{d: d, f: f, tmp: f.Name(), stem: stem, ext: ext, tag: keyTag(key)}, nil
}

// File is one body being written, to a temp file until Commit. It is an
// io.Writer that writes straight to the file: nothing is buffered. A File
// is not safe for concurrent use.
type File struct {
	d              *Dir
	f              *os.File
	tmp            string // the temp file's path
	stem, ext, tag string
	state          state
	path           string // the final path, once committed
}

type state int8

const (
	open state = iota
	committed
	aborted
)

// Write writes p to the temp file.
func (f *File) Write(p []byte) (int, error) {
	if f.state != open {
		return 0, fmt.Errorf("write %s: %w", f.tmp, os.ErrClosed)
	}
	return f.f.Write(p)
}

// Commit fsyncs and closes the temp file and links it to its final name in
// the directory, then removes the temp name, fsyncs the directory and
// returns the file's path: filepath.Join(d.Path(), name), which opens from
// where the program runs.
//
// Commit never replaces an existing file or follows a symlink: it links
// with os.Link, which fails when the name exists. The first name tried is
// Name(rawURL); when it is taken, the name with "-" and the key's tag
// before the extension ("a.json" -> "a-1f2e3d4c.json"), then with "-2",
// "-3", ... after the tag. The tag is the key's first 8 bytes when they are
// ASCII letters and digits, otherwise the first 8 hex digits of the SHA-256
// of the key. Names with a tag are cut to 200 bytes as Name's are.
//
// If Commit fails, the temp file is removed and no file is left for the
// body. Commit after Commit returns the same path; Commit after Abort
// fails.
func (f *File) Commit() (string, error) {
	switch f.state {
	case committed:
		return f.path, nil
	case aborted:
		return "", fmt.Errorf("commit %s: %w", f.tmp, os.ErrClosed)
	}
	// A saved body is an ordinary file, readable as curl -o leaves one
	// (temporary files are created 0600).
	if err := f.f.Chmod(0o644); err != nil {
		f.Abort()
		return "", err
	}
	if err := f.f.Sync(); err != nil {
		f.Abort()
		return "", err
	}
	err := f.f.Close()
	f.f = nil
	if err != nil {
		f.Abort()
		return "", err
	}
	path, err := f.link()
	if err != nil {
		f.Abort()
		return "", err
	}
	if err := os.Remove(f.tmp); err != nil {
		os.Remove(path)
		f.Abort()
		return "", err
	}
	if err := syncDir(f.d.path); err != nil {
		os.Remove(path)
		f.state = aborted
		return "", err
	}
	f.state, f.path = committed, path
	return path, nil
}

// link links the temp file to the first free name and returns its path.
func (f *File) link() (string, error) {
	d := f.d
	try := func(name string) (bool, string, error) {
		path := filepath.Join(d.path, name)
		err := os.Link(f.tmp, path)
		if err == nil {
			return true, path, nil
		}
		if errors.Is(err, fs.ErrExist) {
			return false, "", nil
		}
		return false, "", err
	}
	for _, suffix := range []string{"", "-" + f.tag} {
		if ok, path, err := try(fit(f.stem, suffix, f.ext)); ok || err != nil {
			return path, err
		}
	}

	// Start after the counter last used for this name, so that many bodies
	// under one name cost one try each, not one per body before them.
	key := fit(f.stem, "-"+f.tag, f.ext)
	d.mu.Lock()
	n := max(d.next[key], 1)
	d.mu.Unlock()
	for range maxTries {
		n++
		ok, path, err := try(fit(f.stem, "-"+f.tag+"-"+strconv.Itoa(n), f.ext))
		if err != nil {
			return "", err
		}
		if ok {
			d.mu.Lock()
			if d.next == nil {
				d.next = make(map[string]int)
			}
			d.next[key] = max(d.next[key], n)
			d.mu.Unlock()
			return path, nil
		}
	}
	return "", fmt.Errorf("link %s: no free name after %d tries", f.tmp, maxTries)
}

// Abort removes the temp file, after a failed or cut-short body. It is a
// no-op after Commit and when called again.
func (f *File) Abort() error {
	if f.state != open {
		return nil
	}
	f.state = aborted
	if f.f != nil {
		f.f.Close() // the body is thrown away: only removing it matters
		f.f = nil
	}
	if err := os.Remove(f.tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// syncDir fsyncs the directory dir, so that the names linked in it last.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
