package browser

import (
	"strconv"

	"github.com/chromedp/chromedp"
)

// VisibleWithin is how many elements the CSS selector matches whose box
// lies wholly within the first height pixels of the window, the page
// scrolled to its top: what a person sees on a screen that tall without
// scrolling.
func (b *Browser) VisibleWithin(selector string, height int) int {
	b.t.Helper()
	n, err := get(b, chromedp.Evaluate[int](`(() => {
		window.scrollTo(0, 0);
		const h = `+strconv.Itoa(height)+`;
		return Array.from(document.querySelectorAll(`+jsString(selector)+`)).filter((el) => {
			const r = el.getBoundingClientRect();
			return r.height > 0 && r.top >= 0 && r.bottom <= h;
		}).length;
	})()`))
	if err != nil {
		b.fail(b.t, "rows of %q within %d px: %v", selector, height, err)
	}
	return n
}

// Unnamed is how many elements the CSS selector matches that have no
// accessible text: no text (visible or visually hidden), no aria-label,
// and no labelled control or image inside with one (a column header a
// screen reader would read as nothing).
func (b *Browser) Unnamed(selector string) int {
	b.t.Helper()
	n, err := get(b, chromedp.Evaluate[int](`Array.from(document.querySelectorAll(`+jsString(selector)+`)).filter((el) =>
		!el.textContent.trim() && !el.getAttribute('aria-label') &&
		!Array.from(el.querySelectorAll('[aria-label]')).some((k) => k.getAttribute('aria-label').trim())).length`))
	if err != nil {
		b.fail(b.t, "unnamed %q: %v", selector, err)
	}
	return n
}
