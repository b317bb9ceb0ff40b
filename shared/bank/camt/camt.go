// Package camt reads ISO 20022 bank-to-customer statements (camt.053,
// BkToCstmrStmt) and debit/credit notifications (camt.054,
// BkToCstmrDbtCdtNtfctn) of versions .001.02 to .001.08 into bank.Entry
// values, one at a time, in bounded memory whatever the file's size.
//
// The document is read token by token; each small part of an entry (its
// amount, status, dates, and each transaction of its details) is decoded
// on its own, so neither the whole document nor a whole batch entry is
// ever held. The format and version come from the message element and its
// namespace (urn:iso:std:iso:20022:tech:xsd:camt.053.001.08 and the
// like); a file with no namespace, or one that names no version, is read
// the same way with File.Version "".
//
// Mapping (element paths below Stmt or Ntfctn):
//   - Acct/Id/IBAN, else Acct/Id/Othr/Id: Entry.Account and File.Accounts.
//   - Ntry/Amt and its Ccy: Amount (positive, at most 18 digits of which 5
//     decimals) and Currency; CdtDbtInd CRDT or DBIT: Credit; RvslInd:
//     Reversal; Sts BOOK (as text up to .05, as Sts/Cd from .06): Booked;
//     BookgDt and ValDt (Dt or DtTm, the date as written): BookedOn,
//     ValueOn; AcctSvcrRef, else NtryRef: EntryRef.
//   - Ntry/NtryDtls/TxDtls: an entry of one transaction is one Entry with
//     that transaction's details and the entry's amount; an entry of more
//     is a batch, one Entry per transaction (Batch 1..n) with the
//     transaction's amount (TxDtls/Amt, else TxDtls/AmtDtls/TxAmt/Amt) and,
//     when it gives one, its CdtDbtInd.
//   - Per transaction: Refs/EndToEndId (NOTPROVIDED dropped); RmtInf/Ustrd
//     lines joined by a space: Remittance; the first
//     RmtInf/Strd/CdtrRefInf/Ref: Reference.
//   - Party, the other side: for a credit the debtor (RltdPties/Dbtr/Nm, or
//     Dbtr/Pty/Nm from .08; DbtrAcct/Id/IBAN; RltdAgts/DbtrAgt/FinInstnId
//     BIC or BICFI, else that of a Dbtr/Agt), for a debit the creditor
//     (Cdtr, CdtrAcct, CdtrAgt). A reversal returns an earlier entry of the
//     other direction and its parties keep their roles in it, so the other
//     side of a reversed credit (a DBIT with RvslInd) is its debtor.
//
// A malformed or missing amount, currency or direction, a missing status,
// a bad date, an unknown message and a version outside .02 to .08 are
// errors naming the entry's position in the document ("entry 12: Amt:
// ..."). A DOCTYPE (and so any entity declaration) is refused, elements
// nest at most 64 deep and no one value, nor any one decoded part of an
// entry, may exceed 1 MiB.
//
// Entries are visited as they are read: an error later in the file comes
// after the entries before it were visited.
package camt

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"

	"github.com/paylinks/paylinks/shared/bank"
)

const (
	maxDepth      = 64
	maxPartBytes  = 1 << 20
	lowestVersion = "001.02"
	newestVersion = "001.08"
)

var (
	errDeclaration = errors.New("a DOCTYPE or other declaration is not accepted")
	errTooDeep     = fmt.Errorf("elements nested deeper than %d", maxDepth)
	errTooLarge    = fmt.Errorf("a value or entry part larger than %d bytes", maxPartBytes)
)

// messages are the message elements read, by the format they are.
var messages = map[string]struct{ format, statement string }{
	"BkToCstmrStmt":         {bank.FormatCamt053, "Stmt"},
	"BkToCstmrDbtCdtNtfctn": {bank.FormatCamt054, "Ntfctn"},
}

// namespaceVersion finds the message and version a namespace names.
// It is compiled at its first use: nothing runs at a function's start.
var namespaceVersion = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`camt\.(\d{3})\.(\d{3}\.\d{2})`) })

// Read reads a camt.053 or camt.054 document from r, calling visit for
// each payment (each entry, or each transaction of a batch entry) in
// document order, and returns what the file says of itself. An error of
// visit stops the reading and is returned wrapped.
func Read(r io.Reader, visit func(bank.Entry) error) (bank.File, error) {
	src := &limitReader{r: r}
	g := &guard{raw: xml.NewDecoder(src), src: src}
	rd := &reader{dec: xml.NewTokenDecoder(g), guard: g, visit: visit, seen: map[string]bool{}}
	if err := rd.document(); err != nil {
		return rd.file, fmt.Errorf("camt: %w", err)
	}
	return rd.file, nil
}

// limitReader counts the bytes read since the guard last reset it and
// fails past the limit, so no one token or decoded part is ever larger.
type limitReader struct {
	r io.Reader
	n int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.n > maxPartBytes {
		return 0, errTooLarge
	}
	n, err := l.r.Read(p)
	l.n += int64(n)
	return n, err
}

