package sandbox

import (
	"net/url"
	"strings"

	"github.com/paylinks/paylinks/shared/domain"
)

// way is a link of the thank-you page: an absolute https URL of the
// merchant (Href), or the link's own page (/l/{Code}) when Href is "".
type way struct {
	Href string
	Code string
}

// site is the merchant's site: the origin of the link's redirect URL (an
// https URL on the merchant's allow-list, checked when the link was
// made), else the first of the merchant's redirect domains; "" when
// neither is known.
func site(redirectURL string, domains []string) string {
	if u, ok := httpsURL(redirectURL); ok {
		return "https://" + u.Host + "/"
	}
	if len(domains) > 0 && validHost(domains[0]) {
		return "https://" + domains[0] + "/"
	}
	return ""
}

// httpsURL parses s as an https URL to a host, with no user in it.
func httpsURL(s string) (*url.URL, bool) {
	u, err := url.Parse(s)
	return u, err == nil && u.Scheme == "https" && u.User == nil && validHost(u.Host)
}

// validHost is a host name (port allowed) with nothing a URL would read as
// a path, query, user or fragment.
func validHost(h string) bool {
	return h != "" && !strings.ContainsAny(h, "/?#@\\ \t\r\n") && !strings.HasPrefix(h, ".")
}

// back is the way back to the merchant after the sandbox's Pay or
// Decline, and whether it reaches the merchant: after a payment the
// link's redirect URL, else the merchant's site; after a decline the
// merchant's site (the redirect URL thanks for a payment). With neither,
// the link's own page, in the link's language.
func back(l *domain.Link, domains []string, paid bool) (way, bool) {
	if u, ok := httpsURL(l.RedirectURL); ok && paid {
		// As parsed: the scheme in lower case (a link made with
		// "HTTPS://..." is an https link all the same).
		return way{Href: u.String()}, true
	}
	if s := site(l.RedirectURL, domains); s != "" {
		return way{Href: s}, true
	}
	return way{Code: l.Code}, false
}
