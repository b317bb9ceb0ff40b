package browser

import (
	"context"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// Languages makes the tab ask for pages in the languages of accept (an
// Accept-Language header, e.g. "fr-BE,fr;q=0.9") from the next request on,
// as a browser set to them would; its User-Agent stays as it is.
func (b *Browser) Languages(accept string) {
	b.t.Helper()
	ua, err := get(b, chromedp.Evaluate[string](`navigator.userAgent`))
	if err != nil {
		b.fail(b.t, "the tab's user agent: %v", err)
		return
	}
	ctx, cancel := context.WithTimeout(b.ctx, Timeout)
	defer cancel()
	if _, err := chromedp.Call(ctx, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: ua, AcceptLanguage: accept}); err != nil {
		b.fail(b.t, "languages %q: %v", accept, err)
	}
}
