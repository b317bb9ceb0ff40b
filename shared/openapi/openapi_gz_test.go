package openapi

import (
	"bytes"
	"compress/gzip"
	"flag"
	"os"
	"testing"
)

var updateOpenAPI = flag.Bool("update-openapi", false, "write openapi.json.gz from openapi.json")

// TestOpenAPICompressed: the document the functions embed (compressed) is
// openapi.json byte for byte.
func TestOpenAPICompressed(t *testing.T) {
	src, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	if *updateOpenAPI {
		var b bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		_, _ = zw.Write(src)
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile("openapi.json.gz", b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(Document(), src) {
		t.Fatal("openapi.json.gz is not openapi.json: go test ./shared/openapi -run TestOpenAPICompressed -update-openapi")
	}
}
