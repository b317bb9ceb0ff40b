package browser

import (
	"path/filepath"

	"github.com/chromedp/chromedp"
)

// Upload chooses the file at path in the file input whose label reads
// labelText, as a person picking it in the file chooser would (the input
// fires input and change).
func (b *Browser) Upload(labelText, path string) {
	b.t.Helper()
	abs, err := filepath.Abs(path)
	if err != nil {
		b.fail(b.t, "upload %s: %v", path, err)
		return
	}
	sel := chromedp.Search(labelled(labelText, `input[@type="file"]`))
	if err := b.run(chromedp.WaitVisible(sel), chromedp.SetUploadFiles(sel, []string{abs})); err != nil {
		b.fail(b.t, "upload %s in %q: %v", path, labelText, err)
	}
}
