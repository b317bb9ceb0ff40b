package pain001

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/paylinks/paylinks/shared/bank"
)

// parsed is the document as the test reads it back, defined apart from the
// writer's types.
type parsed struct {
	XMLName xml.Name
	GrpHdr  struct {
		MsgID    string `xml:"MsgId"`
		CreDtTm  string
		NbOfTxs  string
		CtrlSum  string
		InitgPty struct{ Nm string }
	} `xml:"CstmrCdtTrfInitn>GrpHdr"`
	PmtInf []struct {
		PmtInfID  string `xml:"PmtInfId"`
		PmtMtd    string
		BtchBookg string
		NbOfTxs   string
		CtrlSum   string
		SvcLvlCd  string `xml:"PmtTpInf>SvcLvl>Cd"`
		ReqdDt    string `xml:"ReqdExctnDt>Dt"`
		DbtrNm    string `xml:"Dbtr>Nm"`
		DbtrIBAN  string `xml:"DbtrAcct>Id>IBAN"`
		DbtrBICFI string `xml:"DbtrAgt>FinInstnId>BICFI"`
		ChrgBr    string
		Txs       []parsedTx `xml:"CdtTrfTxInf"`
	} `xml:"CstmrCdtTrfInitn>PmtInf"`
}

type parsedTx struct {
	EndToEndID string `xml:"PmtId>EndToEndId"`
	Amt        struct {
		Ccy   string `xml:"Ccy,attr"`
		Value string `xml:",chardata"`
	} `xml:"Amt>InstdAmt"`
	CdtrAgt *struct {
		BICFI string `xml:"FinInstnId>BICFI"`
	} `xml:"CdtrAgt"`
	CdtrNm   string  `xml:"Cdtr>Nm"`
	CdtrIBAN string  `xml:"CdtrAcct>Id>IBAN"`
	Ustrd    *string `xml:"RmtInf>Ustrd"`
}

func sample() File {
	return File{
		MessageID:       "BF01J9ZK3M-2025-03-14",
		CreatedAt:       time.Date(2025, 3, 14, 11, 30, 5, 0, time.FixedZone("CET", 3600)),
		InitiatingParty: "Paylinks Démo & Co",
		Debtor:          bank.Party{Name: "Paylinks Démo SRL", IBAN: "BE68 5390 0754 7034", BIC: "gkccbebb"},
		ExecutionDate:   time.Date(2025, 3, 17, 0, 0, 0, 0, time.UTC),
		Payments: []Payment{
			{EndToEndID: "RF1-refund", Amount: decimal.RequireFromString("125.5"),
				Creditor:   bank.Party{Name: "Jan Peeters", IBAN: "BE71096123456769", BIC: "GKCCBEBB"},
				Remittance: "Refund of payment link pl_8ZK3 +++090/9337/55493+++"},
			{EndToEndID: "RF2-refund", Amount: decimal.RequireFromString("0.01"),
				Creditor: bank.Party{Name: "  Zoë   Ørsted-Müller\t", IBAN: "fr14 2004 1010 0505 0001 3m02 606"}},
			{EndToEndID: "rf/3", Amount: decimal.RequireFromString("1000000"),
				Creditor:   bank.Party{Name: "Łukasz Żółć", IBAN: "DE89370400440532013000", BIC: "COBADEFFXXX"},
				Remittance: "Zwrot “zamówienia” nr 7 – dziękujemy"},
		},
	}
}

func writeParse(t *testing.T, f File) (parsed, string) {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, f); err != nil {
		t.Fatalf("Write: %v", err)
	}
	var p parsed
	if err := xml.Unmarshal(buf.Bytes(), &p); err != nil {
		t.Fatalf("parse: %v\n%s", err, buf.String())
	}
	return p, buf.String()
}

