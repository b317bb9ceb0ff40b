package dashboard

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"

	"github.com/paylinks/paylinks/shared/htmlsafe"
)

// e escapes text and attribute values.
var e = htmlsafe.Text

// catalog holds the dashboard's strings by language; English is complete
// and the fallback (nl, fr, de are added beside it).
var catalog = map[string]map[string]string{"en": {
	"sign_in": "Sign in", "sign_out": "Sign out", "email": "Email", "password": "Password",
	"enter_both":   "Enter your e-mail and password.",
	"new_password": "Choose your password", "new_password_body": "This is your first sign-in: choose a password of at least 12 characters with upper and lower case letters, a digit and a symbol.",
	"new_password_field": "New password", "confirm_password": "Confirm password", "set_password": "Set password",
	"passwords_differ": "The two passwords differ.",
	"mfa":              "Two-step verification", "mfa_body": "Enter the 6-digit code of your authenticator app.", "code": "Code", "continue": "Continue",
	"unsupported_challenge": "This account needs a sign-in step the dashboard does not offer; contact your administrator.",
	"no_access":             "No access", "no_access_body": "You are not a member of any merchant. Ask an owner or an administrator to invite you.",
	"not_member_of": "You are not a member of that merchant.",
	"signed_out":    "Signed out", "signed_out_body": "Your session ended (signed out, or inactive for too long). Sign in again.",
	"csrf": "The form expired", "csrf_body": "The form was not sent from this page or has expired: nothing was done. Reload the page and try again.",
	"error": "Something went wrong", "error_body": "The dashboard could not answer just now; nothing was changed. Try again in a moment.",
	"not_found": "Not found", "not_found_body": "There is no such page.",
	"home": "Dashboard", "signed_in_as": "Signed in as", "of": "of", "merchant": "Merchant", "switch": "Switch",
	"skip":            "Skip to content",
	"mfa_setup":       "Set up two-step verification",
	"mfa_setup_body":  "A merchant you are a member of requires two-step verification. Add this key to your authenticator app (or open the link below on your phone), then enter the 6-digit code it shows.",
	"mfa_setup_first": "Set up two-step verification first.",
}}

// t is the English string of key (the key itself when missing, which a
// test forbids).
func t(key string) string {
	if s, ok := catalog["en"][key]; ok {
		return s
	}
	return key
}

// styles is the dashboard's style sheet, served under a name that carries
// its hash (cached for a year; a change is a new name).
const styles = `*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,sans-serif;color:#1a1a1a;background:#f6f7f9}
header{display:flex;justify-content:space-between;align-items:center;gap:1rem;padding:.75rem 1rem;background:#12263f;color:#fff}
header a{color:#fff}main{max-width:60rem;margin:0 auto;padding:1rem}
.card{background:#fff;border:1px solid #d0d5dd;border-radius:8px;padding:1rem;max-width:26rem}
label{display:block;font-weight:600;margin:.75rem 0 .25rem}input,select{font:inherit;padding:.5rem;border:1px solid #667085;border-radius:6px;width:100%}
button{font:inherit;margin-top:1rem;padding:.5rem 1rem;border:0;border-radius:6px;background:#1d4ed8;color:#fff;cursor:pointer}
button:focus,input:focus,select:focus,a:focus{outline:3px solid #f59e0b;outline-offset:2px}
header button{margin:0;background:#fff;color:#12263f}.error{background:#fef2f2;border:1px solid #b91c1c;color:#7f1d1d;padding:.75rem;border-radius:6px}
.inline select{width:auto}code{font-size:1.1rem;word-break:break-all}.muted{color:#475467;word-break:break-all;font-size:.875rem}.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:#fff;color:#000;padding:.5rem}
@media (max-width:480px){main{padding:.5rem}.card{max-width:none}}`

var stylesName = func() string {
	h := sha256.Sum256([]byte(styles))
	return "dashboard-" + hex.EncodeToString(h[:4]) + ".css"
}()

// StylesPath is where the style sheet is served.
var StylesPath = "/dashboard/assets/" + stylesName

func serveStyles(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	_, _ = w.Write([]byte(styles))
}

type page struct {
	Title  string
	Signed *current // the signed-in person (a Sign out button), nil before
}

// page writes a whole page around body (HTML already escaped).
func (d *Dashboard) page(w http.ResponseWriter, status int, p page, body string) {
	var nav string
	if p.Signed != nil {
		nav = `<form method="post" action="/dashboard/sign-out">` + hidden("csrf", p.Signed.s.CSRF) +
			`<button type="submit">` + e(t("sign_out")) + `</button></form>`
	}
	html := `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>` + e(p.Title) + ` · paylinks</title>
<link rel="stylesheet" href="` + StylesPath + `">
</head>
<body>
<a class="skip" href="#main">` + e(t("skip")) + `</a>
<header><a href="/dashboard">paylinks</a>` + nav + `</header>
<main id="main">
<h1>` + e(p.Title) + `</h1>
` + body + `
</main>
</body>
</html>
`
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(html))
}

func hidden(name, value string) string {
	return `<input type="hidden" name="` + e(name) + `" value="` + e(value) + `">`
}

// field is a labelled input; invalid marks it for assistive technology.
func field(name, label, typ, value, autocomplete string, invalid bool) string {
	aria := ""
	if invalid {
		aria = ` aria-invalid="true" aria-describedby="form-error"`
	}
	return `<label for="` + e(name) + `">` + e(label) + `</label><input id="` + e(name) + `" name="` + e(name) + `" type="` + e(typ) +
		`" value="` + e(value) + `" autocomplete="` + e(autocomplete) + `" required` + aria + `>`
}

func errorBox(problem string) string {
	if problem == "" {
		return ""
	}
	return `<p class="error" id="form-error" role="alert">` + e(problem) + `</p>`
}
