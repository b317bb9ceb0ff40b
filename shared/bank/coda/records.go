package coda

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/paylinks/paylinks/shared/bank"
	"github.com/paylinks/paylinks/shared/validate"
)

// header reads the header record 0:
//
//	1 "0" | 2-5 zeros | 6-11 creation date DDMMYY | 12-14 bank identification
//	15-16 application code "05" | 17 duplicate "D" or blank | 25-34 file reference
//	35-60 addressee | 61-71 BIC | 72-82 company number | 84-88 separate application
//	89-104 transaction reference | 105-120 related reference | 128 version code "2"
func (rd *reader) header(x rec) error {
	if rd.state != wantHeader {
		return rd.outOfOrder(x, "header record 0")
	}
	if v := x.char(128); v != '2' {
		return x.fail("version code", 128, 128, "%q, want \"2\" (CODA 2.x)", v)
	}
	if app := x.at(15, 16); app != "05" {
		return x.fail("application code", 15, 16, "%q, want \"05\"", app)
	}
	created, err := date(x, "creation date", 6, false)
	if err != nil {
		return err
	}
	rd.created = created
	rd.state = wantOldBalance
	return nil
}

// oldBalance reads the old balance record 1:
//
//	1 "1" | 2 account structure (0 Belgian account number, 1 foreign account
//	number, 2 IBAN of a Belgian account, 3 IBAN of a foreign account)
//	3-5 paper statement number | 6-42 account number and currency (see account)
//	43 sign (0 credit, 1 debit) | 44-58 old balance, 12 + 3 decimals
//	59-64 old balance date DDMMYY | 65-90 holder name | 91-125 account description
//	126-128 sequence number of the coded statement
func (rd *reader) oldBalance(x rec) error {
	if rd.state != wantOldBalance {
		return rd.outOfOrder(x, "old balance record 1")
	}
	structure := x.char(2)
	acct, ccy, err := account(x, structure, 6)
	if err != nil {
		return err
	}
	bal, err := balance(x, "old balance", 43)
	if err != nil {
		return err
	}
	if _, err := date(x, "old balance date", 59, false); err != nil {
		return err
	}
	seq := x.at(126, 128)
	if !digits(seq) {
		return x.fail("sequence number", 126, 128, "%q is not 3 digits", seq)
	}
	rd.st = statement{account: acct, currency: ccy, structure: structure, oldBalance: bal, records: 1}
	rd.cur = nil
	if rd.statements == 0 {
		rd.file.MessageID = rd.created + "/" + seq
	}
	rd.addAccount(acct)
	rd.state = inMovements
	return nil
}

// newBalanceRecord reads the new balance record 8, after the last
// movement is visited:
//
//	1 "8" | 2-4 paper statement number | 5-41 account number and currency
//	42 sign | 43-57 new balance, 12 + 3 decimals | 58-63 new balance date
//	128 link code (1: free communications 4 follow)
//
// The account must be the old balance's, and the new balance the old one
// plus the credits less the debits of the movements (those of detail
// number 0000: a total's details are in its amount).
func (rd *reader) newBalanceRecord(x rec) error {
	if rd.state != inMovements {
		return rd.outOfOrder(x, "new balance record 8")
	}
	if rd.cur != nil {
		if err := rd.emit(rd.cur); err != nil {
			return err
		}
		rd.cur = nil
	}
	st := &rd.st
	st.records++
	acct, _, err := account(x, st.structure, 5)
	if err != nil {
		return err
	}
	if acct != st.account {
		return x.fail("account number", 5, 41, "%s is not the old balance's account", mask(acct))
	}
	bal, err := balance(x, "new balance", 42)
	if err != nil {
		return err
	}
	if _, err := date(x, "new balance date", 58, false); err != nil {
		return err
	}
	if want := st.oldBalance.Add(st.credit).Sub(st.debit); !bal.Equal(want) {
		return x.fail("new balance", 42, 57, "%s, but the old balance %s plus credits %s less debits %s is %s",
			bal, st.oldBalance, st.credit, st.debit, want)
	}
	st.newBalance = bal
	rd.state = afterBalance
	return nil
}

