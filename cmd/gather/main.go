// Command gather fetches large lists of HTTP requests concurrently and
// reliably, and writes one JSON record per request.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	ctx, cancel := context.WithCancelCause(context.Background())
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-signals
		cancel(interrupted{sig.(syscall.Signal)})
		<-signals // a second signal: leave at once, but not in the middle of a record
		if halt := haltOutput.Load(); halt != nil {
			done := make(chan struct{})
			go func() { (*halt)(); close(done) }()
			select {
			case <-done:
			case <-time.After(time.Second): // a write stuck on a full pipe
			}
		}
		os.Exit(exitCode(interrupted{sig.(syscall.Signal)}))
	}()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// haltOutput, when set, stops the records being written, at a record's
// end, for a forced exit on the second interrupt. Only main's signal
// handling reads it.
var haltOutput atomic.Pointer[func()]

// Exit codes.
const (
	exitOK      = 0
	exitFailed  = 1 // some record is not ok
	exitUsage   = 2 // bad flag or argument, unreadable input, unwritable output
	exitSIGINT  = 130
	exitSIGTERM = 143
)

// interrupted is the cause of a run's cancellation by a signal.
type interrupted struct{ sig syscall.Signal }

func (i interrupted) Error() string {
	name := "SIGINT"
	if i.sig == syscall.SIGTERM {
		name = "SIGTERM"
	}
	return "interrupted by " + name
}

// exitError ends a command with a code; err, when not nil, is printed.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageErrorf returns an error for a bad flag or argument: exit 2.
func usageErrorf(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// exitCode decides the process's exit code from a command's error: the one
// place that does.
func exitCode(err error) int {
	var ee *exitError
	var sig interrupted
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &sig):
		if sig.sig == syscall.SIGTERM {
			return exitSIGTERM
		}
		return exitSIGINT
	case errors.As(err, &ee):
		return ee.code
	default:
		return exitUsage // cobra's own errors: unknown command or flag, bad arguments
	}
}

// run runs gather with args and returns the exit code. It touches no
// global state, so tests call it in-process.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) (code int) {
	defer func() {
		// A bug must not greet the user with a stack trace; the records
		// written so far are whole.
		if p := recover(); p != nil {
			fmt.Fprintf(stderr, "gather: internal error: %v (please report it)\n", p)
			code = exitUsage
		}
	}()
	cmd := newRootCommand(args, stdin, stdout, stderr)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(ctx)
	var ee *exitError
	if err != nil && (!errors.As(err, &ee) || ee.err != nil) {
		fmt.Fprintf(stderr, "gather: %v\n", err)
		if code := exitCode(err); code == exitUsage && !errors.As(err, new(*pathError)) {
			fmt.Fprintf(stderr, "Run 'gather help' for usage.\n")
		}
	}
	return exitCode(err)
}

// pathError is an input or output that cannot be read or written: exit 2,
// the message names the path.
type pathError struct {
	flag, path string
	err        error
}

func (e *pathError) Error() string {
	if e.flag == "" {
		return fmt.Sprintf("%s: %v", e.path, e.err)
	}
	return fmt.Sprintf("%s %s: %v", e.flag, e.path, e.err)
}

func (e *pathError) Unwrap() error { return e.err }

func newPathError(flag, path string, err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err // the path is named once, with its flag
	}
	return &exitError{code: exitUsage, err: &pathError{flag: flag, path: path, err: err}}
}
