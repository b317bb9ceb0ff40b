package coda

import (
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/paylinks/paylinks/shared/bank"
)

// state is where the reader is in the order 0, 1, (2.x, 3.x)*, 8, 4*, 9.
type state int

const (
	wantHeader     state = iota // before a statement: a header record 0
	wantOldBalance              // after 0: the old balance 1
	inMovements                 // after 1: movements 2.x, information 3.x, or the new balance 8
	afterBalance                // after 8: free communications 4, or the trailer 9
)

// kind is a record's identification and article code: 21 for 2.1.
type kind int

// reader is the state of one Read.
type reader struct {
	visit      func(bank.Entry) error
	file       bank.File
	seen       map[string]bool // accounts already in file.Accounts
	line       int
	state      state
	statements int
	created    string // the header's creation date, YYYY-MM-DD
	st         statement
	cur        *movement // the movement being read, not yet visited
}

// statement is what one 0...9 group holds for its checks.
type statement struct {
	account, currency string
	structure         rune // old balance position 2
	oldBalance        decimal.Decimal
	credit, debit     decimal.Decimal // sums of the movements of detail number 0000
	records           int             // records 1, 2.x, 3.x and 8, as the trailer counts them
	newBalance        decimal.Decimal
	last              kind // the last movement or information record read
	seq, detail       int  // the last 2.1's continuous sequence and detail numbers
	movements         int
}

// record reads one record in its place.
func (rd *reader) record(x rec) error {
	id, article := x.char(1), x.char(2)
	switch {
	case id == '0':
		return rd.header(x)
	case id == '1':
		return rd.oldBalance(x)
	case (id == '2' || id == '3') && article >= '1' && article <= '3':
		if rd.state != inMovements {
			return rd.outOfOrder(x, fmt.Sprintf("record %c.%c", id, article))
		}
		rd.st.records++
		return rd.movementRecord(x, kind((id-'0')*10+(article-'0')))
	case id == '8':
		return rd.newBalanceRecord(x)
	case id == '4':
		if rd.state != afterBalance {
			return rd.outOfOrder(x, "free communication record 4")
		}
		return nil
	case id == '9':
		return rd.trailer(x)
	}
	return x.fail("record identification", 1, 2, "unknown record type %q", x.at(1, 2))
}

// outOfOrder is the error of a record where the order has no place for it.
func (rd *reader) outOfOrder(x rec, what string) error {
	want := map[state]string{
		wantHeader:     "a header record 0",
		wantOldBalance: "an old balance record 1",
		inMovements:    "a movement 2.x, an information record 3.x or the new balance 8",
		afterBalance:   "a free communication 4 or the trailer 9",
	}[rd.state]
	return &Error{Line: x.line, Field: "record identification (pos 1-2)", Msg: fmt.Sprintf("%s out of order: want %s", what, want)}
}

// movementRecord reads a 2.x or 3.x record in the current statement.
func (rd *reader) movementRecord(x rec, k kind) error {
	if k == 21 {
		m, err := parse21(x)
		if err != nil {
			return err
		}
		if err := rd.nextMovement(x, m); err != nil {
			return err
		}
		rd.st.last = k
		return nil
	}
	if rd.cur == nil {
		return rd.outOfOrder(x, fmt.Sprintf("record %d.%d before any movement 2.1", k/10, k%10))
	}
	if err := rd.cur.add(x, k, rd.st.last); err != nil {
		return err
	}
	rd.st.last = k
	return nil
}

// nextMovement takes the 2.1 of a new movement: it checks its numbers
// follow the last one's, visits the movement before it unless this one is a
// detail of it, and adds it to the statement's sums.
func (rd *reader) nextMovement(x rec, m *movement) error {
	st := &rd.st
	switch {
	case st.movements == 0:
		if m.seq != 1 || m.detail != 0 {
			return x.fail("continuous sequence and detail numbers", 3, 10, "the statement's first movement is %04d %04d, want 0001 0000", m.seq, m.detail)
		}
	case m.seq == st.seq:
		if m.detail <= st.detail {
			return x.fail("detail number", 7, 10, "%04d after %04d", m.detail, st.detail)
		}
	case m.seq == (st.seq+1)%10000:
		if m.detail != 0 {
			return x.fail("detail number", 7, 10, "a new movement's is %04d, want 0000", m.detail)
		}
	default:
		return x.fail("continuous sequence number", 3, 6, "%04d after %04d", m.seq, st.seq)
	}
	if rd.cur != nil && !(m.seq == rd.cur.seq && detailOf(rd.cur.code[0], m.code[0])) {
		if err := rd.emit(rd.cur); err != nil {
			return err
		}
	}
	st.movements++
	st.seq, st.detail = m.seq, m.detail
	if m.detail == 0 {
		if m.credit {
			st.credit = st.credit.Add(m.amount)
		} else {
			st.debit = st.debit.Add(m.amount)
		}
	}
	rd.cur = m
	return nil
}

// detailOf reports a movement of transaction type detail as a detail of one
// of type total: 5 of 1, 6 and 7 of 2, 8 of 3, 9 of 7.
func detailOf(total, detail byte) bool {
	switch total {
	case '1':
		return detail == '5'
	case '2':
		return detail == '6' || detail == '7'
	case '3':
		return detail == '8'
	case '7':
		return detail == '9'
	}
	return false
}

// emit visits a movement's entry; a movement of amount zero is none.
func (rd *reader) emit(m *movement) error {
	if m.amount.IsZero() {
		return nil
	}
	if err := rd.visit(m.entry(&rd.st)); err != nil {
		return fmt.Errorf("coda: line %d: visiting the movement %04d %04d: %w", m.line, m.seq, m.detail, err)
	}
	return nil
}

// addAccount lists a statement's account once in the file's accounts.
func (rd *reader) addAccount(account string) {
	if !rd.seen[account] {
		rd.seen[account] = true
		rd.file.Accounts = append(rd.file.Accounts, account)
	}
}
