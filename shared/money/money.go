package money

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/shopspring/decimal"
)

// Sentinel errors; each FieldError wraps one of them.
var (
	ErrUnknownCurrency = errors.New("unknown currency")
	ErrInvalidValue    = errors.New("invalid amount value")
	ErrTooManyDecimals = errors.New("too many decimals for currency")
	ErrNotPositive     = errors.New("amount must be greater than zero")
	ErrTooLarge        = errors.New("amount above the maximum")
)

// Max is the largest amount accepted, in major units.
var Max = decimal.RequireFromString("1000000000.00")

// plain decimal: optional minus, digits, optional fraction. No exponent, no
// leading plus, no leading dot, no thousands separators.
var plainDecimal = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?$`) })

// Amount is an exact amount of money in one currency.
type Amount struct {
	Currency string
	Value    decimal.Decimal
}

// FieldError names the sub-field ("currency" or "value") a problem is about.
type FieldError struct {
	Field string
	Err   error
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }
func (e *FieldError) Unwrap() error { return e.Err }

// Parse reads a value in the given currency. raw is the decimal text.
func Parse(currency, raw string) (Amount, error) {
	digits, ok := MinorUnits(currency)
	if !ok {
		return Amount{}, &FieldError{"currency", ErrUnknownCurrency, fmt.Sprintf("%q is not an ISO 4217 currency code", currency)}
	}
	if len(raw) > 40 || !plainDecimal().MatchString(raw) {
		return Amount{}, &FieldError{"value", ErrInvalidValue, "must be a plain decimal such as \"12.50\""}
	}
	v, err := decimal.NewFromString(raw)
	if err != nil {
		return Amount{}, &FieldError{"value", ErrInvalidValue, "must be a plain decimal such as \"12.50\""}
	}
	if -v.Exponent() > digits {
		return Amount{}, &FieldError{"value", ErrTooManyDecimals, fmt.Sprintf("%s allows at most %d decimals", currency, digits)}
	}
	if !v.IsPositive() {
		return Amount{}, &FieldError{"value", ErrNotPositive, "must be greater than zero"}
	}
	if v.GreaterThan(Max) {
		return Amount{}, &FieldError{"value", ErrTooLarge, "must be at most 1000000000.00"}
	}
	return Amount{Currency: currency, Value: v}, nil
}

// MaxMinorDigits is the most decimals any currency has (CLF).
const MaxMinorDigits = 4

// ParseBound reads a bound of an amount filter (amount_min, amount_max): a
// plain decimal from 0 to Max with at most MaxMinorDigits decimals, so
// that every bound is a number an amount can be and the store can hold.
func ParseBound(raw string) (decimal.Decimal, error) {
	if len(raw) > 40 || !plainDecimal().MatchString(raw) || strings.HasPrefix(raw, "-") {
		return decimal.Decimal{}, fmt.Errorf("%w: not a plain non-negative decimal", ErrInvalidValue)
	}
	v, err := decimal.NewFromString(raw)
	if err != nil {
		return decimal.Decimal{}, fmt.Errorf("%w: %w", ErrInvalidValue, err)
	}
	if -v.Exponent() > MaxMinorDigits {
		return decimal.Decimal{}, ErrTooManyDecimals
	}
	if v.GreaterThan(Max) {
		return decimal.Decimal{}, ErrTooLarge
	}
	return v, nil
}

// MustParse is Parse for constants in tests and seeds.
func MustParse(currency, raw string) Amount {
	a, err := Parse(currency, raw)
	if err != nil {
		panic(err)
	}
	return a
}

// Zero is a zero amount of the currency (used for running totals such as
// amount_refunded; Parse never yields it).
func Zero(currency string) Amount { return Amount{Currency: currency, Value: decimal.Zero} }

// String formats the value with exactly the currency's minor digits.
func (a Amount) String() string {
	d, _ := MinorUnits(a.Currency)
	return a.Value.StringFixed(d)
}

// Minor returns the amount in minor units (cents), as PSPs want it.
func (a Amount) Minor() int64 {
	d, _ := MinorUnits(a.Currency)
	return a.Value.Shift(d).IntPart()
}

// FromMinor builds an amount from minor units.
func FromMinor(currency string, minor int64) (Amount, error) {
	d, ok := MinorUnits(currency)
	if !ok {
		return Amount{}, &FieldError{"currency", ErrUnknownCurrency, fmt.Sprintf("%q is not an ISO 4217 currency code", currency)}
	}
	return Amount{Currency: currency, Value: decimal.New(minor, -d)}, nil
}

// Add adds b to a; both must share the currency.
func (a Amount) Add(b Amount) Amount { return Amount{a.Currency, a.Value.Add(b.Value)} }

// Sub subtracts b from a.
func (a Amount) Sub(b Amount) Amount { return Amount{a.Currency, a.Value.Sub(b.Value)} }

// IsZero reports a zero value.
func (a Amount) IsZero() bool { return a.Value.IsZero() }

type wire struct {
	Currency string `json:"currency"`
	Value    string `json:"value"`
}

// MarshalJSON writes {"currency","value"} with exact minor digits.
func (a Amount) MarshalJSON() ([]byte, error) {
	return json.Marshal(wire{a.Currency, a.String()})
}

// UnmarshalJSON reads {"currency","value"} where value is a string or a JSON
// number, read exactly (never through float64). Unknown fields are refused.
func (a *Amount) UnmarshalJSON(b []byte) error {
	var in struct {
		Currency *string         `json:"currency"`
		Value    json.RawMessage `json:"value"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(&in); err != nil {
		return &FieldError{"", ErrInvalidValue, "must be an object {\"currency\", \"value\"}"}
	}
	if in.Currency == nil {
		return &FieldError{"currency", ErrUnknownCurrency, "is required"}
	}
	raw, err := rawValue(in.Value)
	if err != nil {
		return err
	}
	v, err := Parse(*in.Currency, raw)
	if err != nil {
		return err
	}
	*a = v
	return nil
}

func rawValue(v json.RawMessage) (string, error) {
	v = bytes.TrimSpace(v)
	if len(v) == 0 || string(v) == "null" {
		return "", &FieldError{"value", ErrInvalidValue, "is required"}
	}
	if v[0] == '"' {
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return "", &FieldError{"value", ErrInvalidValue, "must be a decimal string"}
		}
		return s, nil
	}
	if v[0] == '-' || (v[0] >= '0' && v[0] <= '9') {
		return string(v), nil // exact JSON number text; Parse refuses exponents
	}
	return "", &FieldError{"value", ErrInvalidValue, "must be a decimal string or number"}
}
