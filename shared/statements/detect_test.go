package statements_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paylinks/paylinks/shared/bank"
	"github.com/paylinks/paylinks/shared/statements"
)

// The format of every statement fixture of the readers, and of what is
// none: by the XML message (under a Document or as the root, whatever the
// namespace prefix, after a BOM, declaration and comments) or CODA's
// header record.
func TestDetect(t *testing.T) {
	files, _ := filepath.Glob("../bank/camt/testdata/*.xml")
	files = append(files, "../bank/coda/testdata/two_statements.cod")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		want := bank.FormatCamt053
		switch {
		case strings.Contains(f, "_054_"):
			want = bank.FormatCamt054
		case strings.HasSuffix(f, ".cod"):
			want = bank.FormatCODA
		}
		if got, err := statements.Detect(b); got != want || err != nil {
			t.Errorf("%s: %q %v, want %s", f, got, err, want)
		}
	}
	for in, want := range map[string]string{
		"\xef\xbb\xbf<?xml version=\"1.0\"?>\n<!-- c --><Document><BkToCstmrStmt>": bank.FormatCamt053,
		"<c:Document xmlns:c=\"urn:x\"><c:BkToCstmrDbtCdtNtfctn>":                  bank.FormatCamt054,
		"<BkToCstmrStmt>":                                           bank.FormatCamt053,
		"0000003032530005        FILE000123":                        bank.FormatCODA,
		"<Document><Other/></Document>":                             "",
		"<Document><Document><BkToCstmrStmt>":                       "",
		"<!DOCTYPE x [<!ENTITY a \"b\">]><Document><BkToCstmrStmt>": "",
		"<Document>":        "",
		"1000003032530005":  "",
		"{\"Document\": 1}": "",
		"":                  "",
		"<Document><" + strings.Repeat("x", 70<<10) + "/><BkToCstmrStmt></Document>": "",
		"<!--" + strings.Repeat("x", 70<<10) + "--><Document><BkToCstmrStmt>":        bank.FormatCamt053,
	} {
		got, err := statements.Detect([]byte(in))
		if got != want || (want == "") != errors.Is(err, statements.ErrUnknownFormat) {
			t.Errorf("%.60q: %q %v, want %q", in, got, err, want)
		}
	}
}

// Detect never panics, names only the three formats, and a format it
// names from a prefix of an input is the whole input's.
func FuzzDetect(f *testing.F) {
	for _, s := range []string{"<Document><BkToCstmrStmt>", "0000003032530005", "<?xml version=\"1.0\"?><BkToCstmrDbtCdtNtfctn/>", "<!DOCTYPE a>"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := statements.Detect(b)
		switch got {
		case bank.FormatCamt053, bank.FormatCamt054, bank.FormatCODA:
			if err != nil {
				t.Fatalf("%q and %v", got, err)
			}
		case "":
			if !errors.Is(err, statements.ErrUnknownFormat) && !errors.Is(err, statements.ErrNotUTF8) {
				t.Fatalf("no format, error %v", err)
			}
		default:
			t.Fatalf("format %q", got)
		}
		for _, n := range []int{len(b) / 2, len(b) - 1} {
			if n < 0 {
				continue
			}
			if head, _ := statements.Detect(b[:n]); head != "" && head != got {
				t.Fatalf("%q on %d bytes, %q on the whole", head, n, got)
			}
		}
		if errors.Is(err, statements.ErrNotUTF8) && got != "" {
			t.Fatalf("not UTF-8 and %q", got)
		}
	})
}