func TestWriteParsedBack(t *testing.T) {
	p, text := writeParse(t, sample())
	if !strings.HasPrefix(text, `<?xml version="1.0" encoding="UTF-8"?>`) {
		t.Errorf("no XML declaration: %.60q", text)
	}
	if p.XMLName.Space != "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09" || p.XMLName.Local != "Document" {
		t.Errorf("root %+v", p.XMLName)
	}
	type header struct{ msgID, created, nb, ctrl, initiator string }
	g := p.GrpHdr
	if got, want := (header{g.MsgID, g.CreDtTm, g.NbOfTxs, g.CtrlSum, g.InitgPty.Nm}),
		(header{"BF01J9ZK3M-2025-03-14", "2025-03-14T10:30:05Z", "3", "1000125.51", "Paylinks Demo + Co"}); got != want {
		t.Errorf("GrpHdr %+v, want %+v", got, want)
	}
	if len(p.PmtInf) != 1 {
		t.Fatalf("%d PmtInf", len(p.PmtInf))
	}
	type info struct{ id, method, batch, nb, ctrl, svc, date, name, iban, bic, charges string }
	pi := p.PmtInf[0]
	if got, want := (info{pi.PmtInfID, pi.PmtMtd, pi.BtchBookg, pi.NbOfTxs, pi.CtrlSum, pi.SvcLvlCd, pi.ReqdDt, pi.DbtrNm, pi.DbtrIBAN, pi.DbtrBICFI, pi.ChrgBr}),
		(info{"BF01J9ZK3M-2025-03-14", "TRF", "false", "3", "1000125.51", "SEPA", "2025-03-17", "Paylinks Demo SRL", "BE68539007547034", "GKCCBEBB", "SLEV"}); got != want {
		t.Errorf("PmtInf %+v, want %+v", got, want)
	}
	want := []flatTx{
		{"RF1-refund", "EUR", "125.50", "GKCCBEBB", "Jan Peeters", "BE71096123456769", "Refund of payment link pl-8ZK3 +++090/9337/55493+++"},
		{"RF2-refund", "EUR", "0.01", "", "Zoe Orsted-Muller", "FR1420041010050500013M02606", ""},
		{"rf/3", "EUR", "1000000.00", "COBADEFFXXX", "Lukasz Zolc", "DE89370400440532013000", "Zwrot 'zamowienia' nr 7 - dziekujemy"},
	}
	if len(pi.Txs) != len(want) {
		t.Fatalf("%d CdtTrfTxInf", len(pi.Txs))
	}
	for i, w := range want {
		if got := flatten(pi.Txs[i]); got != w {
			t.Errorf("CdtTrfTxInf %d:\n got %+v\nwant %+v", i, got, w)
		}
	}
	// No empty CdtrAgt or RmtInf for the payment with neither.
	if pi.Txs[1].CdtrAgt != nil || pi.Txs[1].Ustrd != nil {
		t.Errorf("CdtTrfTxInf 1 has an empty CdtrAgt or RmtInf")
	}
}

// flatTx is a CdtTrfTxInf's fields: end-to-end id, currency, amount, BIC,
// name, IBAN, remittance.
type flatTx struct{ e2e, ccy, amt, bic, nm, iban, ustrd string }

func flatten(x parsedTx) flatTx {
	bic, ustrd := "", ""
	if x.CdtrAgt != nil {
		bic = x.CdtrAgt.BICFI
	}
	if x.Ustrd != nil {
		ustrd = *x.Ustrd
	}
	return flatTx{x.EndToEndID, x.Amt.Ccy, x.Amt.Value, bic, x.CdtrNm, x.CdtrIBAN, ustrd}
}

// children lists the names of the elements directly under the first
// element named parent.
func children(t *testing.T, text, parent string) []string {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(text))
	depth, in := 0, -1
	var out []string
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			depth++
			if in < 0 && e.Name.Local == parent {
				in = depth
			} else if in > 0 && depth == in+1 {
				out = append(out, e.Name.Local)
			}
		case xml.EndElement:
			if depth == in {
				return out
			}
			depth--
		}
	}
}

// TestWriteElementOrder: the elements come in the order the schema's
// sequences require.
func TestWriteElementOrder(t *testing.T) {
	_, text := writeParse(t, sample())
	for parent, want := range map[string]string{
		"CstmrCdtTrfInitn": "GrpHdr PmtInf",
		"GrpHdr":           "MsgId CreDtTm NbOfTxs CtrlSum InitgPty",
		"PmtInf":           "PmtInfId PmtMtd BtchBookg NbOfTxs CtrlSum PmtTpInf ReqdExctnDt Dbtr DbtrAcct DbtrAgt ChrgBr CdtTrfTxInf CdtTrfTxInf CdtTrfTxInf",
		"CdtTrfTxInf":      "PmtId Amt CdtrAgt Cdtr CdtrAcct RmtInf",
	} {
		if got := strings.Join(children(t, text, parent), " "); got != want {
			t.Errorf("%s: %s, want %s", parent, got, want)
		}
	}
}

