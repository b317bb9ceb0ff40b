// Package epc makes the EPC QR code of a SEPA credit transfer: the code a
// payer's banking app scans to fill in a transfer to the beneficiary (the
// European Payments Council's EPC069-12 "Quick Response Code: Guidelines
// to Enable Data Capture for the Initiation of a SEPA Credit Transfer",
// also sold as "GiroCode"). Pure functions, no I/O; rendering the code to
// an image is the caller's.
//
// Facts of the guidelines used here, as summarised by the public
// documentation of EPC QR encoders (the postscriptbarcode wiki's "EPC QR
// Code" page, segno's "EPC QR Codes", the DEV Community article "How to
// generate an EPC payment QR code"):
//   - the payload is up to 12 elements separated by line feeds (LF, or
//     CR LF), in a fixed order, with nothing after the last element given;
//   - 1 service tag "BCD"; 2 version "001" or "002"; 3 character set, "1"
//     for UTF-8; 4 identification "SCT"; 5 the BIC of the beneficiary's
//     bank, 8 or 11 characters, which version 002 lets be empty within the
//     EEA; 6 the beneficiary's name, at most 70 characters; 7 the IBAN;
//     8 "EUR" and the amount, 0.01 to 999999999.99, a dot and at most two
//     decimals; 9 a purpose code of at most 4 characters; 10 a structured
//     creditor reference of at most 35 characters (such as an ISO 11649
//     RF reference) or 11 unstructured remittance text of at most 140
//     characters, not both; 12 beneficiary-to-originator information, at
//     most 70 characters, shown to the payer;
//   - the code is a QR code at error correction level M of version 13 at
//     most, whose byte capacity at level M is 331 bytes (ISO/IEC 18004),
//     the payload's limit.
package epc

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/qr"
	"github.com/shopspring/decimal"

	"github.com/paylinks/paylinks/shared/bank/reference"
	"github.com/paylinks/paylinks/shared/validate"
)

// MaxPayload is the largest payload in bytes: what a version 13 QR code
// holds at level M.
const MaxPayload = 331

// Element limits of the guidelines, in characters.
const (
	maxName        = 70
	maxText        = 140
	maxInformation = 70
)

// Amounts: from a cent to the guidelines' largest, in cents.
const decimals = 2

var (
	minAmount = decimal.New(1, -decimals)           // 0.01
	maxAmount = decimal.New(99999999999, -decimals) // 999999999.99
)

// Payment is a SEPA credit transfer to a beneficiary, in euros.
type Payment struct {
	// BIC of the beneficiary's bank: 8 or 11 characters (ISO 9362), or
	// "" (version 002 makes it optional within the EEA).
	BIC string
	// Name of the beneficiary: 1 to 70 characters.
	Name string
	// IBAN of the beneficiary's account, with or without the print form's
	// spaces; written without them.
	IBAN string
	// Currency must be "EUR": the SEPA credit transfer is in euros.
	Currency string
	// Amount in euros, 0.01 to 999999999.99, at most 2 decimals.
	Amount decimal.Decimal
	// Reference is the structured creditor reference, an ISO 11649 RF or
	// a Belgian structured communication, in any written form; the code
	// carries its electronic form. "" for none.
	Reference string
	// Text is unstructured remittance information, at most 140
	// characters; only without a Reference.
	Text string
	// Information is beneficiary-to-originator information shown to the
	// payer, at most 70 characters; "" for none.
	Information string
}

// FieldError is an invalid payment: the field ("bic", "name", "iban",
// "currency", "amount", "reference", "text", "information", or "payload"
// for the whole) and why. It never carries the field's value.
type FieldError struct {
	Field  string
	Reason string
	Err    error // the underlying error, if any
}

func (e *FieldError) Error() string {
	return "epc qr code: " + e.Field + ": " + e.Reason
}

func (e *FieldError) Unwrap() error { return e.Err }

