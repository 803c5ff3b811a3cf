package gather

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync/atomic"
	"testing"
)

func TestDeniedAddress(t *testing.T) {
	tests := []struct {
		addr   string
		denied bool
	}{
		{"127.0.0.1", true}, {"127.255.0.9", true}, {"::1", true},
		{"10.0.0.1", true}, {"172.16.5.4", true}, {"172.31.255.255", true}, {"192.168.1.1", true},
		{"169.254.169.254", true}, {"169.254.1.1", true}, {"fe80::1", true},
		{"fd00:ec2::254", true}, {"fc00::1", true},
		{"100.100.100.200", true}, {"100.64.0.1", true},
		{"0.0.0.0", true}, {"::", true}, {"224.0.0.1", true}, {"ff02::1", true},
		{"::ffff:10.0.0.1", true}, {"::ffff:127.0.0.1", true}, {"::ffff:169.254.169.254", true},
		{"8.8.8.8", false}, {"1.1.1.1", false}, {"172.32.0.1", false}, {"192.169.0.1", false},
		{"100.128.0.1", false}, {"2606:4700::1111", false}, {"::ffff:8.8.8.8", false},
	}
	for _, tt := range tests {
		reason := DeniedAddress(netip.MustParseAddr(tt.addr))
		if (reason != "") != tt.denied {
			t.Errorf("DeniedAddress(%s) = %q, want denied %v", tt.addr, reason, tt.denied)
		}
	}
}

type fakeResolver map[string][]netip.Addr

func (f fakeResolver) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	if a, ok := f[host]; ok {
		return a, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// The check runs on the resolved addresses before any connect: a name that
// resolves to an internal address is refused without a dial, and a public
// one is dialled at exactly the address that was checked.
func TestDenyPrivateDialer(t *testing.T) {
	resolver := fakeResolver{
		"metadata.test": {netip.MustParseAddr("169.254.169.254")},
		"intranet.test": {netip.MustParseAddr("93.184.216.34"), netip.MustParseAddr("10.1.2.3")},
		"public.test":   {netip.MustParseAddr("93.184.216.34")},
	}
	var dialled atomic.Value
	var dials atomic.Int64
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		dialled.Store(addr)
		return nil, errors.New("test dialer: no network here")
	}
	d := denyPrivate(dial, resolver)
	for _, addr := range []string{"metadata.test:80", "intranet.test:443", "127.0.0.1:8080", "[::1]:80", "10.0.0.1:80"} {
		_, err := d(context.Background(), "tcp", addr)
		var denied *DeniedAddressError
		if !errors.As(err, &denied) {
			t.Errorf("%s: %v, want a *DeniedAddressError", addr, err)
		}
		if KindOfDial(err) != KindConnection {
			t.Errorf("%s: classified %q", addr, KindOfDial(err))
		}
	}
	if dials.Load() != 0 {
		t.Fatalf("%d connects to refused addresses", dials.Load())
	}
	d(context.Background(), "tcp", "public.test:443")
	if got, _ := dialled.Load().(string); got != "93.184.216.34:443" {
		t.Errorf("dialled %q, want the address that was checked", got)
	}
	if _, err := d(context.Background(), "tcp", "nowhere.test:80"); !errors.As(err, new(*net.DNSError)) {
		t.Errorf("unknown name: %v, want a DNS error", err)
	}
}

// KindOfDial classifies a dial error as the engine would.
func KindOfDial(err error) Kind { return classify(err) }
