package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gatherdev/gather/gathertest"
	"github.com/gatherdev/gather/internal/natstest"
)

// TestJobAcrossWorkers runs the scale-out commands as a user would: submit
// a list (twice), run three workers, kill one with SIGKILL mid-run, and
// collect: exactly one record per request, and nothing fetched again but
// what the dead worker held.
func TestJobAcrossWorkers(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := gatherBinary(t)
	srv := gathertest.NewServer(t)
	ns := natstest.Start(t, natstest.Options{})
	nats := []string{"--nats", ns.ClientURL(), "--job", "e2e"}
	list, urls := writeList(t, srv.URL, 400)
	f, err := os.OpenFile(list, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, "%s/status/404?x\nnot a url\n", srv.URL)
	f.Close()
	urls = append(urls, srv.URL+"/status/404?x")

	r := runGather(t, nil, append([]string{"submit", "-i", list, "--ack-wait", "1s"}, nats...)...)
	if r.code != 0 || !strings.Contains(r.stderr, "402 new, 0 queued already; the job has 402") {
		t.Fatalf("submit: exit %d\n%s", r.code, r.stderr)
	}
	r = runGather(t, nil, append([]string{"submit", "-i", list}, nats...)...)
	if r.code != 0 || !strings.Contains(r.stderr, "0 new, 402 queued already; the job has 402") {
		t.Fatalf("submit again: exit %d\n%s", r.code, r.stderr)
	}

	const conc = 10
	victim := exec.Command(bin, append([]string{"work", "-c", fmt.Sprint(conc), "-q"}, nats...)...)
	if err := victim.Start(); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	codes := make([]int, 2)
	stderrs := make([]bytes.Buffer, 2)
	for i := range 2 {
		wg.Go(func() {
			var stdout bytes.Buffer
			args := append([]string{"work", "-c", fmt.Sprint(conc), "--progress", "never"}, nats...)
			codes[i] = run(context.Background(), args, strings.NewReader(""), &stdout, &stderrs[i])
		})
	}
	deadline := time.Now().Add(20 * time.Second)
	for srv.Requests() < 60 && time.Now().Before(deadline) {
		time.Sleep(2 * time.Millisecond)
	}
	victim.Process.Signal(syscall.SIGKILL)
	victim.Wait()
	wg.Wait()
	for i, code := range codes {
		if code != 0 || !strings.Contains(stderrs[i].String(), "job e2e is complete: 402 records for 402 requests") {
			t.Errorf("worker %d: exit %d\n%s", i, code, stderrs[i].String())
		}
	}

	out := filepath.Join(t.TempDir(), "records.jsonl")
	r = runGather(t, nil, append([]string{"collect", "-o", out}, nats...)...)
	if r.code != 1 || !strings.Contains(r.stderr, "402 records of 402 requests, 2 not ok; 402 new") {
		t.Fatalf("collect: exit %d, want 1 (a 404 and an invalid line)\n%s", r.code, r.stderr)
	}
	recs := readRecords(t, out)
	var valid []map[string]any
	for _, rec := range recs {
		if rec["url"] != nil {
			valid = append(valid, rec)
		} else if rec["input"] != "not a url" {
			t.Errorf("unexpected record %v", rec)
		}
	}
	oneRecordEach(t, valid, urls)
	if len(recs) != 402 {
		t.Errorf("%d records, want 402", len(recs))
	}
	if again := srv.Requests() - int64(len(urls)); again > 2*conc {
		t.Errorf("%d requests fetched again, want at most %d (what the killed worker held)", again, 2*conc)
	}

	// Collecting again into the same file writes nothing new.
	r = runGather(t, nil, append([]string{"collect", "-o", out, "--resume", "-q"}, nats...)...)
	if r.code != 1 || len(readRecords(t, out)) != 402 {
		t.Fatalf("collect --resume: exit %d, %d records\n%s", r.code, len(readRecords(t, out)), r.stderr)
	}
	r = runGather(t, nil, append([]string{"collect", "-o", out}, nats...)...)
	if r.code != 2 || !strings.Contains(r.stderr, "exists and is not empty") {
		t.Fatalf("collect into a non-empty file: exit %d\n%s", r.code, r.stderr)
	}
}

