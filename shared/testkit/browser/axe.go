package browser

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// AxeVersion is the axe-core make browser-deps installs into .tools.
const AxeVersion = "4.14.1"

// Violation is one axe-core rule a page breaks.
type Violation struct {
	ID      string   `json:"id"`
	Impact  string   `json:"impact"` // minor, moderate, serious, critical
	Help    string   `json:"help"`
	Targets []string `json:"targets"` // the CSS selectors of the nodes, all of them
}

// Blocking is a violation that fails the audit: serious or critical.
func (v Violation) Blocking() bool { return v.Impact == "serious" || v.Impact == "critical" }

func (v Violation) String() string {
	targets := v.Targets
	if len(targets) > 3 {
		targets = targets[:3]
	}
	return fmt.Sprintf("%s (%s): %s at %s", v.ID, v.Impact, v.Help, strings.Join(targets, ", "))
}

// axeRun audits the page with the rules: WCAG 2.0 and 2.1, A and AA, and
// axe's best practices.
const axeRun = `axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})
	.then(r => JSON.stringify(r.violations.map(v => ({id: v.id, impact: v.impact || '', help: v.help,
		targets: v.nodes.map(n => n.target.join(' '))}))))`

// axeScript is where make browser-deps installs axe-core.
func (b *Browser) axeScript() string {
	return filepath.Join(b.root, ".tools", "axe-core-"+AxeVersion, "node_modules", "axe-core", "axe.min.js")
}

// Violations runs axe-core on the page and returns every rule it breaks.
// The script goes in through the DevTools protocol (Runtime.evaluate), which
// the page's Content-Security-Policy does not govern.
func (b *Browser) Violations() ([]Violation, error) {
	src, err := os.ReadFile(b.axeScript())
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("axe-core %s is not installed at %s: run make browser-deps", AxeVersion, b.axeScript())
	} else if err != nil {
		return nil, err
	}
	if _, err := get(b, chromedp.Evaluate[chromedp.Void](string(src)+"\n;undefined")); err != nil && !errors.Is(err, chromedp.ErrJSUndefined) {
		return nil, fmt.Errorf("injecting axe-core: %w", err)
	}
	out, err := get(b, chromedp.Evaluate[string](axeRun, chromedp.EvalAwaitPromise))
	if err != nil {
		return nil, fmt.Errorf("running axe-core: %w", err)
	}
	var vs []Violation
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		return nil, fmt.Errorf("axe-core's result: %w", err)
	}
	return vs, nil
}

// Axe audits the page (named name in the log) with axe-core: it fails the
// test on each serious or critical violation and logs how many others
// there are.
func (b *Browser) Axe(t testing.TB, name string) {
	t.Helper()
	vs, err := b.Violations()
	if err != nil {
		b.fail(t, "axe on %s: %v", name, err)
		return
	}
	others := 0
	for _, v := range vs {
		if v.Blocking() {
			t.Errorf("axe on %s: %s", name, v)
		} else {
			others++
		}
	}
	t.Logf("axe on %s: %d violation(s), %d minor or moderate", name, len(vs), others)
}
