package statements_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/paylinks/paylinks/shared/bank"
	"github.com/paylinks/paylinks/shared/statements"
)

// A camt file whose root comes after a long prolog (a 70 KB comment) is
// detected, in a body and as a stream; detection reads up to the root
// element, within MaxUpload.
func TestDetectAfterALongProlog(t *testing.T) {
	body := "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!--" + strings.Repeat("x", 70<<10) + "-->\n" + string(camtOf(acct, nil)[len(`<?xml version="1.0" encoding="UTF-8"?>`):])
	if got, err := statements.Detect([]byte(body)); got != bank.FormatCamt053 || err != nil {
		t.Fatalf("body: %q %v", got, err)
	}
	r := newRig()
	st, err := r.svc.Upload(ctx, "m1", "application/xml", []byte(body))
	if err != nil {
		t.Fatalf("upload: %v", err)
	}
	r.drain(t)
	if got, _ := r.st.GetStatement(ctx, "m1", st.ID); got.Status != "done" || got.Error != "" {
		t.Fatalf("statement %+v", got)
	}
	// Beyond MaxUpload with no root: no format.
	huge := "<!--" + strings.Repeat("x", statements.MaxUpload) + "--><Document><BkToCstmrStmt>"
	if _, err := statements.Detect([]byte(huge)); !errors.Is(err, statements.ErrUnknownFormat) {
		t.Fatalf("a root beyond the limit: %v", err)
	}
}

// A camt file in another encoding than UTF-8 is refused saying so, as a
// field error of the upload; its bytes are never read as UTF-8.
func TestDetectRefusesOtherEncodings(t *testing.T) {
	for _, decl := range []string{`<?xml version="1.0" encoding="ISO-8859-1"?>`, `<?xml version='1.0' encoding='windows-1252'?>`} {
		body := []byte(decl + "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08\"><BkToCstmrStmt><GrpHdr><MsgId>Caf\xe9</MsgId></GrpHdr></BkToCstmrStmt></Document>")
		_, err := statements.Detect(body)
		if !errors.Is(err, statements.ErrNotUTF8) || !strings.Contains(err.Error(), "UTF-8") {
			t.Fatalf("%s: %v", decl, err)
		}
		_, err = newRig().svc.Upload(ctx, "m1", "application/xml", body)
		if !fieldError(err, "file") || !strings.Contains(err.Error(), "UTF-8") {
			t.Fatalf("upload %s: %v", decl, err)
		}
	}
	for _, ok := range []string{`<?xml version="1.0" encoding="utf-8"?><BkToCstmrStmt>`, `<?xml version="1.0"?><BkToCstmrStmt>`} {
		if got, err := statements.Detect([]byte(ok)); got != bank.FormatCamt053 || err != nil {
			t.Fatalf("%s: %q %v", ok, got, err)
		}
	}
	if _, err := statements.Detect([]byte("<Document><BkToCstmrStmt><MsgId>Caf\xe9</MsgId>")); err != nil {
		t.Fatalf("bytes after the root are the reader's: %v", err)
	}
}

// The stream the reconcile worker reads after detection is the whole file,
// whatever was read to detect it.
func TestDetectStreamKeepsEveryByte(t *testing.T) {
	body := []byte("\xef\xbb\xbf<!--" + strings.Repeat("y", 100<<10) + "-->" + string(camtOf(acct, nil)))
	format, rd, err := statements.DetectStream(bytes.NewReader(body))
	if err != nil || format != bank.FormatCamt053 {
		t.Fatalf("%q %v", format, err)
	}
	got, _ := io.ReadAll(rd)
	if !bytes.Equal(got, body) {
		t.Fatalf("read back %d bytes of %d", len(got), len(body))
	}
}
