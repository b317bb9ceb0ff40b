package coda

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/paylinks/paylinks/shared/bank"
	"github.com/paylinks/paylinks/shared/validate"
)

// movement is one movement being read: its 2.1 record, what its 2.2 and
// 2.3 add, and the free text of its information records 3.x.
type movement struct {
	line        int // the 2.1's
	seq, detail int
	ref         string
	credit      bool
	amount      decimal.Decimal
	valueOn     string
	bookedOn    string
	code        string // transaction code: type, family (2), transaction (2), category (3)
	structured  bool
	reference   string          // the OGM's 12 digits, for structured communication 101 or 102
	comm        strings.Builder // the free communication's zones, as written
	endToEnd    string
	bic         string
	rType       rune // 2.2's R-transaction type, ' ' when none
	iban, name  string
	info        []string // the free information records' texts
	infoLen     int      // their length, in bytes, with a separator each
	infoText    strings.Builder
	infoFree    bool // the information record being read is free text
	infoDetail  string
}

// parse21 reads a movement record 2.1:
//
//	1-2 "21" | 3-6 continuous sequence number | 7-10 detail number
//	11-31 bank reference | 32 sign (0 credit, 1 debit) | 33-47 amount, 12 + 3 decimals
//	48-53 value date DDMMYY or 000000 | 54-61 transaction code: 54 type,
//	55-56 family, 57-58 transaction, 59-61 category | 62 communication type
//	(0 free, 1 structured) | 63-115 communication: free text, or 63-65 the
//	structured communication's type and 66-115 its content (101 and 102: the
//	Belgian structured communication's 12 digits in 66-77) | 116-121 entry date
//	122-124 paper statement number | 125 globalisation code | 126 next code
//	128 link code
func parse21(x rec) (*movement, error) {
	m := &movement{line: x.line, rType: ' '}
	var err error
	if m.seq, m.detail, err = numbers(x); err != nil {
		return nil, err
	}
	m.ref = strings.TrimSpace(x.at(11, 31))
	switch x.char(32) {
	case '0':
		m.credit = true
	case '1':
	default:
		return nil, x.fail("movement sign", 32, 32, "%q, want 0 (credit) or 1 (debit)", x.char(32))
	}
	if m.amount, err = amount(x, "amount", 33); err != nil {
		return nil, err
	}
	if m.valueOn, err = date(x, "value date", 48, true); err != nil {
		return nil, err
	}
	if m.code, err = transactionCode(x, 54); err != nil {
		return nil, err
	}
	if err := m.communication(x); err != nil {
		return nil, err
	}
	if m.bookedOn, err = date(x, "entry date", 116, false); err != nil {
		return nil, err
	}
	return m, nil
}

// numbers reads a 2.x or 3.x record's continuous sequence number (3-6) and
// detail number (7-10).
func numbers(x rec) (seq, detail int, err error) {
	s, d := x.at(3, 6), x.at(7, 10)
	if !digits(s) {
		return 0, 0, x.fail("continuous sequence number", 3, 6, "%q is not 4 digits", s)
	}
	if !digits(d) {
		return 0, 0, x.fail("detail number", 7, 10, "%q is not 4 digits", d)
	}
	seq, _ = strconv.Atoi(s)
	detail, _ = strconv.Atoi(d)
	return seq, detail, nil
}

// transactionCode reads the 8 digits of a transaction code at p; its type
// is one of 0, 1, 2, 3, 5, 6, 7, 8, 9 (Annex II).
func transactionCode(x rec, p int) (string, error) {
	c := x.at(p, p+7)
	if !digits(c) || c[0] == '4' {
		return "", x.fail("transaction code", p, p+7, "%q is not a type (0-3, 5-9), family, transaction and category", c)
	}
	return c, nil
}

