package gather

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"syscall"
	"testing"
)

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestClassify(t *testing.T) {
	wrap := func(err error) error { return &url.Error{Op: "Get", URL: "http://x/", Err: err} }
	tests := []struct {
		err  error
		want Kind
	}{
		{wrap(&net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}), KindConnection},
		{wrap(&net.DNSError{Err: "no such host", Name: "x", IsNotFound: true}), KindConnection},
		{fmt.Errorf("read: %w", syscall.ECONNRESET), KindConnection},
		{wrap(io.EOF), KindConnection},
		{fmt.Errorf("body: %w", io.ErrUnexpectedEOF), KindConnection},
		{wrap(&tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}), KindConnection},
		{wrap(x509.HostnameError{}), KindConnection},
		{wrap(tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}), KindConnection},
		{wrap(timeoutErr{}), KindTimeout},
		{wrap(context.DeadlineExceeded), KindTimeout},
		{wrap(fmt.Errorf("%w: more than 3", ErrTooManyRedirects)), KindProtocol},
		{wrap(ErrRedirectScheme), KindProtocol},
		{fmt.Errorf("%w: more than 10 bytes", ErrBodyTooLarge), KindTooLarge},
		{wrap(errors.New(`net/http: HTTP/1.x transport connection broken: malformed HTTP response "garbage"`)), KindProtocol},
	}
	for _, tt := range tests {
		if got := classify(tt.err); got != tt.want {
			t.Errorf("classify(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

func TestKindOf(t *testing.T) {
	err := fmt.Errorf("context: %w", &Error{Kind: KindTimeout, Err: errors.New("slow")})
	if KindOf(err) != KindTimeout || KindOf(errors.New("plain")) != "" || KindOf(nil) != "" {
		t.Error("KindOf does not find the kind through wrapping")
	}
}
