// Package browser drives Debian's Chromium through chromedp for the tests of
// the dashboard: a person's actions (go to a page, click a button by its
// name, fill a field by its label, press a key), screenshots, an axe-core
// accessibility audit, a phone's viewport and downloads. Every action fails
// the test with a clear message and a screenshot, and waits at most
// [Timeout]. Console errors, uncaught exceptions and Content-Security-Policy
// violations are collected for [Browser.NoErrors].
//
// Only tests import it.
package browser

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/paylinks/paylinks/shared/testkit"
)

// Timeout bounds each action.
const Timeout = 15 * time.Second

// The desktop window, and the phone Mobile emulates.
const (
	desktopWidth, desktopHeight = 1280, 900
	phoneWidth, phoneHeight     = 390, 844
)

// Browser is one headless Chromium with one tab, for one test.
type Browser struct {
	t    testing.TB
	ctx  context.Context
	root string // the repository (where go.mod is)

	mu     sync.Mutex
	errs   []string // console errors, exceptions, CSP violations
	failed int      // failure screenshots taken
}

// New starts Chromium for the test (skipped when PAYLINKS_SKIP_BROWSER=1)
// and stops it when the test ends.
func New(t testing.TB) *Browser {
	t.Helper()
	testkit.Needs(t, testkit.Chromium)
	if os.Getenv("PAYLINKS_SKIP_BROWSER") == "1" {
		t.Skip("PAYLINKS_SKIP_BROWSER=1")
	}
	bin := chromium(t)
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(bin),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(desktopWidth, desktopHeight),
	)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	// The first Run starts the browser; it must have no timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting chromium %s: %v", bin, err)
	}
	b := &Browser{t: t, ctx: ctx, root: root}
	go b.collect(chromedp.Console(ctx))
	if err := b.run(emulateDesktop()); err != nil {
		t.Fatalf("desktop viewport: %v", err)
	}
	return b
}

// chromium finds Debian's Chromium (make browser-deps installs it).
func chromium(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "/usr/bin/chromium"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("chromium not found: run `make browser-deps` (Debian's chromium package), or set PAYLINKS_SKIP_BROWSER=1")
	return ""
}

// repoRoot walks up from the working directory to the one with go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// collect keeps the console's errors, uncaught exceptions and CSP
// violations (older Chromiums say "Refused to ...", newer ones "...
// violates the following Content Security Policy directive ..."). The browser's network log (a 401 or 422
// page, a missing favicon) is not an error of the page: tests check the
// statuses they expect.
func (b *Browser) collect(messages func(yield func(chromedp.ConsoleMessage, error) bool)) {
	for m, err := range messages {
		if err != nil {
			return
		}
		refused := strings.Contains(m.Text, "Refused to ") || strings.Contains(m.Text, "Content Security Policy")
		if !refused && (m.Source == "network" || (m.Type != chromedp.ConsoleError && !m.IsException())) {
			continue
		}
		b.mu.Lock()
		b.errs = append(b.errs, fmt.Sprintf("%s (%s:%d)", m, m.URL, m.Line+1))
		b.mu.Unlock()
	}
}

// Errors are the console errors, exceptions and CSP violations so far.
func (b *Browser) Errors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.errs...)
}

// NoErrors fails the test when the page logged an error, threw an
// exception or broke its Content-Security-Policy.
func (b *Browser) NoErrors(t testing.TB) {
	t.Helper()
	// The console's events arrive asynchronously: let the last ones in.
	time.Sleep(200 * time.Millisecond)
	if errs := b.Errors(); len(errs) > 0 {
		t.Errorf("the browser's console has %d error(s):\n  %s", len(errs), strings.Join(errs, "\n  "))
	}
}

// run runs an action with the timeout.
func (b *Browser) run(steps ...chromedp.Action[chromedp.Void]) error {
	ctx, cancel := context.WithTimeout(b.ctx, Timeout)
	defer cancel()
	return late(chromedp.Do(ctx, steps...))
}

// late explains a timeout: what the action waited for never came.
func late(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("not done within %s (no such element, or hidden, or the page never got there): %w", Timeout, err)
	}
	return err
}

