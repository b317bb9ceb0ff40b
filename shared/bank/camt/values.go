package camt

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"
)

var (
	// amountPattern is ISO 20022's ActiveOrHistoricCurrencyAndAmount:
	// a decimal of at most 5 fraction digits (the total is checked apart).
	// (Each compiled at its first use: nothing runs at a function's start.)
	amountPattern   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9]+(\.[0-9]{1,5})?$`) })
	currencyPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Z]{3}$`) })
	// zonePattern is what may follow a date (xs:date): a time zone.
	zonePattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(Z|[+-][0-9]{2}:[0-9]{2})?$`) })
	// timePattern is what follows the date of a date-time (xs:dateTime).
	timePattern = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})?$`)
	})
)

const maxAmountDigits = 18

// parseAmount reads an amount and its currency, exactly; the amount must
// be positive.
func parseAmount(a *amtXML) (decimal.Decimal, string, error) {
	if a == nil {
		return decimal.Decimal{}, "", errMissing
	}
	ccy := strings.TrimSpace(a.Ccy)
	if ccy == "" {
		return decimal.Decimal{}, "", inElement("Ccy", errMissing)
	}
	if !currencyPattern().MatchString(ccy) {
		return decimal.Decimal{}, "", inElement("Ccy", fmt.Errorf("%q is not a currency code", clip(ccy)))
	}
	v := strings.TrimSpace(a.Value)
	if strings.HasPrefix(v, "-") {
		return decimal.Decimal{}, "", fmt.Errorf("%q is negative", clip(v))
	}
	if !amountPattern().MatchString(v) || len(v)-strings.Count(v, ".") > maxAmountDigits {
		return decimal.Decimal{}, "", fmt.Errorf("%q is not an amount (digits, a point and at most 5 decimals)", clip(v))
	}
	d, err := decimal.NewFromString(v)
	if err != nil {
		return decimal.Decimal{}, "", fmt.Errorf("%q: %w", clip(v), err)
	}
	if !d.IsPositive() {
		return decimal.Decimal{}, "", fmt.Errorf("%q is not positive", clip(v))
	}
	return d, ccy, nil
}

// parseDirection reads a CdtDbtInd: true for a credit.
func parseDirection(v string) (bool, error) {
	switch strings.TrimSpace(v) {
	case "CRDT":
		return true, nil
	case "DBIT":
		return false, nil
	case "":
		return false, errMissing
	default:
		return false, fmt.Errorf("%q is neither CRDT nor DBIT", clip(v))
	}
}

// parseBool reads an xs:boolean, false when absent.
func parseBool(v string) (bool, error) {
	switch strings.TrimSpace(v) {
	case "true", "1":
		return true, nil
	case "false", "0", "":
		return false, nil
	default:
		return false, fmt.Errorf("%q is not a boolean", clip(v))
	}
}

// parseDate reads a date or date-time as YYYY-MM-DD, the date as written
// (a booking date is the bank's, in its own time zone); "" when neither is
// given.
func parseDate(d dateXML) (string, error) {
	if v := strings.TrimSpace(d.Dt); v != "" {
		return datePart(v, zonePattern())
	}
	if v := strings.TrimSpace(d.DtTm); v != "" {
		return datePart(v, timePattern())
	}
	return "", nil
}

func datePart(v string, rest *regexp.Regexp) (string, error) {
	if len(v) < len(time.DateOnly) || !rest.MatchString(v[len(time.DateOnly):]) {
		return "", fmt.Errorf("%q is not a date", clip(v))
	}
	date := v[:len(time.DateOnly)]
	if _, err := time.Parse(time.DateOnly, date); err != nil {
		return "", fmt.Errorf("%q is not a date", clip(v))
	}
	return date, nil
}

// errMissing is a required element or attribute that is absent or empty.
var errMissing = errors.New("missing")

// elementError is an error in one element of the document (or attribute,
// or numbered transaction of an entry); its message starts with the
// element's name, as in "Amt: ..." or "TxDtls 2: Amt: ...".
type elementError struct {
	element string
	err     error
}

func (e *elementError) Error() string { return e.element + ": " + e.err.Error() }

func (e *elementError) Unwrap() error { return e.err }

func inElement(element string, err error) error { return &elementError{element: element, err: err} }

// clip shortens a value quoted in an error.
func clip(s string) string {
	const most = 40
	r := []rune(s)
	if len(r) > most {
		return string(r[:most]) + "..."
	}
	return s
}
