// Package jsonstrict checks a JSON body before encoding/json decodes it,
// closing the gaps encoding/json leaves open: it matches member names
// case-insensitively (with Unicode folding: "ſend" is "send"), keeps the
// last of duplicate names, turns invalid UTF-8 and lone UTF-16 surrogate
// escapes into U+FFFD, and names only the first unknown member.
//
// Check reads the body with jsontext (the JSON v2 tokenizer), which refuses
// invalid UTF-8, lone surrogate escapes, duplicate names in any object at
// any depth, nesting deeper than MaxDepth and data after the value; it walks
// the tokens against the type the body is meant for (json tags of structs,
// through pointers, slices, arrays and maps) and returns every member name
// the type does not have, with its path. Names are compared exactly
// (case-sensitive, no folding). A body that passes with no unknown names
// decodes with encoding/json to the same value a case-sensitive decoder
// would produce.
package jsonstrict

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/go-json-experiment/json/jsontext"
)

// MaxDepth is the deepest nesting of objects and arrays accepted (jsontext's
// limit, the same encoding/json applies when decoding).
const MaxDepth = 10000

// MaxUnknown is how many unknown member names Check reports at most.
const MaxUnknown = 1000

// Shaper is implemented by types that keep a member's raw JSON to decode it
// later (such as an amount): JSONShape returns a value whose type describes
// the members accepted in it.
type Shaper interface {
	JSONShape() any
}

// Error is a body refused before decoding: malformed, invalid UTF-8,
// duplicate names or too deep. Path names the member a duplicate name is.
type Error struct {
	Path string
	Msg  string
}

func (e *Error) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

var (
	shaperType      = reflect.TypeFor[Shaper]()
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	textType        = reflect.TypeFor[encoding.TextUnmarshaler]()
	rawType         = reflect.TypeFor[json.RawMessage]()
)

// Check validates body as one JSON value meant to decode into a value of
// type t (nil: any shape). It returns an *Error when the body is refused,
// else the paths of the member names t does not have, in body order (the
// first MaxUnknown).
func Check(body []byte, t reflect.Type) ([]string, error) {
	c := &checker{dec: jsontext.NewDecoder(bytes.NewReader(body))}
	if c.dec.PeekKind() == 0 {
		if _, err := c.dec.ReadToken(); err == io.EOF {
			return nil, &Error{Msg: "malformed JSON: the body is empty"}
		}
	}
	if err := c.value(t); err != nil {
		return nil, err
	}
	if _, err := c.dec.ReadToken(); err != io.EOF {
		return nil, &Error{Msg: "malformed JSON: data after the value"}
	}
	return c.unknown, nil
}

// Valid reports a body Check accepts for any shape.
func Valid(body []byte) bool {
	_, err := Check(body, nil)
	return err == nil
}

type checker struct {
	dec     *jsontext.Decoder
	unknown []string
}

// path is a JSON pointer in this package's notation: members joined with
// dots, array elements as [i] ("customer.email", "list[2].name"). The
// decoder's stack says which tokens are array indices.
func (c *checker) path(p jsontext.Pointer) string {
	var b strings.Builder
	i := 0
	for tok := range p.Tokens() {
		i++
		if kind, _ := c.dec.StackIndex(i); kind == '[' {
			b.WriteString("[" + tok + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tok)
	}
	return b.String()
}

// refuse turns the tokenizer's error into an *Error; a duplicate name is
// named by its path.
func (c *checker) refuse(err error) error {
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return &Error{Msg: "malformed JSON: unexpected end of the body"}
	}
	var se *jsontext.SyntacticError
	if errors.As(err, &se) && errors.Is(err, jsontext.ErrDuplicateName) {
		return &Error{Path: c.path(se.JSONPointer), Msg: "appears more than once in its object"}
	}
	return &Error{Msg: "malformed JSON: " + strings.TrimPrefix(err.Error(), "jsontext: ")}
}