// get runs an action that returns a value, with the timeout.
func get[T any](b *Browser, a chromedp.Action[T]) (T, error) {
	ctx, cancel := context.WithTimeout(b.ctx, Timeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	return v, late(err)
}

// fail takes a screenshot and fails the test.
func (b *Browser) fail(t testing.TB, format string, args ...any) {
	t.Helper()
	b.mu.Lock()
	b.failed++
	n := b.failed
	b.mu.Unlock()
	msg := fmt.Sprintf(format, args...)
	if path, err := b.shot(t, fmt.Sprintf("failure-%d", n)); err == nil {
		msg += "\n  screenshot: " + path
	} else {
		msg += "\n  (no screenshot: " + err.Error() + ")"
	}
	if u, err := get(b, chromedp.Location()); err == nil {
		msg += "\n  at: " + u
	}
	t.Fatal(msg)
}

// Go opens the URL and waits for the page to load.
func (b *Browser) Go(url string) {
	b.t.Helper()
	if err := b.run(chromedp.Navigate(url)); err != nil {
		b.fail(b.t, "go to %s: %v", url, err)
	}
}

// Click clicks the first visible element the CSS selector matches, and
// waits for the page it opens, if any.
func (b *Browser) Click(selector string) {
	b.t.Helper()
	if err := b.clickAndWait(chromedp.Click(chromedp.CSS(selector), chromedp.NodeVisible)); err != nil {
		b.fail(b.t, "click %q: %v", selector, err)
	}
}

// ClickButton clicks the button whose accessible name (its text, value or
// aria-label) is name.
func (b *Browser) ClickButton(name string) {
	b.t.Helper()
	q := xpathLiteral(name)
	x := `//button[normalize-space(.)=` + q + ` or @aria-label=` + q + `]` +
		` | //input[(@type="submit" or @type="button" or @type="reset") and (@value=` + q + ` or @aria-label=` + q + `)]` +
		` | //*[@role="button" and (normalize-space(.)=` + q + ` or @aria-label=` + q + `)]`
	if err := b.clickAndWait(chromedp.Click(chromedp.Search(x), chromedp.NodeVisible)); err != nil {
		b.fail(b.t, "click the button %q: %v", name, err)
	}
}

// ClickLink clicks the link whose accessible name (its text or aria-label)
// is name.
func (b *Browser) ClickLink(name string) {
	b.t.Helper()
	q := xpathLiteral(name)
	x := `//a[@href and (normalize-space(.)=` + q + ` or @aria-label=` + q + `)]`
	if err := b.clickAndWait(chromedp.Click(chromedp.Search(x), chromedp.NodeVisible)); err != nil {
		b.fail(b.t, "click the link %q: %v", name, err)
	}
}

// Press presses a key on the focused element: a name (Tab, Enter, Escape,
// Space, Backspace, ArrowUp, ArrowDown, ArrowLeft, ArrowRight) or text.
func (b *Browser) Press(key string) {
	b.t.Helper()
	keys := map[string]string{"Tab": kb.Tab, "Enter": kb.Enter, "Escape": kb.Escape, "Space": " ", "Backspace": kb.Backspace,
		"ArrowUp": kb.ArrowUp, "ArrowDown": kb.ArrowDown, "ArrowLeft": kb.ArrowLeft, "ArrowRight": kb.ArrowRight}
	k, named := keys[key]
	if !named {
		k = key
	}
	if err := b.clickAndWait(chromedp.KeyEvent(k)); err != nil {
		b.fail(b.t, "press %q: %v", key, err)
	}
}

// clickAndWait runs an action that may open a page (a click, Enter in a
// form) and, when a navigation starts within a moment, waits for its load.
func (b *Browser) clickAndWait(a chromedp.Action[chromedp.Void]) error {
	ctx, cancel := context.WithTimeout(b.ctx, Timeout)
	defer cancel()
	started := first(ctx, chromedp.Events(ctx, page.FrameStartedLoading))
	loaded := first(ctx, chromedp.Events(ctx, page.LoadEventFired))
	// A same-document change (history.replaceState, a #fragment) may start
	// loading with no load event to follow.
	within := first(ctx, chromedp.Events(ctx, page.NavigatedWithinDocument))
	if err := chromedp.Do(ctx, a); err != nil {
		return late(err)
	}
	select {
	case <-started:
	case <-time.After(300 * time.Millisecond):
		return nil // no navigation
	}
	select {
	case <-loaded:
		return nil
	case <-within:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("the page it opened did not load: %w", ctx.Err())
	}
}

// first is closed at the first event of seq.
func first[E any](ctx context.Context, seq func(yield func(E, error) bool)) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		for _, err := range seq {
			if err == nil {
				close(done)
			}
			return
		}
	}()
	return done
}

