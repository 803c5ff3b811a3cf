package gathertest_test

import (
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/gatherdev/gather/gathertest"
)

// fakeT stands in for the *testing.T of a real test, which an example
// does not have.
type fakeT struct {
	testing.TB
	cleanups []func()
}

func (t *fakeT) Helper()                           {}
func (t *fakeT) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }
func (t *fakeT) Cleanup(f func())                  { t.cleanups = append(t.cleanups, f) }

func ExampleNewServer() {
	t := &fakeT{} // in a test: func TestX(t *testing.T) { ... }
	defer func() {
		for _, f := range t.cleanups {
			f() // the testing package does this when the test ends
		}
	}()

	srv := gathertest.NewServer(t)
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()

	for range 3 {
		resp, err := client.Get(srv.URL + "/flaky/2")
		if err != nil {
			panic(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Printf("%d %s", resp.StatusCode, body)
	}
	fmt.Println("hits:", srv.Hits("/flaky/2"), "connections:", srv.Connections())
	// Output:
	// 503 503 Service Unavailable
	// 503 503 Service Unavailable
	// 200 {"ok":true,"hit":3}
	// hits: 3 connections: 1
}
