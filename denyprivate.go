package gather

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
)

// Resolver looks up a host's addresses; *net.Resolver is one.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// DeniedAddressError is the cause of a connection refused by
// Options.DenyPrivate: the host is, or resolves to, an address that a list
// from outside must not reach.
type DeniedAddressError struct {
	Host   string     // the host as the URL named it
	Addr   netip.Addr // the address refused
	Reason string     // e.g. "private", "loopback", "link-local (cloud metadata)"
}

// Error says which address was refused and why.
func (e *DeniedAddressError) Error() string {
	if e.Host == e.Addr.String() {
		return fmt.Sprintf("%s is a %s address: refused (deny private)", e.Addr, e.Reason)
	}
	return fmt.Sprintf("%s resolves to %s, a %s address: refused (deny private)", e.Host, e.Addr, e.Reason)
}

// cgnat is the shared address space of carrier-grade NAT (RFC 6598), where
// some clouds put their metadata services (100.100.100.200).
var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// DeniedAddress returns why a connection to addr would be refused by
// Options.DenyPrivate, or "" when it is allowed: loopback, private
// (RFC 1918, fc00::/7), link-local (169.254.0.0/16 with the cloud metadata
// address 169.254.169.254, fe80::/10), carrier-grade NAT, unspecified and
// multicast addresses are refused, IPv4-mapped IPv6 addresses as their IPv4.
func DeniedAddress(addr netip.Addr) string {
	addr = addr.Unmap()
	switch {
	case !addr.IsValid():
		return "invalid"
	case addr.IsLoopback():
		return "loopback"
	case addr.IsPrivate():
		return "private"
	case addr == netip.AddrFrom4([4]byte{169, 254, 169, 254}):
		return "link-local (cloud metadata)"
	case addr.IsLinkLocalUnicast():
		return "link-local"
	case addr.Is4() && cgnat.Contains(addr):
		return "shared (carrier-grade NAT)"
	case addr.IsUnspecified():
		return "unspecified"
	case addr.IsMulticast():
		return "multicast"
	}
	return ""
}

// denyPrivate wraps dial: the host is resolved first, every address it has
// is checked, and the connection goes to an address that was checked, so
// that a second lookup (DNS rebinding) cannot lead elsewhere. Nothing is
// sent to a refused address.
func denyPrivate(dial func(ctx context.Context, network, addr string) (net.Conn, error), resolver Resolver) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		host, portText, err := net.SplitHostPort(address)
		if err != nil {
			return nil, err
		}
		port, err := strconv.ParseUint(portText, 10, 16)
		if err != nil {
			return nil, fmt.Errorf("port %q: %w", portText, err)
		}
		var addrs []netip.Addr
		if ip, err := netip.ParseAddr(host); err == nil {
			addrs = []netip.Addr{ip}
		} else if addrs, err = resolver.LookupNetIP(ctx, "ip", host); err != nil {
			return nil, &net.OpError{Op: "dial", Net: network, Err: err}
		}
		if len(addrs) == 0 {
			return nil, &net.OpError{Op: "dial", Net: network, Err: &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}}
		}
		for _, a := range addrs {
			if reason := DeniedAddress(a); reason != "" {
				return nil, &net.OpError{Op: "dial", Net: network, Err: &DeniedAddressError{Host: host, Addr: a.Unmap(), Reason: reason}}
			}
		}
		var errs []error
		for _, a := range addrs {
			conn, err := dial(ctx, network, netip.AddrPortFrom(a.Unmap(), uint16(port)).String())
			if err == nil {
				return conn, nil
			}
			errs = append(errs, err)
			if ctx.Err() != nil {
				break
			}
		}
		return nil, errors.Join(errs...)
	}
}
