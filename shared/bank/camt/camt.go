// Package camt reads ISO 20022 bank-to-customer statements (camt.053,
// BkToCstmrStmt) and debit/credit notifications (camt.054,
// BkToCstmrDbtCdtNtfctn) of versions .001.02 to .001.08 into bank.Entry
// values, one at a time, in bounded memory whatever the file's size.
//
// The document is read token by token; each small part of an entry (its
// amount, status, dates, and each transaction of its details) is decoded
// on its own, so neither the whole document nor a whole batch entry is
// ever held. The root must be a Document in the namespace of one message
// and version, exactly urn:iso:std:iso:20022:tech:xsd:camt.053.001.02 to
// .08 or camt.054.001.02 to .08, holding that one message in the same
// namespace; anything else (another namespace, none, a second message, an
// element or text after the Document's end) is refused.
//
// Mapping (element paths below Stmt or Ntfctn):
//   - Acct/Id/IBAN, else Acct/Id/Othr/Id: Entry.Account and File.Accounts,
//     as bank.NormalizeAccount makes them (so is a party's IBAN).
//   - Ntry/Amt and its Ccy: Amount (positive, at most 18 digits of which 5
//     decimals) and Currency; CdtDbtInd CRDT or DBIT: Credit; RvslInd:
//     Reversal; Sts BOOK (as text up to .05, as Sts/Cd from .06): Booked;
//     BookgDt and ValDt (Dt or DtTm, the date as written): BookedOn,
//     ValueOn; AcctSvcrRef: EntryRef (NtryRef is numbered within its
//     statement only, and not read).
//   - Ntry/NtryDtls/TxDtls: an entry of one transaction is one Entry with
//     that transaction's details and the entry's amount; an entry of more
//     is a batch, one Entry per transaction (Batch 1..n) with the
//     transaction's amount (TxDtls/Amt, else TxDtls/AmtDtls/TxAmt/Amt) and,
//     when it gives one, its CdtDbtInd. The transactions' amounts, when
//     they carry them, are the entry's: a batch's are in the entry's
//     currency and, net of their directions, sum to its Amt; so do those
//     of each NtryDtls to its Btch/TtlAmt when given, and the TtlAmts to
//     the Amt when every NtryDtls gives one; a single transaction's amount
//     in the entry's currency is its Amt. Else the file fails, naming the
//     element.
//   - Per transaction: Refs/EndToEndId (NOTPROVIDED dropped); RmtInf/Ustrd
//     lines joined by a space: Remittance; the first
//     RmtInf/Strd/CdtrRefInf/Ref: Reference; one that is no valid
//     structured reference (reference.Check) is also put before the
//     remittance text (see bank.Entry).
//   - Party, the other side: for a credit the debtor (RltdPties/Dbtr/Nm, or
//     Dbtr/Pty/Nm from .08; DbtrAcct/Id/IBAN; RltdAgts/DbtrAgt/FinInstnId
//     BIC or BICFI, else that of a Dbtr/Agt), for a debit the creditor
//     (Cdtr, CdtrAcct, CdtrAgt). A reversal returns an earlier entry of the
//     other direction and its parties keep their roles in it, so the other
//     side of a reversed credit (a DBIT with RvslInd) is its debtor.
//
// A malformed or missing amount, currency or direction, a missing status,
// a bad date and amounts that do not add up are errors naming the entry's
// position in the document ("entry 12: Amt: ..."). A DOCTYPE (and so any entity declaration) is refused, elements
// nest at most 64 deep and no one value, nor any one decoded part of an
// entry, may exceed 1 MiB.
//
// Entries are visited as they are read: an error later in the file comes
// after the entries before it were visited.
package camt

