package outbound

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
)

// testBlocks is every block of IANA's IPv4 and IPv6 Special-Purpose Address
// Registries, written out here independently of the guard's own table (and
// the blocks it refuses beyond them), so a row dropped from the table fails
// this test.
var testBlocks = []string{
	// IPv4 Special-Purpose Address Registry.
	"0.0.0.0/8", "0.0.0.0/32", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
	"192.0.0.0/24", "192.0.0.0/29", "192.0.0.8/32", "192.0.0.9/32", "192.0.0.10/32", "192.0.0.170/32", "192.0.0.171/32",
	"192.0.2.0/24", "192.31.196.0/24", "192.52.193.0/24", "192.88.99.0/24", "192.88.99.2/32", "192.168.0.0/16",
	"192.175.48.0/24", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "240.0.0.0/4", "255.255.255.255/32",
	// Beyond it: IPv4 multicast.
	"224.0.0.0/4",
	// IPv6 Special-Purpose Address Registry.
	"::/128", "::1/128", "::ffff:0:0/96", "64:ff9b::/96", "64:ff9b:1::/48", "100::/64", "100:0:0:1::/64",
	"2001::/23", "2001::/32", "2001:1::1/128", "2001:1::2/128", "2001:1::3/128", "2001:2::/48", "2001:3::/32",
	"2001:4:112::/48", "2001:10::/28", "2001:20::/28", "2001:30::/28", "2001:db8::/32", "2002::/16",
	"2620:4f:8000::/48", "3fff::/20", "5f00::/16", "fc00::/7", "fe80::/10",
	// Beyond it: multicast, IPv4-compatible, IPv4-translated, site-local.
	"ff00::/8", "::/96", "::ffff:0:0:0/96", "fec0::/10",
}

