package browser

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

// Download clicks the element the CSS selector matches and returns the
// file the browser downloads: its suggested name and its bytes.
func (b *Browser) Download(t testing.TB, clickSelector string) (filename string, body []byte) {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(b.ctx, Timeout)
	defer cancel()
	events := true
	if _, err := chromedp.CallBrowser(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: &events,
	}); err != nil {
		b.fail(t, "download behaviour: %v", err)
		return "", nil
	}
	begun := chromedp.BrowserEvents(ctx, cdpbrowser.DownloadWillBegin)
	progress := chromedp.BrowserEvents(ctx, cdpbrowser.DownloadProgress)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(clickSelector), chromedp.NodeVisible)); err != nil {
		b.fail(t, "click %q for a download: %v", clickSelector, err)
		return "", nil
	}
	var guid string
	for ev, err := range begun {
		if err != nil {
			b.fail(t, "click %q: no download began: %v", clickSelector, err)
			return "", nil
		}
		guid, filename = ev.GUID, ev.SuggestedFilename
		break
	}
	for ev, err := range progress {
		if err != nil {
			b.fail(t, "download %s did not finish: %v", filename, err)
			return "", nil
		}
		if ev.GUID != guid {
			continue
		}
		if ev.State == cdpbrowser.DownloadProgressStateCanceled {
			b.fail(t, "download %s was cancelled", filename)
			return "", nil
		}
		if ev.State == cdpbrowser.DownloadProgressStateCompleted {
			break
		}
	}
	// allowAndName saves the file under its GUID.
	body, err := os.ReadFile(filepath.Join(dir, guid))
	if err != nil {
		b.fail(t, "download %s: %v", filename, err)
		return "", nil
	}
	return filename, body
}