// Payload is the payment's EPC QR payload: version 002, UTF-8, the
// elements separated by LF, the purpose empty, nothing after the last
// element given (the reference, the text or the information; the amount
// when there is none of them).
func Payload(p Payment) (string, error) {
	iban, err := checkParties(p)
	if err != nil {
		return "", err
	}
	amount, err := checkAmount(p)
	if err != nil {
		return "", err
	}
	ref, err := checkRemittance(p)
	if err != nil {
		return "", err
	}
	lines := []string{
		"BCD",          // service tag
		"002",          // version
		"1",            // character set: UTF-8
		"SCT",          // identification: SEPA credit transfer
		p.BIC,          // BIC
		p.Name,         // beneficiary
		iban,           // IBAN
		"EUR" + amount, // amount
		"",             // purpose
		ref,            // structured creditor reference
		p.Text,         // unstructured remittance information
		p.Information,  // beneficiary to originator information
	}
	for lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	payload := strings.Join(lines, "\n")
	if len(payload) > MaxPayload {
		return "", &FieldError{Field: "payload", Reason: fmt.Sprintf("%d bytes, more than the %d a version 13 QR code holds at level M", len(payload), MaxPayload)}
	}
	return payload, nil
}

// Encode is the payment's EPC QR code: Payload in byte mode at error
// correction level M. The payload's limit keeps it within version 13.
func Encode(p Payment) (barcode.Barcode, error) {
	payload, err := Payload(p)
	if err != nil {
		return nil, err
	}
	code, err := qr.Encode(payload, qr.M, qr.Unicode)
	if err != nil {
		return nil, fmt.Errorf("epc qr code: encoding %d bytes: %w", len(payload), err)
	}
	return code, nil
}

// checkParties checks the BIC, the name and the IBAN, and returns the
// IBAN's electronic form.
func checkParties(p Payment) (string, error) {
	if p.BIC != "" && !validate.BIC(p.BIC) {
		return "", &FieldError{Field: "bic", Reason: "must be 8 or 11 characters of an ISO 9362 BIC, in upper case"}
	}
	if err := checkText("name", p.Name, maxName); err != nil {
		return "", err
	}
	iban := strings.ReplaceAll(p.IBAN, " ", "")
	if iban == "" {
		return "", &FieldError{Field: "iban", Reason: "is required"}
	}
	if !validate.IBAN(iban) {
		return "", &FieldError{Field: "iban", Reason: "is not an IBAN (upper case, ISO 13616 mod-97 check digits)"}
	}
	return iban, nil
}

// checkAmount checks the currency and the amount, and returns the amount
// with a dot and two decimals.
func checkAmount(p Payment) (string, error) {
	if p.Currency != "EUR" {
		return "", &FieldError{Field: "currency", Reason: "must be EUR: a SEPA credit transfer is in euros"}
	}
	a := p.Amount
	if !a.Equal(a.Round(decimals)) {
		return "", &FieldError{Field: "amount", Reason: "has more than 2 decimals"}
	}
	if a.LessThan(minAmount) || a.GreaterThan(maxAmount) {
		return "", &FieldError{Field: "amount", Reason: "must be from 0.01 to 999999999.99"}
	}
	return a.StringFixed(decimals), nil
}

// checkRemittance checks the reference, the text and the information, and
// returns the reference's electronic form.
func checkRemittance(p Payment) (string, error) {
	var ref string
	if p.Reference != "" {
		r, _, err := reference.Check(p.Reference)
		if err != nil {
			return "", &FieldError{Field: "reference", Reason: "is neither an ISO 11649 creditor reference nor a Belgian structured communication with valid check digits", Err: err}
		}
		ref = r
	}
	if p.Text != "" {
		if ref != "" {
			return "", &FieldError{Field: "text", Reason: "must be empty when a structured reference is given"}
		}
		if err := checkText("text", p.Text, maxText); err != nil {
			return "", err
		}
	}
	if p.Information != "" {
		if err := checkText("information", p.Information, maxInformation); err != nil {
			return "", err
		}
	}
	return ref, nil
}

// checkText checks a text element: 1 to max characters of UTF-8 that a
// payer can read (validate.PayerText: no control characters, so no line
// breaks, no bidirectional overrides, not blank), and no Unicode line or
// paragraph separator either, so that no element can spill into another
// line.
func checkText(field, s string, max int) error {
	if s == "" {
		return &FieldError{Field: field, Reason: "is required"}
	}
	if !validate.PayerText(s, max) || strings.ContainsFunc(s, func(r rune) bool { return unicode.In(r, unicode.Zl, unicode.Zp) }) {
		return &FieldError{Field: field, Reason: fmt.Sprintf("must be 1 to %d visible characters of UTF-8 on one line", max)}
	}
	return nil
}
