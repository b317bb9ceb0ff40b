package money

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestUnmarshal(t *testing.T) {
	cases := []struct {
		in      string
		want    string // formatted value, when ok
		wantErr error
		field   string
	}{
		{`{"currency":"EUR","value":"12.50"}`, "12.50", nil, ""},
		{`{"currency":"EUR","value":"12.5"}`, "12.50", nil, ""},
		{`{"currency":"EUR","value":12.5}`, "12.50", nil, ""},
		{`{"currency":"EUR","value":120.98}`, "120.98", nil, ""},
		{`{"currency":"EUR","value":"0.01"}`, "0.01", nil, ""},
		{`{"currency":"JPY","value":"1200"}`, "1200", nil, ""},
		{`{"currency":"JPY","value":1200}`, "1200", nil, ""},
		{`{"currency":"KWD","value":"1.25"}`, "1.250", nil, ""},
		{`{"currency":"CLF","value":"0.0001"}`, "0.0001", nil, ""},
		{`{"currency":"EUR","value":"1000000000.00"}`, "1000000000.00", nil, ""},
		{`{"currency":"EUR","value":"1000000000.01"}`, "", ErrTooLarge, "value"},
		{`{"currency":"EUR","value":"12.505"}`, "", ErrTooManyDecimals, "value"},
		{`{"currency":"EUR","value":12.505}`, "", ErrTooManyDecimals, "value"},
		{`{"currency":"JPY","value":"12.5"}`, "", ErrTooManyDecimals, "value"},
		{`{"currency":"JPY","value":"1200.0"}`, "", ErrTooManyDecimals, "value"},
		{`{"currency":"KWD","value":"1.2345"}`, "", ErrTooManyDecimals, "value"},
		{`{"currency":"EUR","value":"0"}`, "", ErrNotPositive, "value"},
		{`{"currency":"EUR","value":"0.00"}`, "", ErrNotPositive, "value"},
		{`{"currency":"EUR","value":"-1.00"}`, "", ErrNotPositive, "value"},
		{`{"currency":"EUR","value":-1}`, "", ErrNotPositive, "value"},
		{`{"currency":"EUR","value":"1e3"}`, "", ErrInvalidValue, "value"},
		{`{"currency":"EUR","value":1e3}`, "", ErrInvalidValue, "value"},
		{`{"currency":"EUR","value":"1,00"}`, "", ErrInvalidValue, "value"},
		{`{"currency":"EUR","value":"+1.00"}`, "", ErrInvalidValue, "value"},
		{`{"currency":"EUR","value":".5"}`, "", ErrInvalidValue, "value"},
		{`{"currency":"EUR","value":"01.5"}`, "", ErrInvalidValue, "value"},
		{`{"currency":"EUR","value":" 1.5"}`, "", ErrInvalidValue, "value"},
		{`{"currency":"EUR","value":"NaN"}`, "", ErrInvalidValue, "value"},
		{`{"currency":"EUR","value":""}`, "", ErrInvalidValue, "value"},
		{`{"currency":"EUR","value":null}`, "", ErrInvalidValue, "value"},
		{`{"currency":"EUR","value":true}`, "", ErrInvalidValue, "value"},
		{`{"currency":"EUR"}`, "", ErrInvalidValue, "value"},
		{`{"value":"1.00"}`, "", ErrUnknownCurrency, "currency"},
		{`{"currency":"eur","value":"1.00"}`, "", ErrUnknownCurrency, "currency"},
		{`{"currency":"XYZ","value":"1.00"}`, "", ErrUnknownCurrency, "currency"},
		{`{"currency":"EUR","value":"1.00","x":1}`, "", ErrInvalidValue, ""},
		{`"12.50"`, "", ErrInvalidValue, ""},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			var a Amount
			err := json.Unmarshal([]byte(c.in), &a)
			if c.wantErr == nil {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				if got := a.String(); got != c.want {
					t.Fatalf("got %s want %s", got, c.want)
				}
				return
			}
			if !errors.Is(err, c.wantErr) {
				t.Fatalf("got %v want %v", err, c.wantErr)
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != c.field {
				t.Fatalf("field: got %+v want %q", fe, c.field)
			}
		})
	}
}

func TestMarshalExactDigits(t *testing.T) {
	for _, c := range []struct{ cur, in, out string }{
		{"EUR", "12.5", `{"currency":"EUR","value":"12.50"}`},
		{"JPY", "1200", `{"currency":"JPY","value":"1200"}`},
		{"KWD", "1.25", `{"currency":"KWD","value":"1.250"}`},
		{"CLF", "3", `{"currency":"CLF","value":"3.0000"}`},
	} {
		b, err := json.Marshal(MustParse(c.cur, c.in))
		if err != nil || string(b) != c.out {
			t.Fatalf("%s %s: got %s, %v", c.cur, c.in, b, err)
		}
	}
}

func TestMinor(t *testing.T) {
	if got := MustParse("EUR", "120.98").Minor(); got != 12098 {
		t.Fatal(got)
	}
	if got := MustParse("JPY", "1200").Minor(); got != 1200 {
		t.Fatal(got)
	}
	a, err := FromMinor("KWD", 1250)
	if err != nil || a.String() != "1.250" {
		t.Fatal(a, err)
	}
	if _, err := FromMinor("ZZZ", 1); !errors.Is(err, ErrUnknownCurrency) {
		t.Fatal(err)
	}
	sum := MustParse("EUR", "10.00").Add(MustParse("EUR", "0.01")).Sub(MustParse("EUR", "5"))
	if sum.String() != "5.01" {
		t.Fatal(sum)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"12.50", "0", "-1", "1e3", "1000000000.00", "0.001", "abc", "9999999999999999999999.99"} {
		f.Add("EUR", s)
		f.Add("JPY", s)
	}
	f.Fuzz(func(t *testing.T, cur, raw string) {
		a, err := Parse(cur, raw)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error without field: %v", err)
			}
			return
		}
		if !a.Value.IsPositive() || a.Value.GreaterThan(Max) {
			t.Fatalf("accepted out of range %s", raw)
		}
		// Round trip: formatting then parsing again gives the same amount.
		b, err := Parse(cur, a.String())
		if err != nil || !b.Value.Equal(a.Value) {
			t.Fatalf("round trip %q -> %q: %v", raw, a.String(), err)
		}
		digits, _ := MinorUnits(cur)
		if !a.Value.Shift(digits).IsInteger() {
			t.Fatalf("more decimals than %s allows: %s", cur, raw)
		}
	})
}

func TestDisplay(t *testing.T) {
	for _, c := range []struct{ cur, v, lang, want string }{
		{"EUR", "1234.5", "en", "€1,234.50"},
		{"EUR", "1234.5", "nl", "€\u00a01.234,50"},
		{"EUR", "1234.5", "fr", "1\u202f234,50\u00a0€"},
		{"EUR", "1234567.5", "de", "1.234.567,50\u00a0€"},
		{"JPY", "1200", "en", "¥1,200"},
		{"KWD", "1.25", "en", "KWD\u00a01.250"},
		{"EUR", "12", "en", "€12.00"},
	} {
		if got := MustParse(c.cur, c.v).Display(c.lang); got != c.want {
			t.Errorf("%s %s %s: got %q want %q", c.cur, c.v, c.lang, got, c.want)
		}
	}
}
