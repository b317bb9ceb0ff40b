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
// never calls: any special-purpose block (loopback, private, link-local
// with cloud metadata, shared, documentation, translation, multicast,
// unspecified...) or a zoned IPv6 address.
var ErrForbiddenTarget = errors.New("webhook endpoint resolves to a private or reserved address")

// block is one refused address block and its name.
type block struct {
	prefix netip.Prefix
	name   string
}

func b(prefix, name string) block { return block{netip.MustParsePrefix(prefix), name} }

// specialPurpose is the one table of blocks webhooks never reach: every
// row of IANA's IPv4 Special-Purpose Address Registry (iana-ipv4-special-
// registry, last updated 2020-09-04) and IPv6 Special-Purpose Address
// Registry (iana-ipv6-special-registry, last updated 2025-10-09), whatever
// their "Globally Reachable" column, then the blocks refused beyond them
// (marked so). More specific rows come before the block that holds them,
// so a refusal names the most specific one. IPv6 outside 2000::/3 is
// refused as well (globalUnicast).
var specialPurpose = []block{
	// IPv4 Special-Purpose Address Registry.
	b("0.0.0.0/32", "this host on this network (RFC 1122)"),
	b("0.0.0.0/8", "this network (RFC 791)"),
	b("10.0.0.0/8", "private-use (RFC 1918)"),
	b("100.64.0.0/10", "shared address space (RFC 6598)"),
	b("127.0.0.0/8", "loopback (RFC 1122)"),
	b("169.254.0.0/16", "link-local (RFC 3927)"),
	b("172.16.0.0/12", "private-use (RFC 1918)"),
	b("192.0.0.0/29", "IPv4 service continuity prefix (RFC 7335)"),
	b("192.0.0.8/32", "IPv4 dummy address (RFC 7600)"),
	b("192.0.0.9/32", "Port Control Protocol anycast (RFC 7723)"),
	b("192.0.0.10/32", "TURN anycast (RFC 8155)"),
	b("192.0.0.170/31", "NAT64/DNS64 discovery (RFC 8880)"), // 192.0.0.170/32 and 192.0.0.171/32
	b("192.0.0.0/24", "IETF protocol assignments (RFC 6890)"),
	b("192.0.2.0/24", "documentation TEST-NET-1 (RFC 5737)"),
	b("192.31.196.0/24", "AS112-v4 (RFC 7535)"),
	b("192.52.193.0/24", "AMT (RFC 7450)"),
	b("192.88.99.2/32", "6a44-relay anycast (RFC 6751)"),
	b("192.88.99.0/24", "deprecated 6to4 relay anycast (RFC 7526)"),
	b("192.168.0.0/16", "private-use (RFC 1918)"),
	b("192.175.48.0/24", "direct delegation AS112 service (RFC 7534)"),
	b("198.18.0.0/15", "benchmarking (RFC 2544)"),
	b("198.51.100.0/24", "documentation TEST-NET-2 (RFC 5737)"),
	b("203.0.113.0/24", "documentation TEST-NET-3 (RFC 5737)"),
	b("255.255.255.255/32", "limited broadcast (RFC 8190)"),
	b("240.0.0.0/4", "reserved (RFC 1112)"),
	// Beyond the IPv4 registry.
	b("224.0.0.0/4", "multicast (RFC 5771)"),

	// IPv6 Special-Purpose Address Registry.
	b("::1/128", "loopback (RFC 4291)"),
	b("::/128", "unspecified (RFC 4291)"),
	b("::ffff:0:0/96", "IPv4-mapped (RFC 4291)"),
	b("64:ff9b::/96", "IPv4-IPv6 translation (RFC 6052)"),
	b("64:ff9b:1::/48", "local-use IPv4/IPv6 translation (RFC 8215)"),
	b("100::/64", "discard-only (RFC 6666)"),
	b("100:0:0:1::/64", "dummy IPv6 prefix (RFC 9780)"),
	b("2001::/32", "TEREDO (RFC 4380)"),
	b("2001:1::1/128", "Port Control Protocol anycast (RFC 7723)"),
	b("2001:1::2/128", "TURN anycast (RFC 8155)"),
	b("2001:1::3/128", "DNS-SD service registration protocol anycast (RFC 9665)"),
	b("2001:2::/48", "benchmarking (RFC 5180)"),
	b("2001:3::/32", "AMT (RFC 7450)"),
	b("2001:4:112::/48", "AS112-v6 (RFC 7535)"),
	b("2001:10::/28", "deprecated ORCHID (RFC 4843)"),
	b("2001:20::/28", "ORCHIDv2 (RFC 7343)"),
	b("2001:30::/28", "drone remote ID protocol entity tags (RFC 9374)"),
	b("2001::/23", "IETF protocol assignments (RFC 2928)"),
	b("2001:db8::/32", "documentation (RFC 3849)"),
	b("2002::/16", "6to4 (RFC 3056)"),
	b("2620:4f:8000::/48", "direct delegation AS112 service (RFC 7534)"),
	b("3fff::/20", "documentation (RFC 9637)"),
	b("5f00::/16", "segment routing SRv6 SIDs (RFC 9602)"),
	b("fc00::/7", "unique-local (RFC 4193)"),
	b("fe80::/10", "link-local unicast (RFC 4291)"),
	// Beyond the IPv6 registry.
	b("::/96", "IPv4-compatible, deprecated (RFC 4291)"),
	b("::ffff:0:0:0/96", "IPv4-translated (RFC 2765)"),
	b("fec0::/10", "site-local, deprecated (RFC 3879)"),
	b("ff00::/8", "multicast (RFC 4291)"),
}

