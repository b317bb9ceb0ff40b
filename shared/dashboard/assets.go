package dashboard

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"path"
	"strings"

	"github.com/paylinks/paylinks/shared/imports/columns"
)

//go:embed assets/app.css assets/*.js assets/pages/*.js
var assetFiles embed.FS

//go:embed strings/*.json
var stringFiles embed.FS

// asset is a file the dashboard serves under a name that carries its hash:
// cached for a year, a change is a new name.
type asset struct {
	body        []byte
	contentType string
}

// assets by their served name; assetPath maps a source name (app.js) to
// the path it is served at.
var (
	assets    = map[string]asset{}
	assetPath = map[string]string{}
)

func addAsset(name, contentType string, body []byte) {
	assets[servedName(name, body)] = asset{body: body, contentType: contentType}
	assetPath[name] = "/dashboard/assets/" + servedName(name, body)
}

// servedName is the name a file is served under: its path with / as -,
// and the first 4 bytes of its hash before the extension.
func servedName(name string, body []byte) string {
	h := sha256.Sum256(body)
	ext := path.Ext(name)
	return strings.ReplaceAll(strings.TrimSuffix(name, ext), "/", "-") + "-" + hex.EncodeToString(h[:4]) + ext
}

func init() {
	css, err := assetFiles.ReadFile("assets/app.css")
	if err != nil {
		panic(fmt.Errorf("dashboard asset app.css: %w", err))
	}
	addAsset("app.css", "text/css; charset=utf-8", css)
	src, err := moduleSources(assetFiles, "assets")
	if err != nil {
		panic(err)
	}
	mods, err := buildModules(src)
	if err != nil {
		panic(err)
	}
	for name, m := range mods {
		assets[path.Base(m.path)] = asset{body: m.body, contentType: "text/javascript; charset=utf-8"}
		assetPath[name] = m.path
	}
	modules = mods
	addAsset("payment-links-template.csv", "text/csv; charset=utf-8", template(columns.Links, map[string]string{
		"amount": "12.50", "currency": "EUR", "description": "Invoice 2026-113", "reference": "ORDER-8812", "expires_in_days": "30",
		"first_name": "Ana", "last_name": "Peeters", "email": "ana@example.be", "phone": "+32470123456", "language": "nl", "country": "BE",
		"origin": "import", "send_channel": "email"}))
	addAsset("customers-template.csv", "text/csv; charset=utf-8", template(columns.Customers, map[string]string{
		"customer_number": "C-1001", "type": "person", "first_name": "Ana", "last_name": "Peeters", "email": "ana@example.be",
		"phone": "+32470123456", "language": "nl", "country": "BE", "address_line1": "Kerkstraat 1", "address_postal_code": "9000",
		"address_city": "Gent", "address_country": "BE"}))
	entries, err := stringFiles.ReadDir("strings")
	if err != nil {
		panic(fmt.Errorf("dashboard strings: %w", err))
	}
	for _, e := range entries {
		raw, err := stringFiles.ReadFile("strings/" + e.Name())
		if err != nil {
			panic(fmt.Errorf("dashboard strings %s: %w", e.Name(), err))
		}
		m := map[string]string{}
		if err := json.Unmarshal(raw, &m); err != nil {
			panic(fmt.Errorf("dashboard strings %s: %w", e.Name(), err))
		}
		catalog[strings.TrimSuffix(e.Name(), ".json")] = m
	}
	for lang, m := range catalog {
		page := maps.Clone(catalog["en"])
		maps.Copy(page, m)
		js, err := json.Marshal(page)
		if err != nil {
			panic(fmt.Errorf("dashboard strings %s: %w", lang, err))
		}
		catalogJSON[lang] = string(js)
	}
}

// template is an import template: the columns the import takes (the
// import's own list) and one example row.
func template(cols []string, example map[string]string) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	row := make([]string, len(cols))
	for i, c := range cols {
		row[i] = example[c]
	}
	_ = w.Write(cols)
	_ = w.Write(row)
	w.Flush()
	return b.Bytes()
}

func serveAsset(w http.ResponseWriter, r *http.Request) {
	a, ok := assets[r.PathValue("name")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", a.contentType)
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	_, _ = w.Write(a.body)
}