// guard hands the raw tokens of the input to the namespace-aware decoder,
// refusing declarations and deep nesting, and resetting the size limit at
// every token unless a part is being decoded whole.
type guard struct {
	raw   *xml.Decoder
	src   *limitReader
	depth int
	whole bool
}

func (g *guard) Token() (xml.Token, error) {
	if !g.whole {
		g.src.n = 0
	}
	tok, err := g.raw.RawToken()
	switch tok.(type) {
	case xml.Directive:
		return nil, errDeclaration
	case xml.StartElement:
		g.depth++
		if g.depth > maxDepth {
			return nil, errTooDeep
		}
	case xml.EndElement:
		g.depth--
	}
	return tok, err
}

// reader is the state of one Read.
type reader struct {
	dec     *xml.Decoder
	guard   *guard
	visit   func(bank.Entry) error
	file    bank.File
	seen    map[string]bool // accounts already in file.Accounts
	account string          // the current statement's
	entries int             // Ntry elements begun
}

// decode decodes the element begun by start into v, whole.
func (rd *reader) decode(v any, start xml.StartElement) error {
	rd.guard.whole = true
	rd.guard.src.n = 0
	defer func() { rd.guard.whole = false }()
	return rd.dec.DecodeElement(v, &start)
}

// eachChild calls fn for each child element of the element just begun, up
// to its end; fn consumes the child whole.
func (rd *reader) eachChild(fn func(xml.StartElement) error) error {
	for {
		tok, err := rd.dec.Token()
		if errors.Is(err, io.EOF) {
			return io.ErrUnexpectedEOF
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if err := fn(t); err != nil {
				return err
			}
		case xml.EndElement:
			return nil
		}
	}
}

func (rd *reader) document() error {
	var root xml.StartElement
	for {
		tok, err := rd.dec.Token()
		if errors.Is(err, io.EOF) {
			return errors.New("no root element")
		}
		if err != nil {
			return err
		}
		if s, ok := tok.(xml.StartElement); ok {
			root = s
			break
		}
	}
	if root.Name.Local != "Document" {
		if _, ok := messages[root.Name.Local]; !ok {
			return fmt.Errorf("root: %s is neither a camt Document nor a camt.053 or camt.054 message", clip(root.Name.Local))
		}
		return rd.message(root, "")
	}
	found := false
	err := rd.eachChild(func(el xml.StartElement) error {
		if found {
			return rd.dec.Skip()
		}
		found = true
		return rd.message(el, root.Name.Space)
	})
	if err == nil && !found {
		err = errors.New("root: the Document holds no message")
	}
	return err
}

// message reads a BkToCstmrStmt or BkToCstmrDbtCdtNtfctn; documentNS is
// the namespace of the Document around it, if any.
func (rd *reader) message(el xml.StartElement, documentNS string) error {
	msg, ok := messages[el.Name.Local]
	if !ok {
		return fmt.Errorf("root: unknown message %s", clip(el.Name.Local))
	}
	ns := el.Name.Space
	if ns == "" {
		ns = documentNS
	}
	version := ""
	if m := namespaceVersion().FindStringSubmatch(ns); m != nil {
		if format := "camt." + m[1]; format != msg.format {
			return fmt.Errorf("root: %s in the namespace of %s", el.Name.Local, format)
		}
		version = m[2]
		if version < lowestVersion || version > newestVersion {
			return fmt.Errorf("root: %s version %s is not read (%s to %s are)", msg.format, version, lowestVersion, newestVersion)
		}
	}
	rd.file.Format, rd.file.Version = msg.format, version
	return rd.eachChild(func(c xml.StartElement) error {
		switch c.Name.Local {
		case "GrpHdr":
			var h struct {
				MsgID string `xml:"MsgId"`
			}
			if err := rd.decode(&h, c); err != nil {
				return inElement("GrpHdr", err)
			}
			rd.file.MessageID = strings.TrimSpace(h.MsgID)
			return nil
		case msg.statement:
			return rd.statement()
		default:
			return rd.dec.Skip()
		}
	})
}

// acctXML is an account's identification.
type acctXML struct {
	ID struct {
		IBAN string `xml:"IBAN"`
		Othr struct {
			ID string `xml:"Id"`
		} `xml:"Othr"`
	} `xml:"Id"`
}

func (a acctXML) number() string {
	if iban := strings.TrimSpace(a.ID.IBAN); iban != "" {
		return iban
	}
	return strings.TrimSpace(a.ID.Othr.ID)
}

// statement reads a Stmt or Ntfctn.
func (rd *reader) statement() error {
	rd.account = ""
	return rd.eachChild(func(c xml.StartElement) error {
		switch c.Name.Local {
		case "Acct":
			var a acctXML
			if err := rd.decode(&a, c); err != nil {
				return inElement("Acct", err)
			}
			rd.account = a.number()
			if rd.account != "" && !rd.seen[rd.account] {
				rd.seen[rd.account] = true
				rd.file.Accounts = append(rd.file.Accounts, rd.account)
			}
			return nil
		case "Ntry":
			rd.entries++
			if err := rd.entry(); err != nil {
				return fmt.Errorf("entry %d: %w", rd.entries, err)
			}
			return nil
		default:
			return rd.dec.Skip()
		}
	})
}
