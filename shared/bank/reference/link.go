package reference

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"strconv"
)

// Format is a kind of structured reference; its values are the API's
// "bank_transfer.reference_format".
type Format string

// The formats.
const (
	RF    Format = "rf"     // ISO 11649 creditor reference
	BEOGM Format = "be_ogm" // Belgian structured communication (OGM/VCS)
)

// Valid reports one of the formats.
func (f Format) Valid() bool { return f == RF || f == BEOGM }

// crockford is the alphabet of the ULIDs in link ids (Crockford base32).
var crockford = base32.NewEncoding("0123456789ABCDEFGHJKMNPQRSTVWXYZ").WithPadding(base32.NoPadding)

// ForLink is the reference of a link in a format, in electronic form,
// derived from the link id and an attempt number alone: the same
// arguments always give the same reference. Attempt 0 is the first
// choice; the caller tries 1, 2, ... when the merchant already has the
// reference on another link.
//
//   - RF, attempt 0: the body is the id's last 21 letters and digits (a
//     link id "pl_" + a 26-character ULID gives its 5 last time characters
//     and its 16 random ones, 80 random bits), so the payer's reference
//     shows the end of the link id. Later attempts: 21 characters of
//     SHA-256 over (format, id, attempt) in Crockford base32; so does an
//     id without a letter or digit.
//   - BEOGM: the 10 digits are the first 8 bytes of SHA-256 over (format,
//     id, attempt), big-endian, mod 10^10 (a bias below 10^-9).
//
// Different attempts give different references but for a hash collision
// (2^-105 for RF, 10^-10 for OGM per pair); an OGM has only 10^10 values,
// so two links of a merchant can draw the same one: that is what attempts
// are for. A negative attempt or an unknown format is a programming error
// and panics.
func ForLink(linkID string, attempt int, format Format) string {
	if attempt < 0 {
		panic(fmt.Sprintf("reference.ForLink: negative attempt %d", attempt))
	}
	var (
		ref string
		err error
	)
	switch format {
	case RF:
		ref, err = MakeRF(rfBody(linkID, attempt))
	case BEOGM:
		h := linkHash(format, linkID, attempt)
		ref, err = MakeOGM(fmt.Sprintf("%010d", binary.BigEndian.Uint64(h[:8])%10_000_000_000))
	default:
		panic(fmt.Sprintf("reference.ForLink: unknown format %q", format))
	}
	if err != nil {
		panic(fmt.Sprintf("reference.ForLink(%q, %d, %s): %v", linkID, attempt, format, err))
	}
	return ref
}

// rfBody is an RF body for the link (see ForLink).
func rfBody(linkID string, attempt int) string {
	if attempt == 0 {
		b := make([]byte, 0, len(linkID))
		for i := 0; i < len(linkID); i++ {
			if c := linkID[i]; isASCIIAlnum(rune(c)) {
				b = append(b, c)
			}
		}
		if n := Normalize(string(b)); n != "" {
			return n[max(0, len(n)-rfMaxBody):]
		}
	}
	h := linkHash(RF, linkID, attempt)
	return crockford.EncodeToString(h[:])[:rfMaxBody]
}

// linkHash is SHA-256 over a domain label, the format, the id and the
// attempt in decimal, separated by NULs.
func linkHash(format Format, linkID string, attempt int) [sha256.Size]byte {
	return sha256.Sum256([]byte("paylinks/bank/reference\x00" + string(format) + "\x00" + linkID + "\x00" + strconv.Itoa(attempt)))
}
