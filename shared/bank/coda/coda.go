// Package coda reads Belgian CODA 2.x statement files (Febelfin's "Coded
// statement of account", version 2) into bank entries, one line at a time.
//
// A CODA file is lines of 128 characters; the first one or two characters
// name the record: 0 header, 1 old balance, 2.1/2.2/2.3 movement, 3.1/3.2/3.3
// information, 8 new balance, 4 free communication, 9 trailer. A file holds
// one or more statements, each a group 0, 1, (2.x, 3.x)*, 8, 4*, 9.
// Positions in this package are the standard's: 1-based, both ends included.
//
// One entry is read for each movement (a 2.1 record with its 2.2, 2.3 and
// the information records 3.x that follow it), except a total whose details
// follow it: a movement of transaction type 1, 2, 3 or 7 followed, under the
// same continuous sequence number, by details of it (types 5; 6 or 7; 8; 9
// respectively) is read as those details, each with Batch its detail number.
//
// Reversal: a movement is a reversal when its transaction (positions 57-58
// of the 2.1 record, within the transaction code 54-61) is 49 or 99, the
// "cancellation or correction" of every family in the standard's Annex II,
// or family 05 transaction 58 (direct debit "reversal"), or when its 2.2
// record gives R-transaction type 4 (reversal, position 113).
//
// Free communication records (4) follow the new balance in the standard,
// refer to no movement and so are checked but not read into any entry.
//
// A movement of amount zero moves no money and is no entry: it is read and
// checked, and counts in the trailer's records, but is not visited (the
// standard's amount field is 15 digits with nothing that excludes zero,
// and statements do carry 0.00 lines; a zero credit is no payment).
//
// Accounts and counterparties' IBANs are given as bank.NormalizeAccount
// makes them. A structured communication (101, 102) whose check digits are
// wrong is kept as written: in Reference, and before the remittance text
// (bank.KeepRawReference), so a review shows it.
//
// The file may start with a UTF-8 byte-order mark and end with blank lines
// (empty, or spaces and tabs only) and a final line end, as editors and
// transfers leave them; a blank line before a record is an error.
package coda

import (
	"bufio"
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/paylinks/paylinks/shared/bank"
)

// recordLen is the length of every CODA record, in characters.
const recordLen = 128

// maxLineBytes bounds a line read: 128 characters of at most 4 bytes and a
// carriage return; a longer line is an error, not a larger buffer.
const maxLineBytes = 4*recordLen + 2

// Error is a fault in a CODA file: the line it is on (from 1) and, when it
// is one field's, the field with its positions.
type Error struct {
	Line  int
	Field string
	Msg   string
}

func (e *Error) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("coda: line %d: %s", e.Line, e.Msg)
	}
	return fmt.Sprintf("coda: line %d: %s: %s", e.Line, e.Field, e.Msg)
}

// Read reads a CODA 2.x file and calls visit with each entry, in the order
// of the file, as soon as it is complete. It keeps one movement in memory
// whatever the file's size. It returns what the file says of itself.
//
// Read stops at the first fault and returns it (an *Error naming the line
// and the field), or visit's error wrapped. The trailer's and new balance's
// totals are checked only at their records, after the statement's entries
// were visited: when Read returns an error, the entries it visited belong
// to a file that is not valid as a whole and should be discarded.
func Read(r io.Reader, visit func(bank.Entry) error) (bank.File, error) {
	rd := &reader{visit: visit, seen: map[string]bool{}}
	rd.file = bank.File{Format: bank.FormatCODA, Version: "2"}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 256), maxLineBytes)
	records, blank := 0, 0 // the records read; the first of the blank lines since the last one
	for sc.Scan() {
		rd.line++
		b := sc.Bytes()
		if rd.line == 1 {
			b = bytes.TrimPrefix(b, bom)
		}
		if len(bytes.Trim(b, " \t")) == 0 {
			blank = cmp.Or(blank, rd.line)
			continue
		}
		if blank > 0 {
			return bank.File{}, &Error{Line: blank, Msg: "a blank line before a record (blank lines may only end the file)"}
		}
		rec, err := decode(b, rd.line)
		if err != nil {
			return bank.File{}, err
		}
		if err := rd.record(rec); err != nil {
			return bank.File{}, err
		}
		records++
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return bank.File{}, &Error{Line: rd.line + 1, Msg: fmt.Sprintf("longer than %d characters", recordLen)}
		}
		return bank.File{}, fmt.Errorf("coda: reading line %d: %w", rd.line+1, err)
	}
	if records == 0 {
		return bank.File{}, &Error{Line: 0, Msg: "empty file"}
	}
	if rd.state != wantHeader {
		return bank.File{}, &Error{Line: rd.line, Msg: "file ends inside a statement (no trailer record 9)"}
	}
	return rd.file, nil
}

// bom is the UTF-8 byte-order mark an editor may put at a file's start.
var bom = []byte("\xef\xbb\xbf")

// rec is one record: its 128 characters and its line number.
type rec struct {
	r    []rune
	line int
}

// at is the text at positions from..to (1-based, both included).
func (x rec) at(from, to int) string { return string(x.r[from-1 : to]) }

// char is the character at position p (1-based).
func (x rec) char(p int) rune { return x.r[p-1] }

// fail is an error in the field at positions from..to.
func (x rec) fail(field string, from, to int, format string, args ...any) error {
	pos := fmt.Sprintf("pos %d-%d", from, to)
	if from == to {
		pos = fmt.Sprintf("pos %d", from)
	}
	return &Error{Line: x.line, Field: fmt.Sprintf("%s (%s)", field, pos), Msg: fmt.Sprintf(format, args...)}
}

// decode makes a line into a record: UTF-8 when the bytes are valid UTF-8,
// else ISO 8859-1 (one byte a character), as Belgian banks write CODA.
// The line must be 128 characters of no control character.
func decode(b []byte, line int) (rec, error) {
	var r []rune
	if utf8.Valid(b) {
		r = []rune(string(b))
	} else {
		r = make([]rune, len(b))
		for i, c := range b {
			r[i] = rune(c)
		}
	}
	if len(r) != recordLen {
		return rec{}, &Error{Line: line, Msg: fmt.Sprintf("%d characters, want %d", len(r), recordLen)}
	}
	for i, c := range r {
		if c < 0x20 || (c >= 0x7F && c < 0xA0) {
			return rec{}, &Error{Line: line, Field: fmt.Sprintf("pos %d", i+1), Msg: fmt.Sprintf("control character %U", c)}
		}
	}
	return rec{r: r, line: line}, nil
}
