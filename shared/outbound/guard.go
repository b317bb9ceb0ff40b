package outbound

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// ErrForbiddenTarget is an endpoint that resolves to an address paylinks
// never calls: loopback, private, link-local (cloud metadata included),
// shared, multicast or unspecified.
var ErrForbiddenTarget = errors.New("webhook endpoint resolves to a private or reserved address")

var reserved = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"), // carrier-grade NAT
	netip.MustParsePrefix("127.0.0.0/8"),
	netip.MustParsePrefix("169.254.0.0/16"), // link-local, 169.254.169.254 metadata
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("224.0.0.0/4"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("::/128"),
	netip.MustParsePrefix("::1/128"),
	netip.MustParsePrefix("64:ff9b::/96"), // NAT64 of any of the above
	netip.MustParsePrefix("fc00::/7"),     // unique local, fd00:ec2::254 metadata
	netip.MustParsePrefix("fe80::/10"),
	netip.MustParsePrefix("ff00::/8"),
	netip.MustParsePrefix("2001:db8::/32"),
}

// Guard decides which addresses webhooks may reach.
type Guard struct {
	// AllowLoopback lets 127.0.0.0/8 and ::1 through: local development
	// and tests, never deployed.
	AllowLoopback bool
}

// Allowed reports an address webhooks may connect to.
func (g Guard) Allowed(ip netip.Addr) bool {
	ip = ip.Unmap()
	if g.AllowLoopback && ip.IsLoopback() {
		return true
	}
	for _, p := range reserved {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

// CheckURL refuses an endpoint URL that can never be called: not http(s)
// (https unless loopback is allowed), with credentials, or naming a
// forbidden address or localhost directly. Names are checked again at every
// connection, after resolution.
func (g Guard) CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || len(raw) > 2048 || u.Fragment != "" {
		return errors.New("must be an absolute https URL without credentials or fragment")
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && g.AllowLoopback:
	default:
		return errors.New("must use https")
	}
	host := strings.ToLower(u.Hostname())
	if ip, err := netip.ParseAddr(host); err == nil {
		if !g.Allowed(ip) {
			return ErrForbiddenTarget
		}
		return nil
	}
	if !g.AllowLoopback && (host == "localhost" || strings.HasSuffix(host, ".localhost") || !strings.Contains(host, ".")) {
		return ErrForbiddenTarget
	}
	return nil
}

// control runs after DNS resolution, on the very address being dialled, so
// a name that resolves (or re-resolves) to a private address is refused.
func (g Guard) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrForbiddenTarget, address)
	}
	if !g.Allowed(ap.Addr()) {
		return fmt.Errorf("%w: %s", ErrForbiddenTarget, ap.Addr())
	}
	return nil
}

// Timeout bounds one attempt, connection to last byte.
const Timeout = 10 * time.Second

// Client is the HTTP client of deliveries: the guard on every connection,
// no proxy from the environment, 10 s per attempt, redirects not followed
// (a 3xx is a failed attempt).
func (g Guard) Client() *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second, Control: g.control}
	tr := &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		},
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: Timeout,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       60 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{
		Transport:     tr,
		Timeout:       Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