// shape resolves t to the type whose members are checked: through pointers
// and Shapers; nil for anything that decodes itself (free shape).
func shape(t reflect.Type) reflect.Type {
	for t != nil {
		if t.Kind() == reflect.Interface {
			return nil
		}
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
			continue
		}
		if t.Implements(shaperType) {
			t = reflect.TypeOf(reflect.Zero(t).Interface().(Shaper).JSONShape())
			continue
		}
		if reflect.PointerTo(t).Implements(shaperType) {
			t = reflect.TypeOf(reflect.New(t).Interface().(Shaper).JSONShape())
			continue
		}
		if t == rawType || t.Implements(unmarshalerType) || reflect.PointerTo(t).Implements(unmarshalerType) ||
			t.Implements(textType) || reflect.PointerTo(t).Implements(textType) {
			return nil
		}
		return t
	}
	return nil
}

// leaf reports a shape with no member names to check: free, a scalar, or a
// map, slice or array of leaves.
func leaf(t reflect.Type, level int) bool {
	if t == nil {
		return true
	}
	switch t.Kind() {
	case reflect.Struct:
		return false
	case reflect.Map, reflect.Slice, reflect.Array:
		return level < 16 && leaf(shape(t.Elem()), level+1)
	}
	return true
}

// value reads the value at the decoder's position, meant for type t. A
// value whose shape has no member names to check below it (free shapes,
// scalars, maps and slices of them) is skipped whole (the tokenizer still
// validates it); the others are walked token by token.
func (c *checker) value(t reflect.Type) error {
	t = shape(t)
	if leaf(t, 0) {
		if err := c.dec.SkipValue(); err != nil {
			return c.refuse(err)
		}
		return nil
	}
	tok, err := c.dec.ReadToken()
	if err != nil {
		return c.refuse(err)
	}
	switch tok.Kind() {
	case '{':
		return c.object(t)
	case '[':
		var elem reflect.Type
		if t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
			elem = t.Elem()
		}
		for c.dec.PeekKind() != ']' {
			if err := c.value(elem); err != nil {
				return err
			}
		}
		if _, err := c.dec.ReadToken(); err != nil {
			return c.refuse(err)
		}
	}
	return nil // a scalar: its type is the decoder's business
}

func (c *checker) object(t reflect.Type) error {
	var fields map[string]reflect.Type
	var elem reflect.Type
	switch t.Kind() {
	case reflect.Struct:
		fields = members(t)
	case reflect.Map:
		elem = t.Elem()
	}
	for c.dec.PeekKind() != '}' {
		tok, err := c.dec.ReadToken()
		if err != nil {
			return c.refuse(err)
		}
		ft := elem
		if fields != nil {
			var known bool
			if ft, known = fields[tok.String()]; !known && len(c.unknown) < MaxUnknown {
				c.unknown = append(c.unknown, c.path(c.dec.StackPointer()))
			}
		}
		if err := c.value(ft); err != nil {
			return err
		}
	}
	if _, err := c.dec.ReadToken(); err != nil {
		return c.refuse(err)
	}
	return nil
}

// members are the JSON names of a struct's fields (embedded structs'
// promoted) and their types.
func members(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	addMembers(t, out, 0)
	return out
}

func addMembers(t reflect.Type, out map[string]reflect.Type, level int) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct && level < 8 {
				addMembers(ft, out, level+1)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if _, dup := out[name]; !dup || level == 0 {
			out[name] = f.Type
		}
	}
}

// Canonical re-encodes a body Check accepts as one JSON value with object
// members sorted by name and no insignificant whitespace; numbers keep their
// text. Two bodies with the same JSON value have the same canonical form.
func Canonical(body []byte) ([]byte, error) {
	if !Valid(body) {
		return nil, &Error{Msg: "not a strict JSON value"}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("canonical JSON: %w", err)
	}
	out, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("canonical JSON: %w", err)
	}
	return out, nil
}