func TestJobUsageErrors(t *testing.T) {
	plain := natstest.Start(t, natstest.Options{NoJetStream: true})
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"submit", "http://127.0.0.1:1/"}, "--job NAME is required"},
		{[]string{"work", "--job", "a.b"}, "--job: job name"},
		{[]string{"collect", "--job", "j", "--resume"}, "--resume needs -o"},
		{[]string{"work", "--job", "j", "--nats", "nats://127.0.0.1:1", "--nats-wait", "0"}, "--nats nats://127.0.0.1:1: connecting to NATS"},
		{[]string{"work", "--job", "j", "--nats", plain.ClientURL()}, "JetStream is not enabled"},
		{[]string{"work", "--job", "j", "--nats-creds", "/nonexistent/creds"}, "--nats-creds /nonexistent/creds"},
		{[]string{"work", "--job", "j", "-c", "0"}, "-c/--concurrency"},
		{[]string{"work", "--job", "j", "stray"}, "unknown command"},
	} {
		r := runGather(t, nil, tc.args...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("gather %q: exit %d, want 2 and %q in\n%s", tc.args, r.code, tc.want, r.stderr)
		}
		// A server that cannot be used is not a usage error: no help hint.
		if strings.HasPrefix(tc.want, "--nats") || strings.Contains(tc.want, "JetStream") {
			if strings.Contains(r.stderr, "gather help") {
				t.Errorf("gather %q: a NATS error offers usage help:\n%s", tc.args, r.stderr)
			}
		}
	}
}

// writeTLSFiles writes a CA, a server certificate for 127.0.0.1 and a
// client certificate, in PEM, and returns the server's TLS config
// (requiring a client certificate) and the files' paths.
func writeTLSFiles(t *testing.T) (cfg *tls.Config, ca, cert, key string) {
	t.Helper()
	dir := t.TempDir()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "gather test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	leaf := func(serial int64, usage x509.ExtKeyUsage) (*ecdsa.PrivateKey, []byte) {
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "127.0.0.1"},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{usage},
			KeyUsage: x509.KeyUsageDigitalSignature}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return k, der
	}
	pemFile := func(name, kind string, der []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	serverKey, serverDER := leaf(2, x509.ExtKeyUsageServerAuth)
	clientKey, clientDER := leaf(3, x509.ExtKeyUsageClientAuth)
	keyDER := func(k *ecdsa.PrivateKey) []byte { b, _ := x509.MarshalECPrivateKey(k); return b }
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	cfg = &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{serverDER}, PrivateKey: serverKey}},
		ClientCAs:    pool,
		ClientAuth:   tls.RequireAndVerifyClientCert,
		MinVersion:   tls.VersionTLS12,
	}
	return cfg, pemFile("ca.pem", "CERTIFICATE", caDER), pemFile("client.pem", "CERTIFICATE", clientDER),
		pemFile("client.key", "EC PRIVATE KEY", keyDER(clientKey))
}

// TestJobOverTLSAndWithAPassword runs the commands against servers that
// want a client certificate, and a password: what is given works, what is
// missing fails at once, and no password is printed.
func TestJobOverTLSAndWithAPassword(t *testing.T) {
	srv := gathertest.NewServer(t)
	cfg, ca, cert, key := writeTLSFiles(t)
	tlsServer := natstest.Start(t, natstest.Options{TLS: cfg})
	url := fmt.Sprintf("tls://127.0.0.1:%d", tlsServer.Addr().(*net.TCPAddr).Port)
	tlsFlags := []string{"--nats", url, "--job", "tls", "--nats-ca", ca, "--nats-cert", cert, "--nats-key", key}
	if r := runGather(t, nil, append([]string{"submit", srv.URL + "/status/200"}, tlsFlags...)...); r.code != 0 {
		t.Fatalf("submit over TLS: exit %d\n%s", r.code, r.stderr)
	}
	if r := runGather(t, nil, append([]string{"work", "-q"}, tlsFlags...)...); r.code != 0 {
		t.Fatalf("work over TLS: exit %d\n%s", r.code, r.stderr)
	}
	start := time.Now()
	r := runGather(t, nil, "work", "--nats", url, "--job", "tls", "--nats-ca", ca)
	if r.code != 2 || !strings.Contains(r.stderr, "--nats "+url) || time.Since(start) > 20*time.Second {
		t.Errorf("work over TLS without a client certificate: exit %d after %s\n%s", r.code, time.Since(start), r.stderr)
	}

	pw := natstest.Start(t, natstest.Options{Username: "gather", Password: "s3cret"})
	port := pw.Addr().(*net.TCPAddr).Port
	good := fmt.Sprintf("nats://gather:s3cret@127.0.0.1:%d", port)
	if r := runGather(t, nil, "submit", "--nats", good, "--job", "pw", srv.URL+"/status/200"); r.code != 0 {
		t.Fatalf("submit with a password: exit %d\n%s", r.code, r.stderr)
	}
	start = time.Now()
	r = runGather(t, nil, "work", "--nats", fmt.Sprintf("nats://gather:wrong@127.0.0.1:%d", port), "--job", "pw")
	if r.code != 2 || strings.Contains(r.stderr, "wrong") || !strings.Contains(r.stderr, "REDACTED") || time.Since(start) > 20*time.Second {
		t.Errorf("work with a wrong password: exit %d after %s\n%s", r.code, time.Since(start), r.stderr)
	}
}
