package openapi

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"reflect"
	"testing"
)

// TestHandlerNamesTheServingAddress: the document served names the address
// given as its only server and is otherwise the document; without an
// address it is the document byte for byte.
func TestHandlerNamesTheServingAddress(t *testing.T) {
	serve := func(base string) ([]byte, string) {
		rec := httptest.NewRecorder()
		Handler(base)(rec, httptest.NewRequest("GET", "/openapi.json", nil))
		if rec.Code != 200 {
			t.Fatalf("%q: %d", base, rec.Code)
		}
		return rec.Body.Bytes(), rec.Header().Get("Content-Type")
	}
	body, ct := serve("https://pay.example.com")
	if ct != "application/json" {
		t.Fatalf("content type %q", ct)
	}
	var got, want map[string]json.RawMessage
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(Document(), &want); err != nil {
		t.Fatal(err)
	}
	var servers []struct{ URL string }
	if err := json.Unmarshal(got["servers"], &servers); err != nil || len(servers) != 1 || servers[0].URL != "https://pay.example.com" {
		t.Fatalf("servers %s", got["servers"])
	}
	delete(got, "servers")
	delete(want, "servers")
	if !reflect.DeepEqual(decode(t, got), decode(t, want)) {
		t.Fatal("the document served is not the document but for its servers")
	}
	if plain, _ := serve(""); !bytes.Equal(plain, Document()) {
		t.Fatal("without an address the document served is not the document")
	}
}

// decode is fields' values decoded, to compare documents whatever their
// spacing and escaping.
func decode(t *testing.T, fields map[string]json.RawMessage) map[string]any {
	t.Helper()
	out := map[string]any{}
	for k, v := range fields {
		var x any
		if err := json.Unmarshal(v, &x); err != nil {
			t.Fatal(err)
		}
		out[k] = x
	}
	return out
}
