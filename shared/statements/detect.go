package statements

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"regexp"
	"strings"
	"sync"

	"github.com/paylinks/paylinks/shared/bank"
	"github.com/paylinks/paylinks/shared/bank/camt"
	"github.com/paylinks/paylinks/shared/bank/coda"
)

// ErrUnknownFormat is a file that is neither camt.053, camt.054 nor CODA.
var ErrUnknownFormat = errors.New("not a camt.053, camt.054 or CODA 2.x file")

// ErrNotUTF8 is an XML statement in another encoding than UTF-8 (declared
// so, or bytes that are no UTF-8 before its message): paylinks reads camt
// in UTF-8, the encoding ISO 20022 messages are exchanged in.
var ErrNotUTF8 = errors.New("is not in UTF-8: paylinks reads camt statements in UTF-8 only (the encoding of ISO 20022 messages); ask the bank for the file in UTF-8, or convert it")

var (
	bom = []byte("\xef\xbb\xbf")
	// codaHeader is compiled at its first use: nothing runs at a
	// function's start.
	codaHeader = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^0000[0-9]{6}`) })
)

// codaHeaderLen is how much of a CODA file its header's test reads.
const codaHeaderLen = 10

// Detect is the format of a statement file (a body of at most MaxUpload
// bytes; what is beyond is not looked at): camt.053 or camt.054 by the
// XML message element (the root, or the child of a Document root), read
// up to it whatever comes before (a declaration, comments of any length),
// CODA by its header record (a line beginning with "0000" and a date). It
// reads no entry: the format's reader checks the rest. ErrUnknownFormat
// for anything else, ErrNotUTF8 for XML in another encoding.
func Detect(body []byte) (string, error) {
	format, _, err := DetectStream(bytes.NewReader(body))
	return format, err
}

// DetectStream detects the format of the stream r as Detect does, reading
// no more of it than it needs (up to the XML message's element, at most
// MaxUpload bytes), and returns a reader of the whole stream, what was
// read to detect it included.
// A failure to read r is returned as it is (wrapped), neither
// ErrUnknownFormat nor ErrNotUTF8: the file may read another time.
func DetectStream(r io.Reader) (string, io.Reader, error) {
	var seen bytes.Buffer
	src := &failReader{r: io.LimitReader(r, MaxUpload)}
	br := bufio.NewReader(io.TeeReader(src, &seen))
	format, err := detect(br)
	if src.err != nil {
		return "", nil, fmt.Errorf("read the file: %w", src.err)
	}
	return format, io.MultiReader(&seen, r), err
}

// failReader keeps the first error of r but io.EOF.
type failReader struct {
	r   io.Reader
	err error
}

func (f *failReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) && f.err == nil {
		f.err = err
	}
	return n, err
}

func detect(br *bufio.Reader) (string, error) {
	if head, _ := br.Peek(len(bom)); bytes.Equal(head, bom) {
		_, _ = br.Discard(len(bom))
	}
	for {
		c, err := br.ReadByte()
		if err != nil {
			return "", ErrUnknownFormat
		}
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			_ = br.UnreadByte()
			break
		}
	}
	head, _ := br.Peek(codaHeaderLen)
	switch {
	case len(head) > 0 && head[0] == '<':
		return detectXML(br)
	case codaHeader().Match(head):
		return bank.FormatCODA, nil
	}
	return "", ErrUnknownFormat
}

func detectXML(r io.Reader) (string, error) {
	dec := xml.NewDecoder(r)
	declared := ""
	dec.CharsetReader = func(label string, _ io.Reader) (io.Reader, error) {
		declared = label
		return nil, ErrNotUTF8
	}
	depth := 0
	for {
		tok, err := dec.RawToken()
		switch {
		case declared != "":
			return "", fmt.Errorf("%w (it declares encoding %q)", ErrNotUTF8, declared)
		case err != nil && strings.Contains(err.Error(), "invalid UTF-8"):
			return "", ErrNotUTF8
		case err != nil:
			return "", fmt.Errorf("%w: %v", ErrUnknownFormat, err)
		}
		switch t := tok.(type) {
		case xml.Directive:
			return "", fmt.Errorf("%w: a DOCTYPE or other declaration is not accepted", ErrUnknownFormat)
		case xml.StartElement:
			switch t.Name.Local {
			case "BkToCstmrStmt":
				return bank.FormatCamt053, nil
			case "BkToCstmrDbtCdtNtfctn":
				return bank.FormatCamt054, nil
			case "Document":
				if depth == 0 {
					depth++
					continue
				}
			}
			return "", ErrUnknownFormat
		}
	}
}

// reader is the reader of a format.
func reader(format string) func(io.Reader, func(bank.Entry) error) (bank.File, error) {
	if format == bank.FormatCODA {
		return coda.Read
	}
	return camt.Read
}

// Content types of statement files.
const (
	TypeXML  = "application/xml"
	TypeText = "text/plain"
)

// formatOfType is the formats a content type may hold: application/xml
// (and text/xml) camt, text/plain CODA; ErrContentType for any other.
func formatOfType(contentType string) (map[string]bool, error) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return nil, ErrContentType
	}
	switch mt {
	case TypeXML, "text/xml":
		return map[string]bool{bank.FormatCamt053: true, bank.FormatCamt054: true}, nil
	case TypeText:
		return map[string]bool{bank.FormatCODA: true}, nil
	}
	return nil, ErrContentType
}

func notOfType(contentType string) string {
	if mt, _, _ := mime.ParseMediaType(contentType); mt == TypeText {
		return "is not a CODA 2.x file (a text/plain statement is CODA; camt is application/xml)"
	}
	return "is not a camt.053 or camt.054 document (an application/xml statement is camt; CODA is text/plain)"
}
