package browser

import "github.com/chromedp/chromedp"

// WaitTrue waits until the JavaScript expression js is true on the page
// (what names it in a failure): for a state no single text tells, such
// as "the page's script has drawn and nothing is loading".
func (b *Browser) WaitTrue(what, js string) {
	b.t.Helper()
	_, err := get(b, chromedp.PollFunction[bool](`() => !!(`+js+`)`,
		chromedp.WithPollingTimeout(Timeout), chromedp.WithPollingMutation()))
	if err != nil {
		b.fail(b.t, "wait for %s: %v", what, err)
	}
}
