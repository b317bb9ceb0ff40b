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
	"sync"

	"github.com/paylinks/paylinks/shared/bank"
	"github.com/paylinks/paylinks/shared/bank/camt"
	"github.com/paylinks/paylinks/shared/bank/coda"
)

// HeadBytes is how much of a file Detect needs at most: the XML
// declaration, comments and the root element's start, or CODA's first
// record.
const HeadBytes = 64 << 10

// ErrUnknownFormat is a file that is neither camt.053, camt.054 nor CODA.
var ErrUnknownFormat = errors.New("not a camt.053, camt.054 or CODA 2.x file")

var (
	bom = []byte("\xef\xbb\xbf")
	// codaHeader is compiled at its first use: nothing runs at a
	// function's start.
	codaHeader = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^0000[0-9]{6}`) })
)

// Detect is the format of a statement file from its first bytes (at most
// HeadBytes are looked at): camt.053 or camt.054 by the XML message
// element (the root, or the child of a Document root), CODA by its header
// record (a line beginning with "0000" and a date). It reads no entry: the
// format's reader checks the rest.
func Detect(head []byte) (string, error) {
	if len(head) > HeadBytes {
		head = head[:HeadBytes]
	}
	b := bytes.TrimLeft(bytes.TrimPrefix(head, bom), " \t\r\n")
	switch {
	case len(b) > 0 && b[0] == '<':
		return detectXML(b)
	case codaHeader().Match(b):
		return bank.FormatCODA, nil
	}
	return "", ErrUnknownFormat
}

func detectXML(b []byte) (string, error) {
	dec := xml.NewDecoder(bytes.NewReader(b))
	depth := 0
	for {
		tok, err := dec.RawToken()
		if err != nil {
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

// detectStream detects the format of the stream r, returning a reader of
// the whole stream (what was looked at included).
func detectStream(r io.Reader) (string, io.Reader, error) {
	br := bufio.NewReaderSize(r, HeadBytes)
	head, err := br.Peek(HeadBytes)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return "", nil, fmt.Errorf("read the file: %w", err)
	}
	format, err := Detect(head)
	return format, br, err
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
