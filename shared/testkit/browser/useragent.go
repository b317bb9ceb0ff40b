package browser

import (
	"context"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// PersonUA is a desktop Chromium's User-Agent, without the "HeadlessChrome"
// the customer pages take for a link-preview bot.
const PersonUA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"

// As makes the tab send ua as its User-Agent from the next request on (a
// person's browser, for the pages that tell people from bots).
func (b *Browser) As(ua string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, Timeout)
	defer cancel()
	if _, err := chromedp.Call(ctx, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: ua}); err != nil {
		b.fail(b.t, "user agent %q: %v", ua, err)
	}
}
