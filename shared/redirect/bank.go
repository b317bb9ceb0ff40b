package redirect

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/paylinks/paylinks/shared/bank/epc"
	"github.com/paylinks/paylinks/shared/bank/reference"
	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/htmlsafe"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/reqlog"
)

// BankDetails are what a payer copies into their bank to pay a link by
// transfer, each as shown and as copied.
type BankDetails struct {
	Beneficiary   string
	IBAN          string // grouped by four
	IBANCopy      string // electronic form
	BIC           string
	AmountCopy    string // the number alone, with the language's decimal mark
	Reference     string // print form
	ReferenceCopy string // electronic form
	// QR is the path of the link's EPC QR code (PNG).
	QR string
}

// bankDetails are l's transfer details in language lang (nil when l
// offers no bank transfer).
func bankDetails(l *domain.Link, lang string) *BankDetails {
	if !l.OffersBankTransfer() || l.Beneficiary == nil {
		return nil
	}
	printed, err := reference.Print(l.BankReference)
	if err != nil {
		printed = l.BankReference
	}
	amount := l.Amount.String()
	if lang != "en" {
		amount = strings.Replace(amount, ".", ",", 1)
	}
	b := l.Beneficiary
	return &BankDetails{Beneficiary: b.Name, IBAN: domain.PrintIBAN(b.IBAN), IBANCopy: strings.ReplaceAll(b.IBAN, " ", ""), BIC: b.BIC,
		AmountCopy: amount, Reference: printed, ReferenceCopy: reference.Normalize(l.BankReference), QR: "/l/" + l.Code + "/epc.png"}
}

// bankPage answers a person's open of a link that offers a bank transfer
// (the click recorded): the transfer's details and EPC QR code, beside the
// PSP checkout when the link has other methods too. A checkout that cannot
// be made now leaves the transfer on the page, with a word on it.
func (h *Handler) bankPage(ctx context.Context, w http.ResponseWriter, m *merchant.Merchant, l *domain.Link) {
	p := h.page(l, m, "bank")
	p.Bank = bankDetails(l, p.Lang)
	reqlog.Set(ctx, "outcome", "bank_transfer")
	if !l.OnlyBankTransfer(m.PaymentMethods) {
		target, err := h.checkout(ctx, m, l)
		if err != nil {
			reqlog.Set(ctx, "error", err.Error())
			reqlog.Set(ctx, "outcome", "bank_transfer_checkout_down")
			p.CheckoutDown = true
		} else {
			p.Checkout = target
		}
	}
	render(w, http.StatusOK, p)
}

// copyScript makes the copy buttons work: they are hidden until it runs,
// so the page is whole without JavaScript. The page's
// Content-Security-Policy allows it by its hash alone.
const copyScript = `for(const b of document.querySelectorAll("button[data-copy]")){if(!navigator.clipboard)break;b.hidden=false;` +
	`b.addEventListener("click",()=>{navigator.clipboard.writeText(b.dataset.copy).then(()=>{const t=b.textContent;` +
	`b.textContent=b.dataset.done;setTimeout(()=>{b.textContent=t},2000)})})}`

// copyScriptHash is copyScript's CSP source.
var copyScriptHash = sync.OnceValue(func() string {
	sum := sha256.Sum256([]byte(copyScript))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
})

// bankCSS styles the bank transfer page only (the other pages keep theirs).
const bankCSS = `
section.bank{margin-top:1.5rem;border-top:1px solid #d0d7de;padding-top:1rem}
h2{font-size:1.15rem;margin:0 0 .5rem}
dl{display:grid;grid-template-columns:auto 1fr;gap:.4rem 1rem;margin:1rem 0}
dt{color:#57606a}
dd{margin:0;word-break:break-word}
.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
button.copy{margin-left:.5rem;padding:.1rem .5rem;font:inherit;font-size:.85rem;border:1px solid #d0d7de;border-radius:6px;background:#f6f8fa;color:#1b1f24;cursor:pointer}
button.copy:focus{outline:3px solid #1b1f24;outline-offset:2px}
figure{margin:1rem 0 0;text-align:center}
figure img{width:12rem;height:12rem;image-rendering:pixelated}
figcaption{color:#57606a;font-size:.9rem}
@media (max-width:30rem){main{margin:1rem .5rem;padding:1.25rem}dl{grid-template-columns:1fr;gap:.15rem}dd{margin-bottom:.6rem}button.copy{white-space:nowrap}}`

