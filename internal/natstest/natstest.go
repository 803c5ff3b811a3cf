// Package natstest runs a real NATS server in-process for tests, on a free
// loopback port, with JetStream storing into a test's temporary directory.
package natstest

import (
	"crypto/tls"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Options tune Start.
type Options struct {
	// NoJetStream starts the server without JetStream.
	NoJetStream bool
	// StoreDir is where JetStream keeps its files; "" means a new
	// temporary directory. Reusing one across a restart keeps the streams.
	StoreDir string
	// Port is the port to listen on; zero picks a free one.
	Port int
	// Username and Password, when set, are required of clients.
	Username, Password string
	// TLS, when not nil, makes clients speak TLS; with its ClientAuth set
	// to tls.RequireAndVerifyClientCert, they need a certificate too.
	TLS *tls.Config
}

// Start starts a NATS server on 127.0.0.1 and stops it when the test ends.
func Start(tb testing.TB, o Options) *server.Server {
	tb.Helper()
	if o.StoreDir == "" {
		o.StoreDir = tb.TempDir()
	}
	port := o.Port
	if port == 0 {
		port = server.RANDOM_PORT
	}
	s, err := server.NewServer(&server.Options{
		Host:      "127.0.0.1",
		Port:      port,
		JetStream: !o.NoJetStream,
		StoreDir:  o.StoreDir,
		NoLog:     true,
		NoSigs:    true,
		Username:  o.Username,
		Password:  o.Password,
		TLS:       o.TLS != nil,
		TLSConfig: o.TLS,
		TLSVerify: o.TLS != nil && o.TLS.ClientAuth == tls.RequireAndVerifyClientCert,
	})
	if err != nil {
		tb.Fatalf("nats server: %v", err)
	}
	s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		tb.Fatal("nats server: not ready after 10s")
	}
	tb.Cleanup(func() {
		s.Shutdown()
		s.WaitForShutdown()
	})
	return s
}