// trailer reads the trailer record 9, which ends a statement:
//
//	1 "9" | 17-22 number of records 1, 2.x, 3.x and 8 | 23-37 debit movements
//	38-52 credit movements (both 12 + 3 decimals: the sums of the movements of
//	detail number 0000) | 128 multiple file code (1 another file follows, 2 last)
func (rd *reader) trailer(x rec) error {
	if rd.state != afterBalance {
		return rd.outOfOrder(x, "trailer record 9")
	}
	st := &rd.st
	n := x.at(17, 22)
	if count, err := strconv.Atoi(n); err != nil || !digits(n) {
		return x.fail("number of records", 17, 22, "%q is not 6 digits", n)
	} else if count != st.records {
		return x.fail("number of records", 17, 22, "%d, but the statement has %d records 1, 2.x, 3.x and 8", count, st.records)
	}
	debit, err := amount(x, "debit movements", 23)
	if err != nil {
		return err
	}
	if !debit.Equal(st.debit) {
		return x.fail("debit movements", 23, 37, "%s, but the movements' debits sum to %s", debit, st.debit)
	}
	credit, err := amount(x, "credit movements", 38)
	if err != nil {
		return err
	}
	if !credit.Equal(st.credit) {
		return x.fail("credit movements", 38, 52, "%s, but the movements' credits sum to %s", credit, st.credit)
	}
	rd.statements++
	rd.state = wantHeader
	return nil
}

// account reads an account number and currency zone of 37 characters from
// position p (6 in record 1, 5 in record 8), by the account structure:
//
//	0: 12 Belgian account number, blank, 3 currency, qualification, country, ...
//	1: 34 foreign account number, 3 currency
//	2: 31 IBAN of a Belgian account, 3 extension zone, 3 currency
//	3: 34 IBAN of a foreign account, 3 currency
func account(x rec, structure rune, p int) (acct, ccy string, err error) {
	field := "account number"
	switch structure {
	case '0':
		acct, ccy = x.at(p, p+11), x.at(p+13, p+15)
		if !digits(acct) {
			return "", "", x.fail(field, p, p+11, "a Belgian account number of 12 digits, not %q", mask(acct))
		}
	case '1':
		acct, ccy = strings.TrimSpace(x.at(p, p+33)), x.at(p+34, p+36)
		if acct == "" {
			return "", "", x.fail(field, p, p+33, "blank")
		}
	case '2', '3':
		end := p + 33
		if structure == '2' {
			end = p + 30
		}
		acct, ccy = bank.NormalizeAccount(x.at(p, end)), x.at(p+34, p+36)
		if !validate.IBAN(acct) || strings.Contains(strings.TrimSpace(x.at(p, end)), " ") || (structure == '2') != strings.HasPrefix(acct, "BE") {
			return "", "", x.fail(field, p, end, "%q is not the IBAN of a %s account", mask(acct), map[bool]string{true: "Belgian", false: "foreign"}[structure == '2'])
		}
	default:
		return "", "", x.fail("account structure", 2, 2, "%q, want 0, 1, 2 or 3", structure)
	}
	if !currencyCode(ccy) {
		return "", "", x.fail("currency code", p+34, p+36, "%q is not an ISO 4217 code", ccy)
	}
	return acct, ccy, nil
}

// mask shows an account number by its country and last four characters
// only: errors end up in logs, which never carry a full account number.
func mask(acct string) string {
	if len(acct) <= 6 {
		return strings.Repeat("*", len(acct))
	}
	return acct[:2] + strings.Repeat("*", len(acct)-6) + acct[len(acct)-4:]
}

// balance reads a sign (at p: 0 credit, 1 debit) and the 15 digits after it.
func balance(x rec, field string, p int) (decimal.Decimal, error) {
	v, err := amount(x, field, p+1)
	if err != nil {
		return decimal.Decimal{}, err
	}
	switch x.char(p) {
	case '0':
		return v, nil
	case '1':
		return v.Neg(), nil
	}
	return decimal.Decimal{}, x.fail(field+" sign", p, p, "%q, want 0 (credit) or 1 (debit)", x.char(p))
}

// amount reads 15 digits from p: 12 units and 3 decimals.
func amount(x rec, field string, p int) (decimal.Decimal, error) {
	s := x.at(p, p+14)
	if !digits(s) {
		return decimal.Decimal{}, x.fail(field, p, p+14, "%q is not 15 digits", s)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return decimal.Decimal{}, x.fail(field, p, p+14, "%v", err)
	}
	return decimal.New(n, -3), nil
}

// date reads a date DDMMYY at p as YYYY-MM-DD (years 2000 to 2099); a
// zero date "000000" is "" when unknown is allowed.
func date(x rec, field string, p int, unknown bool) (string, error) {
	s := x.at(p, p+5)
	if unknown && s == "000000" {
		return "", nil
	}
	if !digits(s) {
		return "", x.fail(field, p, p+5, "%q is not a date DDMMYY", s)
	}
	t, err := time.Parse("020106", s)
	if err != nil || t.Format("020106") != s {
		return "", x.fail(field, p, p+5, "%q is not a date DDMMYY", s)
	}
	return fmt.Sprintf("20%s-%s-%s", s[4:6], s[2:4], s[0:2]), nil
}

// digits reports a non-empty string of ASCII digits only.
func digits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// currencyCode reports three upper-case ASCII letters.
func currencyCode(s string) bool {
	if len(s) != 3 {
		return false
	}
	for _, c := range s {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}
