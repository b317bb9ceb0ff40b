// Package favicon is paylinks' icon: one small SVG served at /favicon.ico,
// where a browser asks for it by default, and the <link rel="icon"> line
// every page's <head> carries. Pages whose Content-Security-Policy allows
// img-src 'self' show it; no page logs a 404 for it.
package favicon

import (
	_ "embed"
	"net/http"
)

// Path is where the icon is served (the dashboard's function routes it, in
// make dev and in the deployed stack: shared/spec).
const Path = "/favicon.ico"

// Link is the <head> line naming the icon.
const Link = `<link rel="icon" href="` + Path + `" type="image/svg+xml">`

//go:embed favicon.svg
var svg []byte

// SVG is the icon's document.
func SVG() []byte { return append([]byte(nil), svg...) }

// Serve answers GET and HEAD of the icon: an SVG image, cached for a day,
// that runs nothing (its own CSP) and is never sniffed as anything else.
func Serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "image/svg+xml")
	h.Set("Cache-Control", "public, max-age=86400")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(svg)
}
