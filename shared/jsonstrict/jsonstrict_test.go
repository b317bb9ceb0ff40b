package jsonstrict

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

type inner struct {
	Name string `json:"name"`
	IBAN string `json:"iban,omitempty"`
	Skip string `json:"-"`
}

type Embedded struct {
	Note string `json:"note"`
}

type shaped []byte

func (s *shaped) UnmarshalJSON(b []byte) error { *s = append((*s)[:0], b...); return nil }
func (shaped) JSONShape() any {
	return struct {
		Currency any `json:"currency"`
		Value    any `json:"value"`
	}{}
}

type target struct {
	Embedded
	Amount shaped            `json:"amount"`
	Who    *inner            `json:"who"`
	List   []inner           `json:"list"`
	Arr    [2]*inner         `json:"arr"`
	Meta   map[string]string `json:"metadata"`
	ByName map[string]inner  `json:"by_name"`
	Raw    json.RawMessage   `json:"raw"`
	Any    any               `json:"any"`
	Plain  int               `json:"plain"`
	NoTag  string
	//lint:ignore U1000 only seen through reflection: an unexported field is no JSON member, so "unexport" is unknown
	unexport string
}

var tt = reflect.TypeFor[target]()

func TestCheckUnknownPaths(t *testing.T) {
	body := `{"amount":{"currency":"EUR","value":"1","Value":"9"},"who":{"name":"a","Name":"b","Skip":"x"},
	 "list":[{"name":"a"},{"nme":"b"}],"arr":[null,{"iban":"x","bic":"y"}],"metadata":{"anything":"goes","Anything":"too"},
	 "by_name":{"k":{"name":"a","extra":1}},"raw":{"free":{"deep":[1]}},"any":{"x":1},"plain":1,"NoTag":"y","note":"n",
	 "unexport":1,"notag":"folded","ſ":1}`
	unknown, err := Check([]byte(body), tt)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"amount.Value", "who.Name", "who.Skip", "list[1].nme", "arr[1].bic", "by_name.k.extra", "unexport", "notag", "ſ"}
	if fmt.Sprint(unknown) != fmt.Sprint(want) {
		t.Fatalf("unknown %q\nwant    %q", unknown, want)
	}
	if _, err := Check([]byte(body), nil); err != nil {
		t.Fatalf("free shape: %v", err)
	}
	if u, _ := Check([]byte(body), nil); len(u) != 0 {
		t.Fatalf("free shape reports %v", u)
	}
}

func TestCheckRefuses(t *testing.T) {
	deep := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	for _, c := range []struct{ body, path string }{
		{`{"plain":1,"plain":2}`, "plain"},
		{`{"who":{"name":"a","name":"b"}}`, "who.name"},
		{`{"metadata":{"k":"1","k":"2"}}`, "metadata.k"},
		{`{"raw":{"a":{"b":1,"b":2}}}`, "raw.a.b"},
		{`{"list":[{},{"name":"a","name":"a"}]}`, "list[1].name"},
		{`{"amount":{"value":"1","value":"2"}}`, "amount.value"},
		{`{"any":{"a":1,"\u0061":2}}`, "any.a"},
		{`{"raw":[{"x":1},{"y":{"z":[],"q":"z","z":2}}]}`, "raw[1].y.z"},
		{`{"metadata":{"a":"{\"b\":1,\"b\":2}","a":"x"}}`, "metadata.a"},
		{`{"by_name":{"k":{"name":"a"},"k":{}}}`, "by_name.k"},
		{`{"list":[{"name":"a"},{"iban":"x","iban":"y"}]}`, "list[1].iban"},
		{"{\"plain\":\"\xff\"}", ""},
		{`{"any":"\ud800"}`, ""},
		{`{"any":"\udfff"}`, ""},
		{`{"any":"\ud800\u0041"}`, ""},
		{`{"any":"\ud800"`, ""},
		{`{"plain":1}{}`, ""},
		{`{"plain":1} x`, ""},
		{``, ""},
		{`   `, ""},
		{`{"plain":}`, ""},
		{`{"plain" 1}`, ""},
		{`{1:2}`, ""},
		{`[1,]`, ""},
		{deep(MaxDepth + 1), ""},
		{`{"any":` + deep(MaxDepth) + `}`, ""},
	} {
		_, err := Check([]byte(c.body), tt)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%.60q: got %v, want an *Error", c.body, err)
			continue
		}
		if e.Path != c.path {
			t.Errorf("%.60q: path %q, want %q (%v)", c.body, e.Path, c.path, e)
		}
	}
}

func TestCheckFreeShapes(t *testing.T) {
	for body, path := range map[string]string{`[{"a":1},{"a":1,"a":2}]`: "[1].a", `{"a":{"b":[[{"c":1,"c":1}]]}}`: "a.b[0][0].c", `"{\"a\":1,\"a\":1}"`: ""} {
		_, err := Check([]byte(body), nil)
		var e *Error
		if path == "" {
			if err != nil {
				t.Errorf("%s: %v", body, err)
			}
			continue
		}
		if !errors.As(err, &e) || e.Path != path {
			t.Errorf("%s: %v, want a duplicate at %s", body, err, path)
		}
	}
}

func TestCheckAccepts(t *testing.T) {
	for _, body := range []string{
		`{"any":{"a":{"b":1},"b":{"a":1},"c":[{"a":1},{"a":1}]}}`, `{"metadata":{"a":"\"a\":1,\"a\":1"}}`,
		`{}`, ` {"plain": 1e400} `, `{"any":"\ud83c\udf82 \\ud800 \"\\"}`, `{"metadata":{"a":"1","A":"2"}}`,
		`[` + strings.Repeat("[", MaxDepth-1) + strings.Repeat("]", MaxDepth) + ``, `null`, `"x"`, `{"who":null,"list":null}`,
	} {
		if _, err := Check([]byte(body), tt); err != nil {
			t.Errorf("%.60q: %v", body, err)
		}
	}
}

// A body Check passes with no unknown names decodes, with encoding/json,
// into exactly the members it names.
func TestCheckedBodiesDecodeExactly(t *testing.T) {
	body := []byte(`{"who":{"name":"a","iban":"b"},"plain":3,"NoTag":"n"}`)
	unknown, err := Check(body, tt)
	if err != nil || len(unknown) != 0 {
		t.Fatal(unknown, err)
	}
	var v target
	if err := json.Unmarshal(body, &v); err != nil || v.Who.Name != "a" || v.Who.IBAN != "b" || v.Plain != 3 || v.NoTag != "n" {
		t.Fatal(v, err)
	}
}

func TestCanonical(t *testing.T) {
	a, err := Canonical([]byte(`{"b":[1, 2.50, {"y":true,"x":null}], "a":"\u00e9<"}`))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Canonical([]byte("\n{ \"a\" : \"é<\",\n\t\"b\":[1,2.50,{\"x\":null,\"y\":true}]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if string(a) != string(b) {
		t.Fatalf("%s != %s", a, b)
	}
	for _, other := range []string{`{"a":"é<","b":[1,2.5,{"x":null,"y":true}]}`, `{"a":"é<","b":[2.50,1,{"x":null,"y":true}]}`, `{"a":"é<"}`} {
		c, err := Canonical([]byte(other))
		if err != nil || string(c) == string(a) {
			t.Errorf("%s: %s %v", other, c, err)
		}
	}
	for _, bad := range []string{`{"a":1,"a":1}`, "{\"a\":\"\xff\"}", `{"a":"\udc00"}`, `{`, ``} {
		if _, err := Canonical([]byte(bad)); err == nil {
			t.Errorf("%q canonicalised", bad)
		}
	}
}