// communication reads the 2.1's communication type (62) and zone (63-115).
func (m *movement) communication(x rec) error {
	switch x.char(62) {
	case '0':
		m.comm.WriteString(x.at(63, 115))
	case '1':
		m.structured = true
		typ := x.at(63, 65)
		if !digits(typ) {
			return x.fail("structured communication type", 63, 65, "%q is not 3 digits", typ)
		}
		if typ == "101" || typ == "102" {
			ogm := x.at(66, 77)
			if !digits(ogm) || strings.TrimSpace(x.at(78, 115)) != "" {
				return x.fail("structured communication "+typ, 66, 115, "%q is not the 12 digits of a Belgian structured communication", strings.TrimSpace(x.at(66, 115)))
			}
			m.reference = ogm
		}
	default:
		return x.fail("communication type", 62, 62, "%q, want 0 (free) or 1 (structured)", x.char(62))
	}
	return nil
}

// add reads a 2.2, 2.3, 3.1, 3.2 or 3.3 record of the movement, after the
// record last (of the same movement).
func (m *movement) add(x rec, k kind, last kind) error {
	seq, detail, err := numbers(x)
	if err != nil {
		return err
	}
	if seq != m.seq {
		return x.fail("continuous sequence number", 3, 6, "%04d in a record %d.%d of the movement %04d", seq, k/10, k%10, m.seq)
	}
	if err := follows(x, k, last); err != nil {
		return err
	}
	switch k {
	case 22, 23:
		if detail != m.detail {
			return x.fail("detail number", 7, 10, "%04d in a record %d.%d of the movement %04d %04d", detail, k/10, k%10, m.seq, m.detail)
		}
		if k == 22 {
			m.add22(x)
		} else {
			m.add23(x)
		}
	case 31:
		m.closeInfo()
		return m.add31(x)
	default: // 32, 33
		if d := x.at(7, 10); d != m.infoDetail {
			return x.fail("detail number", 7, 10, "%s in a record %d.%d continuing the information record %s", d, k/10, k%10, m.infoDetail)
		}
		m.addInfo(x, k)
	}
	return nil
}

// follows checks record k may come after record last within a movement:
// 2.2 after 2.1; 2.3 after 2.1 or 2.2; 3.1 after any; 3.2 after 3.1; 3.3
// after 3.1 or 3.2.
func follows(x rec, k, last kind) error {
	ok := map[kind]bool{
		22: last == 21,
		23: last == 21 || last == 22,
		31: true,
		32: last == 31,
		33: last == 31 || last == 32,
	}[k]
	if !ok {
		return &Error{Line: x.line, Field: "record identification (pos 1-2)", Msg: fmt.Sprintf("record %d.%d after a record %d.%d", k/10, k%10, last/10, last%10)}
	}
	return nil
}

// add22 reads a movement record 2.2:
//
//	1-2 "22" | 3-6 sequence | 7-10 detail | 11-63 communication (continued)
//	64-98 customer reference (a SEPA transfer's end-to-end id) | 99-109 the
//	counterparty's BIC | 113 R-transaction type (1 reject, 2 return, 3 refund,
//	4 reversal, 5 cancellation) | 114-117 ISO reason | 118-121 category purpose
//	122-125 purpose | 126 next code | 128 link code
func (m *movement) add22(x rec) {
	if !m.structured {
		m.comm.WriteString(x.at(11, 63))
	}
	if e2e := strings.TrimSpace(x.at(64, 98)); e2e != "NOTPROVIDED" {
		m.endToEnd = e2e
	}
	m.bic = strings.TrimSpace(x.at(99, 109))
	m.rType = x.char(113)
}

