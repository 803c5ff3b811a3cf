// Command floor is the latency benchmark's floor: the least an HTTP client
// can do for N requests at once. It dials N connections, writes one fixed
// GET on each and reads until the response's JSON body has ended, with no
// parsing, no records, no keep-alive and no timeouts. What it takes over
// the server's delay is the machine's: connection setup and the server's
// own work on the same cores.
//
//	floor ADDR PATH N
package main

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
)

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: floor ADDR PATH N")
		os.Exit(2)
	}
	addr, path := os.Args[1], os.Args[2]
	n, err := strconv.Atoi(os.Args[3])
	if err != nil || n < 1 {
		fmt.Fprintln(os.Stderr, "floor: N must be a positive number")
		os.Exit(2)
	}
	var failed atomic.Int64
	var wg sync.WaitGroup
	d := net.Dialer{KeepAlive: -1}
	for i := range n {
		wg.Go(func() {
			if err := get(&d, addr, path, i); err != nil {
				failed.Add(1)
			}
		})
	}
	wg.Wait()
	if f := failed.Load(); f > 0 {
		fmt.Fprintf(os.Stderr, "floor: %d of %d requests failed\n", f, n)
		os.Exit(1)
	}
}

func get(d *net.Dialer, addr, path string, i int) error {
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := fmt.Fprintf(c, "GET %s?i=%d HTTP/1.1\r\nHost: %s\r\n\r\n", path, i, addr); err != nil {
		return err
	}
	buf := make([]byte, 1024)
	got := 0
	for !bytes.HasSuffix(buf[:got], []byte("}")) { // the target's bodies are JSON objects
		if got == len(buf) {
			return fmt.Errorf("response over %d bytes", len(buf))
		}
		k, err := c.Read(buf[got:])
		if err != nil {
			return err
		}
		got += k
	}
	return nil
}