// bankHTML is the bank transfer part of the page p (its checkout button
// first when it has one), every value escaped.
func bankHTML(p Page) string {
	e, t, d := htmlsafe.Text, p.T, p.Bank
	var b strings.Builder
	switch {
	case p.Checkout != "":
		b.WriteString("\n" + `<a class="button" href="` + htmlsafe.URL(p.Checkout) + `">` + e(t["pay_online"]) + `</a>`)
	case p.CheckoutDown:
		b.WriteString("\n" + `<p class="muted">` + e(t["online_down"]) + `</p>`)
	}
	intro, label := t["bank_intro"], t["reference"]
	if strings.HasPrefix(d.ReferenceCopy, "RF") { // ISO 11649: not the Belgian structured communication
		intro, label = t["bank_intro_rf"], t["reference_rf"]
	}
	b.WriteString("\n" + `<section class="bank" aria-labelledby="bt">` + "\n" + `<h2 id="bt">` + e(t["bank_title"]) + `</h2>` +
		"\n<p>" + e(intro) + "</p>\n<dl>")
	row := func(id, label, shown, copied string, mono bool) {
		class := ""
		if mono {
			class = ` class="mono"`
		}
		b.WriteString("\n" + `<dt id="bt-` + id + `">` + e(label) + `</dt><dd><span` + class + `>` + e(shown) + `</span>`)
		if copied != "" {
			b.WriteString(` <button type="button" class="copy" hidden aria-describedby="bt-` + id + `" data-copy="` + e(copied) +
				`" data-done="` + e(t["copied"]) + `">` + e(t["copy"]) + `</button>`)
		}
		b.WriteString(`</dd>`)
	}
	row("name", t["beneficiary"], d.Beneficiary, "", false)
	row("iban", "IBAN", d.IBAN, d.IBANCopy, true)
	row("bic", "BIC", d.BIC, "", true)
	row("amount", t["amount"], p.Amount, d.AmountCopy, false)
	row("ref", label, d.Reference, d.ReferenceCopy, true)
	b.WriteString("\n</dl>\n" + `<figure><img src="` + htmlsafe.URLPart(d.QR) + `" alt="` + e(t["qr_alt"]) + `" width="192" height="192">` +
		`<figcaption>` + e(t["qr_caption"]) + `</figcaption></figure>` + "\n</section>")
	return b.String()
}

// epcImage serves a link's EPC QR code: only for an open link, not
// archived, that offers a bank transfer in EUR (else 404). The code
// follows from the link as made (its beneficiary, amount and reference
// never change), so it has a strong ETag and a revalidation answers 304;
// the link is read each time, so a link that closed answers 404, and
// caches keep it a day at most.
func (h *Handler) epcImage(format string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		ctx := r.Context()
		code := r.PathValue("code")
		if _, err := h.serving(ctx, code, true); err != nil {
			var nf *notFound
			if errors.As(err, &nf) {
				nf.plain = true
			}
			return err
		}
		l, err := h.Store.GetByCode(ctx, code)
		if errors.Is(err, domain.ErrNotFound) {
			return &notFound{outcome: "not_found", plain: true}
		}
		if err != nil {
			return err
		}
		if !l.OffersBankTransfer() || l.Amount.Currency != domain.BankCurrency || l.Beneficiary == nil ||
			l.Archived || !l.Status.Open() || l.ExpiredAt(h.Now()) {
			return &notFound{outcome: "no_bank_transfer", plain: true}
		}
		etag := `"epc-` + format + "-" + code + `"`
		w.Header().Set("Cache-Control", "public, max-age=86400")
		w.Header().Set("ETag", etag)
		if inm := r.Header.Get("If-None-Match"); inm != "" && (inm == "*" || strings.Contains(inm, etag)) {
			reqlog.Set(ctx, "outcome", "epc_not_modified")
			w.WriteHeader(http.StatusNotModified)
			return nil
		}
		body, ok := h.qrs.get(etag)
		if !ok {
			if body, err = drawEPC(l, format); err != nil {
				return err
			}
			h.qrs.put(etag, body)
		}
		ctype := "image/png"
		if format == "svg" {
			ctype = "image/svg+xml"
		}
		w.Header().Set("Content-Type", ctype)
		reqlog.Set(ctx, "link_id", l.ID)
		reqlog.Set(ctx, "outcome", "epc_"+format)
		_, _ = w.Write(body)
		return nil
	}
}

// drawEPC is l's EPC QR code as PNG or SVG.
func drawEPC(l *domain.Link, format string) ([]byte, error) {
	b := l.Beneficiary
	bc, err := epc.Encode(epc.Payment{BIC: b.BIC, Name: b.Name, IBAN: b.IBAN, Currency: l.Amount.Currency,
		Amount: l.Amount.Value, Reference: l.BankReference})
	if err != nil {
		return nil, fmt.Errorf("epc qr code of %s: %w", l.ID, err)
	}
	if format == "svg" {
		return QRSVG(bc), nil
	}
	img, err := QRPNG(bc)
	if err != nil {
		return nil, fmt.Errorf("epc png of %s: %w", l.ID, err)
	}
	return img, nil
}