// randomIn is an address drawn at random inside p.
func randomIn(r *rand.Rand, p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := range b {
		bit := i * 8
		if bit+8 <= p.Bits() {
			continue
		}
		keep := byte(0)
		if bit < p.Bits() {
			keep = ^byte(0) << (8 - (p.Bits() - bit))
		}
		b[i] = b[i]&keep | byte(r.UintN(256))&^keep
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// spellings are the URL hosts naming a (a refused address) a hostile
// merchant may try: the literal, its zoned forms with the zone escaped as
// URLs require, and for IPv4 its IPv4-mapped (dotted and hex),
// IPv4-compatible, NAT64, 6to4 and Teredo forms, zoned too.
func spellings(a netip.Addr) []string {
	var v6 []string
	var out []string
	if a.Is4() {
		out = append(out, a.String())
		v4 := a.As4()
		x := binary.BigEndian.Uint32(v4[:])
		v6 = append(v6, "::ffff:"+a.String(), fmt.Sprintf("::ffff:%x:%x", x>>16, x&0xffff), "::"+a.String(),
			"64:ff9b::"+a.String(), fmt.Sprintf("2002:%x:%x::1", x>>16, x&0xffff),
			fmt.Sprintf("2001:0:4136:e378:8000:63bf:%x:%x", (^x)>>16, (^x)&0xffff), "::ffff:0:"+a.String())
	} else {
		v6 = append(v6, a.String())
	}
	for _, s := range v6 {
		out = append(out, "["+s+"]", "["+s+"%25eth0]", "["+s+"%25lo]", "["+s+"%251]")
	}
	return out
}

// loopbackLiteral: what AllowLoopback opens, and only that.
func loopbackLiteral(host string) bool {
	a, err := netip.ParseAddr(strings.Trim(host, "[]"))
	return err == nil && a.Zone() == "" && (a.Is4() && a.As4()[0] == 127 || a == netip.IPv6Loopback())
}

// Every special-purpose block, every spelling of random addresses inside
// it: refused at save (CheckURL) and at dial (the dialer's control, with
// the address and port the resolver produced), loopback switch off or on
// (on, only plain 127.0.0.0/8 and ::1 pass).
func TestGuardRefusesEverySpecialPurposeBlock(t *testing.T) {
	r := rand.New(rand.NewPCG(9, uint64(len(testBlocks))))
	for _, blk := range testBlocks {
		p := netip.MustParsePrefix(blk)
		for i := 0; i < 40; i++ {
			a := randomIn(r, p)
			if i == 0 {
				a = p.Addr()
			}
			for _, g := range []Guard{{}, {AllowLoopback: true}} {
				checkRefused(t, g, blk, a)
			}
		}
	}
}

func checkRefused(t *testing.T, g Guard, blk string, a netip.Addr) {
	t.Helper()
	for _, host := range spellings(a) {
		open := g.AllowLoopback && loopbackLiteral(host)
		if err := g.CheckURL("https://" + host + ":8443/hook"); (err == nil) != open {
			t.Errorf("loopback=%v %s (%s): save answered %v", g.AllowLoopback, host, blk, err)
		}
	}
	for _, addr := range []netip.Addr{a, a.WithZone("eth0"), a.WithZone("lo")} {
		if a.Is4() && addr.Zone() != "" {
			continue
		}
		ap := netip.AddrPortFrom(addr, 443).String()
		open := g.AllowLoopback && loopbackLiteral(addr.String())
		if err := g.control("tcp6", ap, nil); (err == nil) != open || err != nil && !errors.Is(err, ErrForbiddenTarget) {
			t.Errorf("loopback=%v %s (%s): dial answered %v", g.AllowLoopback, ap, blk, err)
		}
	}
}

// Random public unicast addresses outside every block pass at save and at
// dial; their zoned forms do not.
func TestGuardAllowsPublicAddresses(t *testing.T) {
	var blocks []netip.Prefix
	for _, b := range testBlocks {
		blocks = append(blocks, netip.MustParsePrefix(b))
	}
	special := func(a netip.Addr) bool {
		for _, p := range blocks {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	r := rand.New(rand.NewPCG(2, 7))
	v4, v6 := netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("2000::/3")
	n := 0
	for n < 2000 {
		a := randomIn(r, v4)
		if n%2 == 1 {
			a = randomIn(r, v6)
		}
		if special(a) {
			continue
		}
		n++
		host := a.String()
		if a.Is6() {
			host = "[" + host + "]"
			if err := (Guard{}).CheckURL("https://[" + a.String() + "%25eth0]/"); err == nil {
				t.Errorf("zoned public %s%%eth0 accepted at save", a)
			}
			if err := (Guard{}).control("tcp6", netip.AddrPortFrom(a.WithZone("eth0"), 443).String(), nil); err == nil {
				t.Errorf("zoned public %s%%eth0 accepted at dial", a)
			}
		}
		if err := (Guard{}).CheckURL("https://" + host + "/hook"); err != nil {
			t.Errorf("public %s refused at save: %v", host, err)
		}
		if err := (Guard{}).control("tcp", netip.AddrPortFrom(a, 443).String(), nil); err != nil {
			t.Errorf("public %s refused at dial: %v", a, err)
		}
	}
	for _, u := range []string{"https://hooks.example.com/paylinks", "https://93.184.215.14/x", "https://[2606:4700::1111]:8443/x",
		"https://1.1.1.1/", "https://xn--bcher-kva.example/"} {
		if err := (Guard{}).CheckURL(u); err != nil {
			t.Errorf("%s refused: %v", u, err)
		}
	}
}

// The findings' own URLs, and the spellings of loopback that are not
// canonical literals (resolvers read them as 127.0.0.1).
func TestGuardRefusesFindingURLs(t *testing.T) {
	for _, u := range []string{"https://[::1%25lo]/", "https://[fe80::1%25eth0]/", "https://[::127.0.0.1]/", "https://[64:ff9b:1::a00:1]/",
		"https://[2002:7f00:1::1]/", "https://[::1%lo]/", "https://127.1/", "https://0x7f000001/", "https://2130706433/",
		"https://0177.0.0.1/", "https://[hooks.example.com]/", "https://[::ffff:8.8.8.8]/", "https://[::ffff:127.0.0.1]/",
		// other scripts' digits and dots, which resolvers map to ASCII (found by probing the running system)
		"https://１６９.２５４.１６９.２５４/latest/meta-data/", "https://１０.０.０.１/", "https://127。0。0。1/", "https://hooks.exämple.com/"} {
		for _, g := range []Guard{{}, {AllowLoopback: true}} {
			if err := g.CheckURL(u); err == nil {
				t.Errorf("loopback=%v: %s accepted", g.AllowLoopback, u)
			}
		}
	}
	// Loopback spelt with the root's trailing dot: what the switch opens.
	for _, u := range []string{"https://127.0.0.1./", "https://localhost./", "https://api.localhost./"} {
		if err := (Guard{}).CheckURL(u); err == nil {
			t.Errorf("%s accepted", u)
		}
		if err := (Guard{AllowLoopback: true}).CheckURL(u); err != nil {
			t.Errorf("%s refused with loopback allowed: %v", u, err)
		}
	}
	if err := (Guard{AllowLoopback: true}).CheckURL("http://[::1]:9999/hook"); err != nil {
		t.Errorf("::1 refused when loopback is allowed: %v", err)
	}
}

// countingServer is a receiver on network/addr that counts connections.
func countingServer(t *testing.T, network, addr string) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Skipf("no %s listener on %s: %v", network, addr, err)
	}
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &conns
}

// A dial to a zoned or loopback literal never connects (loopback switch
// off); a zoned loopback never connects even with the switch on.
func TestGuardDialNeverConnects(t *testing.T) {
	v6, v6conns := countingServer(t, "tcp6", "[::1]:0")
	v4, v4conns := countingServer(t, "tcp4", "127.0.0.1:0")
	p6 := v6.URL[strings.LastIndex(v6.URL, ":")+1:]
	p4 := v4.URL[strings.LastIndex(v4.URL, ":")+1:]
	cases := []struct {
		g   Guard
		url string
	}{
		{Guard{}, "http://[::1%25lo]:" + p6 + "/"},
		{Guard{AllowLoopback: true}, "http://[::1%25lo]:" + p6 + "/"},
		{Guard{AllowLoopback: true}, "http://[::1%251]:" + p6 + "/"},
		{Guard{}, "http://[::1]:" + p6 + "/"},
		{Guard{}, "http://127.0.0.1:" + p4 + "/"},
		{Guard{}, "http://[::ffff:127.0.0.1]:" + p4 + "/"},
		{Guard{}, "http://[::127.0.0.1]:" + p4 + "/"},
		{Guard{}, "http://localhost:" + p4 + "/"},
	}
	for _, c := range cases {
		resp, err := c.g.Client().Get(c.url)
		if err == nil {
			resp.Body.Close()
			t.Errorf("loopback=%v %s: reached", c.g.AllowLoopback, c.url)
		} else if !errors.Is(err, ErrForbiddenTarget) && !strings.Contains(err.Error(), "invalid URL") {
			t.Errorf("loopback=%v %s: %v", c.g.AllowLoopback, c.url, err)
		}
	}
	if n := v6conns.Load() + v4conns.Load(); n != 0 {
		t.Fatalf("%d connections reached the loopback receivers", n)
	}
	// The switch still opens plain loopback (local development and tests).
	for _, u := range []string{"http://127.0.0.1:" + p4 + "/", "http://[::1]:" + p6 + "/"} {
		resp, err := Guard{AllowLoopback: true}.Client().Get(u)
		if err != nil {
			t.Fatalf("%s with loopback allowed: %v", u, err)
		}
		resp.Body.Close()
	}
}

// A refusal at save names the block, as the most specific row, and for an
// IPv6 spelling of an IPv4 address, the IPv4 block it reaches.
func TestGuardNamesTheBlock(t *testing.T) {
	for u, want := range map[string]string{
		"https://[::1]/":                         "(loopback (RFC 4291))",
		"https://[::]/":                          "(unspecified (RFC 4291))",
		"https://[::ffff:169.254.169.254]/":      "(IPv4-mapped link-local (RFC 3927))",
		"https://[::127.0.0.1]/":                 "(IPv4-compatible loopback (RFC 1122))",
		"https://[2002:a00:1::1]/":               "(6to4 private-use (RFC 1918))",
		"https://192.0.0.171/":                   "(NAT64/DNS64 discovery (RFC 8880))",
		"https://[2001:1::3]/":                   "(DNS-SD service registration protocol anycast (RFC 9665))",
		"https://[fe80::1%25eth0]/":              "(zoned IPv6 address)",
		"https://[4000::1]/":                     "(outside IPv6 global unicast 2000::/3)",
		"https://[2001:0:4136:e378::80ff:fffe]/": "(Teredo loopback",
	} {
		if err := (Guard{}).CheckURL(u); err == nil || !errors.Is(err, ErrForbiddenTarget) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %s", u, err, want)
		}
	}
}