// add23 reads a movement record 2.3:
//
//	1-2 "23" | 3-6 sequence | 7-10 detail | 11-47 the counterparty's account
//	number and currency (an IBAN, or 12 digits of a Belgian account number,
//	then the currency) | 48-82 the counterparty's name | 83-125 communication
//	(continued) | 126 next code "0" | 128 link code
//
// The counterparty's IBAN is kept when the account is one (valid by its
// check digits): an account number that is not is no IBAN to pay back to.
func (m *movement) add23(x rec) {
	if f := strings.Fields(x.at(11, 47)); len(f) > 0 && validate.IBAN(bank.NormalizeAccount(f[0])) {
		m.iban = bank.NormalizeAccount(f[0])
	}
	m.name = strings.TrimSpace(x.at(48, 82))
	if !m.structured {
		m.comm.WriteString(x.at(83, 125))
	}
}

// add31 starts an information record 3.1:
//
//	1-2 "31" | 3-6 sequence | 7-10 detail | 11-31 bank reference
//	32-39 transaction code | 40 communication type (0 free, 1 structured)
//	41-113 communication (structured: 41-43 its type, 44-113 its content)
//	126 next code | 128 link code
//
// Only free information text is read; structured information (the
// counterparty's address, details of a card payment, ...) is not remittance.
func (m *movement) add31(x rec) error {
	if _, err := transactionCode(x, 32); err != nil {
		return err
	}
	switch x.char(40) {
	case '0':
		m.infoFree = true
		m.infoText.WriteString(x.at(41, 113))
	case '1':
		m.infoFree = false
	default:
		return x.fail("communication type", 40, 40, "%q, want 0 (free) or 1 (structured)", x.char(40))
	}
	m.infoDetail = x.at(7, 10)
	return nil
}

// addInfo reads an information record 3.2 (11-115 communication continued,
// 126 next code, 128 link code) or 3.3 (11-100 communication continued,
// 126 next code "0", 128 link code).
func (m *movement) addInfo(x rec, k kind) {
	if !m.infoFree {
		return
	}
	if k == 32 {
		m.infoText.WriteString(x.at(11, 115))
	} else {
		m.infoText.WriteString(x.at(11, 100))
	}
}

// maxInfo bounds the information text kept of one movement, in bytes: a
// movement may have any number of information records, and the reader
// keeps a bounded memory. Text past it is not read into the entry.
const maxInfo = 4096

// closeInfo ends the information record being read.
func (m *movement) closeInfo() {
	if t := collapse(m.infoText.String()); t != "" && m.infoLen+len(t) <= maxInfo {
		m.info = append(m.info, t)
		m.infoLen += len(t) + 1
	}
	m.infoText.Reset()
	m.infoFree = false
}

// entry is the movement as an entry of the statement st.
func (m *movement) entry(st *statement) bank.Entry {
	m.closeInfo()
	text := m.info
	if c := collapse(m.comm.String()); c != "" {
		text = append([]string{c}, text...)
	}
	return bank.Entry{
		Account:    st.account,
		Currency:   st.currency,
		Amount:     m.amount,
		Credit:     m.credit,
		Booked:     true,
		Reversal:   reversal(m.code, m.rType),
		BookedOn:   m.bookedOn,
		ValueOn:    m.valueOn,
		EntryRef:   m.ref,
		Batch:      m.detail,
		Reference:  m.reference,
		Remittance: bank.KeepRawReference(m.reference, strings.Join(text, " ")),
		EndToEndID: m.endToEnd,
		Party:      bank.Party{Name: m.name, IBAN: m.iban, BIC: m.bic},
	}
}

// reversal reports a reversal by the transaction code (type, family 2,
// transaction 2, category 3) and the 2.2's R-transaction type: transaction
// 49 or 99 ("cancellation or correction", in every family), family 05
// transaction 58 (direct debit "reversal"), or R-transaction type 4.
func reversal(code string, rType rune) bool {
	family, transaction := code[1:3], code[3:5]
	return transaction == "49" || transaction == "99" || (family == "05" && transaction == "58") || rType == '4'
}

// collapse is a text written over fixed-width zones as one line: runs of
// spaces (the zones' padding) made one, and no space at either end.
func collapse(s string) string { return strings.Join(strings.Fields(s), " ") }