func TestWriteRefuses(t *testing.T) {
	cases := []struct {
		field string
		edit  func(*File)
	}{
		{"Payments", func(f *File) { f.Payments = nil }},
		{"MessageID", func(f *File) { f.MessageID = "" }},
		{"MessageID", func(f *File) { f.MessageID = strings.Repeat("M", 36) }},
		{"MessageID", func(f *File) { f.MessageID = "bf_1" }},
		{"MessageID", func(f *File) { f.MessageID = "/bf1" }},
		{"MessageID", func(f *File) { f.MessageID = "bf//1" }},
		{"CreatedAt", func(f *File) { f.CreatedAt = time.Time{} }},
		{"ExecutionDate", func(f *File) { f.ExecutionDate = time.Time{} }},
		{"InitiatingParty", func(f *File) { f.InitiatingParty = "  " }},
		{"InitiatingParty", func(f *File) { f.InitiatingParty = "支付" }},
		{"Debtor.Name", func(f *File) { f.Debtor.Name = strings.Repeat("ß", 36) }}, // 72 once "ss"
		{"Debtor.IBAN", func(f *File) { f.Debtor.IBAN = "BE68539007547035" }},
		{"Debtor.IBAN", func(f *File) { f.Debtor.IBAN = "" }},
		{"Debtor.BIC", func(f *File) { f.Debtor.BIC = "" }},
		{"Debtor.BIC", func(f *File) { f.Debtor.BIC = "GKCCBE" }},
		{"Payments[1].EndToEndID", func(f *File) { f.Payments[1].EndToEndID = strings.Repeat("e", 36) }},
		{"Payments[1].EndToEndID", func(f *File) { f.Payments[1].EndToEndID = "" }},
		{"Payments[1].EndToEndID", func(f *File) { f.Payments[1].EndToEndID = "RF2/" }},
		{"Payments[1].EndToEndID", func(f *File) { f.Payments[1].EndToEndID = " RF2" }},
		{"Payments[2].EndToEndID", func(f *File) { f.Payments[2].EndToEndID = f.Payments[0].EndToEndID }},
		{"Payments[1].Amount", func(f *File) { f.Payments[1].Amount = decimal.Zero }},
		{"Payments[1].Amount", func(f *File) { f.Payments[1].Amount = decimal.RequireFromString("-5") }},
		{"Payments[1].Amount", func(f *File) { f.Payments[1].Amount = decimal.RequireFromString("1.005") }},
		{"Payments[1].Amount", func(f *File) { f.Payments[1].Amount = decimal.RequireFromString("1000000000") }},
		{"Payments[0].Creditor.Name", func(f *File) { f.Payments[0].Creditor.Name = "" }},
		{"Payments[0].Creditor.Name", func(f *File) { f.Payments[0].Creditor.Name = "Jan 😀 Peeters" }},
		{"Payments[0].Creditor.IBAN", func(f *File) { f.Payments[0].Creditor.IBAN = "BE71 0961 2345 6760" }},
		{"Payments[0].Creditor.BIC", func(f *File) { f.Payments[0].Creditor.BIC = "GKCC BEBB" }},
		{"Payments[0].Remittance", func(f *File) { f.Payments[0].Remittance = strings.Repeat("r", 141) }},
		{"Payments[0].Remittance", func(f *File) { f.Payments[0].Remittance = "Invoice #12" }},
	}
	for _, c := range cases {
		f := sample()
		c.edit(&f)
		var buf bytes.Buffer
		err := Write(&buf, f)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("%s: err = %v", c.field, err)
			continue
		}
		if buf.Len() != 0 {
			t.Errorf("%s: %d bytes written before the error", c.field, buf.Len())
		}
		if strings.Contains(err.Error(), "BE68539007547035") || strings.Contains(err.Error(), "6760") {
			t.Errorf("%s: the error shows the IBAN: %v", c.field, err)
		}
	}
}

// failingWriter fails every write.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteReportsWriterErrors(t *testing.T) {
	if err := Write(failingWriter{}, sample()); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("err = %v", err)
	}
}