// globalUnicast is the only IPv6 space IANA allocates for global unicast
// (RFC 4291 section 2.4): addresses outside it are refused as well, so a
// block assigned later outside it is refused before it reaches the table.
var globalUnicast = netip.MustParsePrefix("2000::/3")

// Guard decides which addresses webhooks may reach.
type Guard struct {
	// AllowLoopback lets 127.0.0.0/8 and ::1 through (written plainly:
	// not zoned, not IPv4-mapped or -compatible): local development and
	// tests, never deployed.
	AllowLoopback bool
}

// Allowed reports an address webhooks may connect to.
func (g Guard) Allowed(ip netip.Addr) bool { return g.refusal(ip) == "" }

// refusal names why ip may not be reached; "" when it may.
func (g Guard) refusal(ip netip.Addr) string {
	switch {
	case !ip.IsValid():
		return "not an address"
	case ip.Zone() != "":
		return "zoned IPv6 address"
	case g.AllowLoopback && plainLoopback(ip):
		return ""
	}
	if v4, form, ok := embeddedIPv4(ip); ok {
		if r := blockOf(v4); r != "" {
			return form + " " + r
		}
	}
	return blockOf(ip)
}

// plainLoopback is 127.0.0.0/8 as IPv4 or ::1.
func plainLoopback(ip netip.Addr) bool {
	return ip.Is4() && ip.As4()[0] == 127 || ip == netip.IPv6Loopback()
}

// blockOf names the refused block holding ip (unzoned); "" when none does.
func blockOf(ip netip.Addr) string {
	for _, bl := range specialPurpose {
		if bl.prefix.Contains(ip) {
			return bl.name
		}
	}
	if ip.Is6() && !globalUnicast.Contains(ip) {
		return "outside IPv6 global unicast 2000::/3"
	}
	return ""
}

// embedding is an IPv6 block that carries an IPv4 address: its 4 bytes
// from byte at, each XORed with xor (Teredo obfuscates its client).
type embedding struct {
	prefix netip.Prefix
	form   string
	at     int
	xor    byte
}

var embeddings = []embedding{
	{netip.MustParsePrefix("::ffff:0:0/96"), "IPv4-mapped", 12, 0},
	{netip.MustParsePrefix("::/96"), "IPv4-compatible", 12, 0},
	{netip.MustParsePrefix("::ffff:0:0:0/96"), "IPv4-translated", 12, 0},
	{netip.MustParsePrefix("64:ff9b::/96"), "NAT64", 12, 0},
	{netip.MustParsePrefix("2002::/16"), "6to4", 2, 0},
	{netip.MustParsePrefix("2001::/32"), "Teredo", 12, 0xff},
}

