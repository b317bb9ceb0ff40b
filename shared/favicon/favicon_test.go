package favicon_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/paylinks/paylinks/shared/favicon"
)

// The icon is a well-formed SVG document, small, with no script and
// nothing it loads from elsewhere (an icon shown under img-src 'self').
func TestIconIsASelfContainedSVG(t *testing.T) {
	doc := favicon.SVG()
	if len(doc) == 0 || len(doc) > 2048 {
		t.Fatalf("icon of %d bytes", len(doc))
	}
	d := xml.NewDecoder(bytes.NewReader(doc))
	var root string
	for {
		tok, err := d.Token()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatalf("not well-formed XML: %v", err)
			}
			break
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if root == "" {
			root = se.Name.Space + " " + se.Name.Local
		}
		if se.Name.Local == "script" || se.Name.Local == "image" || se.Name.Local == "use" || se.Name.Local == "foreignObject" {
			t.Errorf("the icon has a <%s>", se.Name.Local)
		}
		for _, a := range se.Attr {
			if a.Name.Local == "href" || strings.HasPrefix(a.Name.Local, "on") {
				t.Errorf("<%s> has %s=%q", se.Name.Local, a.Name.Local, a.Value)
			}
		}
	}
	if root != "http://www.w3.org/2000/svg svg" {
		t.Fatalf("root element %q, want the SVG namespace's svg", root)
	}
}

// GET and HEAD answer the icon as an SVG image; any other method is 405;
// the <head> line names the path served.
func TestServe(t *testing.T) {
	for _, method := range []string{"GET", "HEAD", "POST", "PUT", "DELETE"} {
		rec := httptest.NewRecorder()
		favicon.Serve(rec, httptest.NewRequest(method, favicon.Path, nil))
		switch method {
		case "GET", "HEAD":
			if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "image/svg+xml" || rec.Header().Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("%s: %d %v", method, rec.Code, rec.Header())
			}
			if want := map[string]int{"GET": len(favicon.SVG()), "HEAD": 0}[method]; rec.Body.Len() != want {
				t.Errorf("%s: body of %d bytes, want %d", method, rec.Body.Len(), want)
			}
		default:
			if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "GET, HEAD" {
				t.Errorf("%s: %d %v", method, rec.Code, rec.Header())
			}
		}
	}
	if !strings.Contains(favicon.Link, `href="`+favicon.Path+`"`) || !strings.HasPrefix(favicon.Link, `<link rel="icon"`) {
		t.Errorf("link %s", favicon.Link)
	}
}