// labelled is the XPath of the form control whose <label> reads label, or
// whose aria-label is label (a control in a table's row, named after it).
func labelled(label, control string) string {
	q := xpathLiteral(label)
	return `//` + control + `[@id=//label[normalize-space(.)=` + q + `]/@for] | //label[normalize-space(.)=` + q + `]//` + control +
		` | //` + control + `[@aria-label=` + q + `]`
}

// Fill finds the input (or textarea) by its label's text, clears it and
// types value as keys.
func (b *Browser) Fill(labelText, value string) {
	b.t.Helper()
	x := labelled(labelText, "*[self::input or self::textarea]")
	sel := chromedp.Search(x)
	// Cleared as a person selecting all and deleting would: the value the
	// page set (a property, not the attribute chromedp.Clear resets) goes.
	clear := fmt.Sprintf(`((x) => {
		const el = document.evaluate(x, document, null, XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue;
		el.focus();
		el.value = '';
		el.dispatchEvent(new Event('input', {bubbles: true}));
		return true;
	})(%s)`, jsString(x))
	if err := b.run(chromedp.WaitVisible(sel)); err != nil {
		b.fail(b.t, "fill %q: %v", labelText, err)
		return
	}
	if _, err := get(b, chromedp.Evaluate[bool](clear)); err != nil {
		b.fail(b.t, "fill %q: %v", labelText, err)
		return
	}
	if value == "" {
		return
	}
	if err := b.run(chromedp.Focus(sel), chromedp.SendKeys(sel, value)); err != nil {
		b.fail(b.t, "fill %q: %v", labelText, err)
	}
}

// Select chooses, in the <select> labelled labelText, the option whose text
// is optionText (as a person picking it: the select fires input and change).
func (b *Browser) Select(labelText, optionText string) {
	b.t.Helper()
	x := labelled(labelText, "select")
	js := fmt.Sprintf(`((x, text) => {
		const s = document.evaluate(x, document, null, XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue;
		const o = s && Array.from(s.options).find(o => o.text.trim() === text);
		if (!o) return false;
		s.focus();
		s.value = o.value;
		s.dispatchEvent(new Event('input', {bubbles: true}));
		s.dispatchEvent(new Event('change', {bubbles: true}));
		return true;
	})(%s, %s)`, jsString(x), jsString(optionText))
	if err := b.run(chromedp.WaitVisible(chromedp.Search(x))); err != nil {
		b.fail(b.t, "select %q in %q: %v", optionText, labelText, err)
		return
	}
	if found, err := get(b, chromedp.Evaluate[bool](js)); err != nil {
		b.fail(b.t, "select %q in %q: %v", optionText, labelText, err)
	} else if !found {
		b.fail(b.t, "select %q in %q: no such option", optionText, labelText)
	}
}

// jsString is s as a JavaScript string literal.
func jsString(s string) string {
	q, _ := json.Marshal(s)
	return string(q)
}

// WaitText waits until the page's text contains text.
func (b *Browser) WaitText(text string) {
	b.t.Helper()
	_, err := get(b, chromedp.PollFunction[bool](`(text) => !!document.body && document.body.innerText.includes(text)`,
		chromedp.WithPollingArgs(text), chromedp.WithPollingTimeout(Timeout), chromedp.WithPollingMutation()))
	if err != nil {
		b.fail(b.t, "wait for the text %q: %v", text, err)
	}
}

// WaitURL waits until the page's path (and query, when path has one) is
// path.
func (b *Browser) WaitURL(path string) {
	b.t.Helper()
	_, err := get(b, chromedp.PollFunction[bool](`(want) => location.pathname + (want.includes('?') ? location.search : '') === want`,
		chromedp.WithPollingArgs(path), chromedp.WithPollingTimeout(Timeout), chromedp.WithPollingInterval(50*time.Millisecond)))
	if err != nil {
		b.fail(b.t, "wait for the URL %s: %v", path, err)
	}
}

// Text is the visible text of the first element the CSS selector matches.
func (b *Browser) Text(selector string) string {
	b.t.Helper()
	s, err := get(b, chromedp.Text(chromedp.CSS(selector), chromedp.NodeVisible))
	if err != nil {
		b.fail(b.t, "text of %q: %v", selector, err)
	}
	return s
}