// embeddedIPv4 is the IPv4 address an IPv6 address carries, and the form
// it carries it in (embeddings). Those blocks are refused whole; the
// embedded address is checked too, so a refusal names what the address
// really reaches.
func embeddedIPv4(ip netip.Addr) (netip.Addr, string, bool) {
	if ip == netip.IPv6Unspecified() || ip == netip.IPv6Loopback() {
		return netip.Addr{}, "", false // in ::/96, yet carry no IPv4 address
	}
	for _, e := range embeddings {
		if e.prefix.Contains(ip) {
			a := ip.As16()
			var v4 [4]byte
			for i := range v4 {
				v4[i] = a[e.at+i] ^ e.xor
			}
			return netip.AddrFrom4(v4), e.form, true
		}
	}
	return netip.Addr{}, "", false
}

// CheckURL refuses an endpoint URL that can never be called: not http(s)
// (https unless loopback is allowed), with credentials, naming a refused
// address (any spelling: zoned, IPv4-mapped, -compatible, NAT64, 6to4) or
// localhost directly, or a host that is neither a DNS name nor a canonical
// IP literal (127.1, 0x7f000001, 2130706433: resolvers read them as
// addresses). Names are checked again at every connection, after
// resolution.
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
	if strings.HasPrefix(u.Host, "[") || strings.Contains(host, ":") {
		ip, err := netip.ParseAddr(host)
		if err != nil {
			return errors.New("must name a host: a DNS name or an IP address")
		}
		if r := g.refusal(ip); r != "" {
			return fmt.Errorf("%w (%s)", ErrForbiddenTarget, r)
		}
		return nil
	}
	return g.checkName(strings.TrimSuffix(host, "."))
}

// asciiHost reports a host of letters, digits, '-' and '.' only (ASCII).
func asciiHost(host string) bool {
	for i := 0; i < len(host); i++ {
		c := host[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
			return false
		}
	}
	return true
}

// checkName checks a host that is not an IPv6 literal: a canonical IPv4
// literal, or a DNS name whose last label is not numeric.
func (g Guard) checkName(host string) error {
	if ip, err := netip.ParseAddr(host); err == nil {
		if r := g.refusal(ip); r != "" {
			return fmt.Errorf("%w (%s)", ErrForbiddenTarget, r)
		}
		return nil
	}
	if !asciiHost(host) {
		// Resolvers map other scripts' digits and dots to ASCII (IDNA):
		// 169.254.169.254 written in full-width digits reaches the
		// metadata service. A name is given in its ASCII (punycode) form.
		return errors.New("must name a host in ASCII: an internationalised name in its punycode (xn--) form")
	}
	last := host[strings.LastIndexByte(host, '.')+1:]
	if host == "" || strings.ContainsAny(host, "%[]") || last == "" || numericLabel(last) {
		return errors.New("must name a host: a DNS name or an IP address written as a.b.c.d or in brackets")
	}
	if !g.AllowLoopback && (host == "localhost" || strings.HasSuffix(host, ".localhost") || !strings.Contains(host, ".")) {
		return ErrForbiddenTarget
	}
	return nil
}

// numericLabel is a label URL parsers and resolvers read as a number
// (decimal, octal or 0x hex), which makes its host an IPv4 address.
func numericLabel(l string) bool {
	if rest, ok := strings.CutPrefix(l, "0x"); ok {
		return strings.Trim(rest, "0123456789abcdef") == ""
	}
	return strings.Trim(l, "0123456789") == ""
}

// control runs after DNS resolution, on the very address being dialled, so
// a name that resolves (or re-resolves: DNS rebinding) to a refused
// address, zoned addresses included, is refused.
func (g Guard) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil || !strings.HasPrefix(network, "tcp") {
		return fmt.Errorf("%w: %s %q", ErrForbiddenTarget, network, address)
	}
	if r := g.refusal(ap.Addr()); r != "" {
		return fmt.Errorf("%w (%s): %s", ErrForbiddenTarget, r, ap.Addr())
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
