// Package openapi is the OpenAPI 3.1 document of the HTTP contract
// (docs/api.md) and the handler of GET /openapi.json. Only the function
// that serves it (api) links this package (infra/structure holds that), and
// it decompresses the document at its first request, not at cold start.
package openapi

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
)

// gz is openapi.json (the source, edited by hand) compressed: the function
// carries it at a tenth of the size. TestOpenAPICompressed holds the two
// the same (-update-openapi writes it).
//
//go:embed openapi.json.gz
var gz []byte

// Document is the OpenAPI document, decompressed at the first call.
var Document = sync.OnceValue(func() []byte { return gunzip(gz) })

func gunzip(b []byte) []byte {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		panic(fmt.Errorf("openapi.json.gz: %w", err))
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		panic(fmt.Errorf("openapi.json.gz: %w", err))
	}
	return out
}

// Handler answers GET /openapi.json with the document whose `servers` names
// baseURL, the address this deployment serves (a custom domain, the API's
// own URL, make dev's 127.0.0.1:8080), so that clients generated from it
// call the right place. The body is made at the first request.
func Handler(baseURL string) http.HandlerFunc {
	body := sync.OnceValue(func() []byte { return withServer(Document(), baseURL) })
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "public, max-age=300")
		_, _ = w.Write(body())
	}
}

// withServer is doc with its `servers` replaced by baseURL alone (doc
// itself when baseURL is empty).
func withServer(doc []byte, baseURL string) []byte {
	if baseURL == "" {
		return doc
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(doc, &fields); err != nil {
		return doc
	}
	fields["servers"], _ = json.Marshal([]map[string]string{{"url": baseURL, "description": "this deployment"}})
	b, err := json.Marshal(fields)
	if err != nil {
		return doc
	}
	return b
}
