// Command target is the benchmarks' HTTP server: small, fast, and in a
// process of its own so that it does not share the measured tool's CPU
// accounting. It prints its address and serves until killed; with -ports N
// it serves on N loopback ports, an address a line, which a client takes
// for N hosts.
//
//	/json        a 1 KiB JSON document
//	/delay/{ms}  200 after ms milliseconds
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on")
	ports := flag.Int("ports", 1, "how many ports to listen on (each one more host to a client); more than one needs port 0 in -addr")
	flag.Parse()
	doc := jsonDoc(1024)
	mux := http.NewServeMux()
	mux.HandleFunc("/json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(doc)))
		w.Write(doc)
	})
	mux.HandleFunc("/delay/{ms}", func(w http.ResponseWriter, r *http.Request) {
		ms, err := strconv.Atoi(r.PathValue("ms"))
		if err != nil || ms < 0 {
			http.Error(w, "bad delay", http.StatusBadRequest)
			return
		}
		select {
		case <-time.After(time.Duration(ms) * time.Millisecond):
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"delay_ms":%d}`, ms)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	listeners := make([]net.Listener, max(*ports, 1))
	for i := range listeners {
		l, err := net.Listen("tcp", *addr)
		if err != nil {
			log.Fatal(err)
		}
		listeners[i] = l
	}
	var addrs strings.Builder
	for _, l := range listeners {
		fmt.Fprintln(&addrs, l.Addr().String())
	}
	os.Stdout.WriteString(addrs.String()) // in one write, before serving
	for _, l := range listeners[1:] {
		go func() { log.Fatal(srv.Serve(l)) }()
	}
	log.Fatal(srv.Serve(listeners[0]))
}

// jsonDoc returns a JSON object of exactly n bytes.
func jsonDoc(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"items":[`)
	for i := 0; b.Len() < n-64; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":%d,"name":"item-%d","ok":true}`, i, i)
	}
	b.WriteString(`],"pad":"`)
	for b.Len() < n-2 {
		b.WriteByte('x')
	}
	b.WriteString(`"}`)
	return []byte(b.String())
}
