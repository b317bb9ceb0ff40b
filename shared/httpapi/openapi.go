package httpapi

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// openAPIgz is openapi.json (the source, edited by hand) compressed: every
// function linking this package carries it, at a tenth of the size.
// TestOpenAPICompressed holds the two the same (-update-openapi writes it).
//
//go:embed openapi.json.gz
var openAPIgz []byte

// OpenAPI is the OpenAPI 3.1 document of the HTTP contract (docs/api.md).
var OpenAPI = gunzip(openAPIgz)

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

// OpenAPIFor answers GET /openapi.json with the document whose `servers`
// names baseURL, the address this deployment serves (a custom domain, the
// API's own URL, make dev's 127.0.0.1:8080), so that clients generated from
// it call the right place.
func OpenAPIFor(baseURL string) http.HandlerFunc {
	body := OpenAPI
	if baseURL != "" {
		var doc map[string]json.RawMessage
		if err := json.Unmarshal(OpenAPI, &doc); err == nil {
			doc["servers"], _ = json.Marshal([]map[string]string{{"url": baseURL, "description": "this deployment"}})
			if b, err := json.Marshal(doc); err == nil {
				body = b
			}
		}
	}
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "public, max-age=300")
		_, _ = w.Write(body)
	}
}