import (
	"bytes"
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

// message is a message read: its format, its element and its statements'.
type message struct{ format, element, statement string }

// messages are the messages read.
var messages = []message{
	{bank.FormatCamt053, "BkToCstmrStmt", "Stmt"},
	{bank.FormatCamt054, "BkToCstmrDbtCdtNtfctn", "Ntfctn"},
}

// namespacePrefix is that of every ISO 20022 message's namespace.
const namespacePrefix = "urn:iso:std:iso:20022:tech:xsd:"

// namespacePattern finds the message and version a Document's namespace
// names. It is compiled at its first use: nothing runs at a function's start.
var namespacePattern = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^` + regexp.QuoteMeta(namespacePrefix) + `camt\.(\d{3})\.(\d{3}\.\d{2})$`)
})

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
	root, err := rd.root()
	if err != nil {
		return err
	}
	if root.Name.Local != "Document" {
		return fmt.Errorf("root: %s is not a camt Document", clip(root.Name.Local))
	}
	msg, version, err := namespace(root.Name.Space)
	if err != nil {
		return err
	}
	found := false
	err = rd.eachChild(func(el xml.StartElement) error {
		if found {
			return fmt.Errorf("root: a second message %s in the Document (it holds one)", clip(el.Name.Local))
		}
		found = true
		return rd.message(el, msg, version, root.Name.Space)
	})
	if err != nil {
		return err
	}
	if !found {
		return errors.New("root: the Document holds no message")
	}
	return rd.afterRoot()
}

// root is the document's root element: what comes before it may be only
// the XML declaration, comments, processing instructions and white space.
func (rd *reader) root() (xml.StartElement, error) {
	for {
		tok, err := rd.dec.Token()
		if errors.Is(err, io.EOF) {
			return xml.StartElement{}, errors.New("no root element")
		}
		if err != nil {
			return xml.StartElement{}, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return t, nil
		case xml.CharData:
			if len(bytes.TrimSpace(bytes.TrimPrefix(t, []byte("\ufeff")))) > 0 {
				return xml.StartElement{}, fmt.Errorf("root: text %q before the root element", clip(string(t)))
			}
		}
	}
}

// afterRoot reads what follows the root's end: only comments, processing
// instructions and white space may.
func (rd *reader) afterRoot() error {
	for {
		tok, err := rd.dec.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return fmt.Errorf("after the Document's end: element %s", clip(t.Name.Local))
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return fmt.Errorf("after the Document's end: text %q", clip(string(t)))
			}
		}
	}
}

// namespace is the message and version a Document's namespace names:
// exactly urn:iso:std:iso:20022:tech:xsd:camt.053.001.02 to .08, or
// camt.054 of the same versions.
func namespace(ns string) (message, string, error) {
	m := namespacePattern().FindStringSubmatch(ns)
	if m == nil {
		shown := ns
		if rest, ok := strings.CutPrefix(ns, namespacePrefix); ok {
			shown = "..." + rest
		}
		return message{}, "", fmt.Errorf("root: the Document's namespace %q is not that of camt.053 or camt.054 (%scamt.053.%s to %s)",
			clip(shown), namespacePrefix, lowestVersion, newestVersion)
	}
	var msg message
	for _, cand := range messages {
		if cand.format == "camt."+m[1] {
			msg = cand
		}
	}
	if msg.format == "" {
		return message{}, "", fmt.Errorf("root: the Document's namespace names camt.%s, not camt.053 or camt.054", m[1])
	}
	if version := m[2]; version < lowestVersion || version > newestVersion {
		return message{}, "", fmt.Errorf("root: %s version %s is not read (%s to %s are)", msg.format, version, lowestVersion, newestVersion)
	}
	return msg, m[2], nil
}

// message reads the BkToCstmrStmt or BkToCstmrDbtCdtNtfctn el, which must
// be the message msg in the Document's namespace ns.
func (rd *reader) message(el xml.StartElement, msg message, version, ns string) error {
	if el.Name.Local != msg.element {
		return fmt.Errorf("root: %s in the namespace of %s (%s)", clip(el.Name.Local), msg.format, msg.element)
	}
	if el.Name.Space != ns {
		return fmt.Errorf("root: %s in the namespace %q, not the Document's", msg.element, clip(el.Name.Space))
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

// number is the account's IBAN, else its other identification, as
// bank.NormalizeAccount makes it.
func (a acctXML) number() string {
	if iban := bank.NormalizeAccount(a.ID.IBAN); iban != "" {
		return iban
	}
	return bank.NormalizeAccount(a.ID.Othr.ID)
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
