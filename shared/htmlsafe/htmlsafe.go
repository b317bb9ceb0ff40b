// Package htmlsafe escapes values for HTML pages written without a
// template engine, as html/template escapes them in the same contexts.
// text/template and html/template call reflect.Value.MethodByName with
// names known only at run time, which makes the linker keep every exported
// method of every reachable type: a function that renders one page with
// them grows by megabytes.
package htmlsafe

import (
	"fmt"
	"strings"
)

// Unsafe is what a URL that is not http(s) becomes (html/template's
// "#ZgotmplZ"): an inert fragment.
const Unsafe = "#ZgotmplZ"

// Text escapes s for HTML text, <title> and double-quoted attribute values
// that are not URLs, as html/template does (+ included, NUL to U+FFFD).
var Text = strings.NewReplacer("&", "&amp;", "'", "&#39;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "+", "&#43;",
	"\x00", "\uFFFD").Replace

// FilterURL is u when it is an http or https URL, else Unsafe. Stricter
// than html/template, which also lets relative and mailto: URLs through:
// pages only ever link to absolute http(s) URLs.
func FilterURL(u string) string {
	if l := strings.ToLower(u); strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "http://") {
		return u
	}
	return Unsafe
}

// URL is u for a double-quoted URL attribute (href, src, action) that it
// starts: filtered (FilterURL), normalized (NormalizeURL) and escaped.
func URL(u string) string { return Text(NormalizeURL(FilterURL(u))) }

// URLPart is s for a double-quoted URL attribute after the URL's start and
// before any query ("/checkout/{s}/pay"): normalized and escaped.
func URLPart(s string) string { return Text(NormalizeURL(s)) }

// NormalizeURL percent-encodes every byte of s that may not appear in a
// URL (RFC 3986), as html/template's URL normalizer does: reserved and
// unreserved characters and valid escapes (%xx) stay, anything else
// (spaces, quotes, ', (, ), <, >, a lone %, bytes of non-ASCII characters)
// becomes %xx in lower-case hex.
func NormalizeURL(s string) string {
	var b strings.Builder
	written := 0
	for i := 0; i < len(s); i++ {
		if urlByte(s[i]) || s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			continue
		}
		if written == 0 {
			b.Grow(len(s) + 16)
		}
		b.WriteString(s[written:i])
		fmt.Fprintf(&b, "%%%02x", s[i])
		written = i + 1
	}
	if written == 0 {
		return s
	}
	b.WriteString(s[written:])
	return b.String()
}

// urlByte reports a byte a normalized URL keeps as it is.
func urlByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$&*+,/:;=?@[]-._~", c) >= 0
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