// Attr is the attribute name of the first element the CSS selector
// matches (an SVG chart's aria-label, an iframe's title); it fails the test
// when the element has no such attribute.
func (b *Browser) Attr(selector, name string) string {
	b.t.Helper()
	a, err := get(b, chromedp.AttributeValue(chromedp.CSS(selector), name))
	if err != nil {
		b.fail(b.t, "attribute %s of %q: %v", name, selector, err)
	} else if !a.Exists {
		b.fail(b.t, "%q has no attribute %s", selector, name)
	}
	return a.Value
}

// Count is how many elements the CSS selector matches now (0 when none:
// a dialog closed, an error gone).
func (b *Browser) Count(selector string) int {
	b.t.Helper()
	n, err := get(b, chromedp.Evaluate[int](`document.querySelectorAll(`+jsString(selector)+`).length`))
	if err != nil {
		b.fail(b.t, "count %q: %v", selector, err)
	}
	return n
}

// URL is the page's address.
func (b *Browser) URL() string {
	b.t.Helper()
	u, err := get(b, chromedp.Location())
	if err != nil {
		b.fail(b.t, "URL: %v", err)
	}
	return u
}

// Cookie is the browser's cookie of that name for the page, nil when it
// has none.
func (b *Browser) Cookie(name string) *network.Cookie {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, Timeout)
	defer cancel()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{})
	if err != nil {
		b.fail(b.t, "cookies: %v", err)
		return nil
	}
	for _, c := range res.Cookies {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// Shot writes a full-page PNG to build/screenshots/<test>/<name>.png.
func (b *Browser) Shot(name string) {
	b.t.Helper()
	if _, err := b.shot(b.t, name); err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
}

func (b *Browser) shot(t testing.TB, name string) (string, error) {
	png, err := get(b, chromedp.FullScreenshot(100))
	if err != nil {
		return "", err
	}
	dir := filepath.Join(b.root, "build", "screenshots", t.Name())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, name+".png")
	return path, os.WriteFile(path, png, 0o644)
}

// Mobile emulates a phone (390 x 844, mobile) and fails when the page
// scrolls sideways.
func (b *Browser) Mobile(t testing.TB) {
	t.Helper()
	if err := b.run(chromedp.EmulateViewport(phoneWidth, phoneHeight, chromedp.EmulateMobile, chromedp.EmulatePortrait)); err != nil {
		b.fail(t, "phone viewport: %v", err)
		return
	}
	width, err := get(b, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
	if err != nil {
		b.fail(t, "page width: %v", err)
		return
	}
	if width > phoneWidth {
		b.fail(t, "the page scrolls sideways on a %d px phone: it is %d px wide", phoneWidth, width)
	}
}

// Desktop goes back to the 1280 x 900 window.
func (b *Browser) Desktop() {
	b.t.Helper()
	if err := b.run(emulateDesktop()); err != nil {
		b.fail(b.t, "desktop viewport: %v", err)
	}
}

func emulateDesktop() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		return chromedp.Do(ctx, chromedp.EmulateViewport(desktopWidth, desktopHeight, func(p *emulation.SetDeviceMetricsOverrideParams, _ *emulation.SetTouchEmulationEnabledParams) {
			p.Mobile = false
		}))
	})
}

// xpathLiteral quotes s for XPath 1.0, which has no escapes.
func xpathLiteral(s string) string {
	if !strings.Contains(s, `"`) {
		return `"` + s + `"`
	}
	if !strings.Contains(s, `'`) {
		return `'` + s + `'`
	}
	parts := strings.Split(s, `"`)
	return `concat("` + strings.Join(parts, `", '"', "`) + `")`
}

// Focused is the accessible name of the focused element: its label's text,
// aria-label, or its own text ("" when nothing is focused).
func (b *Browser) Focused() string {
	b.t.Helper()
	name, err := get(b, chromedp.Evaluate[string](`(() => {
		const el = document.activeElement;
		if (!el || el === document.body) return '';
		if (el.labels && el.labels.length) return el.labels[0].textContent.trim();
		return (el.getAttribute('aria-label') || el.textContent || el.value || '').trim();
	})()`))
	if err != nil {
		b.fail(b.t, "the focused element: %v", err)
	}
	return name
}

// TabTo presses Tab (at most 60 times) until the element named name has the
// focus, as a person using only the keyboard would.
func (b *Browser) TabTo(name string) {
	b.t.Helper()
	var seen []string
	for range 60 {
		b.Press("Tab")
		f := b.Focused()
		if f == name {
			return
		}
		seen = append(seen, f)
	}
	b.fail(b.t, "Tab never reached %q; the focus went through %q", name, seen)
}
