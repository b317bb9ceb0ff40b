package domain

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"
)

// Id prefixes of docs/api.md.
const (
	PrefixLink   = "pl_"
	PrefixRefund = "re_"
	PrefixEvent  = "ev_"
	PrefixImport = "im_"
	PrefixReview = "py_" // a PSP payment kept for review
)

// NewID returns prefix + a ULID (time-ordered, 80 random bits from crypto/rand).
func NewID(prefix string, t time.Time) string {
	return prefix + ulid.MustNew(ulid.Timestamp(t), rand.Reader).String()
}

var (
	monoMu      sync.Mutex
	monoEntropy = ulid.Monotonic(rand.Reader, 0)
)

// NewSeqID is NewID with monotonic entropy: ids made by one process in the
// same millisecond still sort in the order they were made (timeline events).
// Not for anything that must be unguessable.
func NewSeqID(prefix string, t time.Time) string {
	monoMu.Lock()
	defer monoMu.Unlock()
	return prefix + ulid.MustNew(ulid.Timestamp(t), monoEntropy).String()
}

// IDTime returns the time encoded in an id made by NewID.
func IDTime(id string) (time.Time, bool) {
	i := strings.IndexByte(id, '_')
	u, err := ulid.ParseStrict(id[i+1:])
	if err != nil {
		return time.Time{}, false
	}
	return ulid.Time(u.Time()), true
}

// ValidID reports an id with the prefix and a well-formed ULID.
func ValidID(prefix, id string) bool {
	if !strings.HasPrefix(id, prefix) {
		return false
	}
	_, err := ulid.ParseStrict(id[len(prefix):])
	return err == nil
}

var merchantRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,31}$`) })

// ValidMerchantID reports a merchant id: lowercase letters, digits and dashes.
func ValidMerchantID(m string) bool { return merchantRe().MatchString(m) }

// ErrBadCode is returned for a public code that cannot be one of ours.
var ErrBadCode = errors.New("malformed link code")

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// codeLen is the base62 width of 20 bytes (160 bits): the link's ULID (16
// bytes) and a 32-bit tag.
const codeLen = 27

// Code is the public part of a link's URL: "<merchant>_<27 base62>". It
// locates the link (merchant and id) so that a click is one round trip. Its
// last 32 bits are a tag, an HMAC-SHA256 of the merchant and the link id
// under the deployment's link-code key: a forged or mistyped code is refused
// before any table read. The ULID's 80 random bits keep it unguessable, and
// the stored code is compared on every use.
type Code struct {
	Merchant string
	LinkID   string
	Tag      uint32
}

// CodeKey signs link codes (LINK_CODE_SECRET; generated at deploy and kept
// for the life of the deployment: codes made under one key do not verify
// under another).
type CodeKey []byte

// ErrNoCodeKey is a code key too short to sign with.
var ErrNoCodeKey = errors.New("link-code key missing or shorter than 32 bytes")

func (k CodeKey) tag(merchant string, u ulid.ULID) uint32 {
	h := hmac.New(sha256.New, k)
	h.Write([]byte("paylinks-link-code\x00" + merchant + "\x00"))
	h.Write(u[:])
	return binary.BigEndian.Uint32(h.Sum(nil))
}

// NewCode makes the code of a link.
func (k CodeKey) NewCode(merchant, linkID string) (string, error) {
	if len(k) < 32 {
		return "", ErrNoCodeKey
	}
	u, err := ulid.ParseStrict(strings.TrimPrefix(linkID, PrefixLink))
	if err != nil || !ValidMerchantID(merchant) {
		return "", fmt.Errorf("link code for %s/%s: %w", merchant, linkID, ErrBadCode)
	}
	return Code{Merchant: merchant, LinkID: linkID, Tag: k.tag(merchant, u)}.String(), nil
}

// Verify parses a code and checks its tag: ErrBadCode for anything this
// deployment did not make, without reading anything.
func (k CodeKey) Verify(s string) (Code, error) {
	c, err := ParseCode(s)
	if err != nil || len(k) < 32 {
		return Code{}, ErrBadCode
	}
	u := ulid.MustParseStrict(strings.TrimPrefix(c.LinkID, PrefixLink))
	var got, want [4]byte
	binary.BigEndian.PutUint32(got[:], c.Tag)
	binary.BigEndian.PutUint32(want[:], k.tag(c.Merchant, u))
	if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
		return Code{}, ErrBadCode
	}
	return c, nil
}

// String encodes the code.
func (c Code) String() string {
	u := ulid.MustParseStrict(strings.TrimPrefix(c.LinkID, PrefixLink))
	var raw [20]byte
	copy(raw[:16], u[:])
	binary.BigEndian.PutUint32(raw[16:], c.Tag)
	n := new(big.Int).SetBytes(raw[:])
	out := make([]byte, codeLen)
	base := big.NewInt(62)
	mod := new(big.Int)
	for i := codeLen - 1; i >= 0; i-- {
		n.DivMod(n, base, mod)
		out[i] = base62[mod.Int64()]
	}
	return c.Merchant + "_" + string(out)
}

// ParseCode decodes a public code's format; it proves neither its tag
// (CodeKey.Verify) nor that the link exists.
func ParseCode(s string) (Code, error) {
	i := strings.LastIndexByte(s, '_')
	if i < 0 || len(s)-i-1 != codeLen || !ValidMerchantID(s[:i]) {
		return Code{}, ErrBadCode
	}
	n := new(big.Int)
	base := big.NewInt(62)
	for _, ch := range []byte(s[i+1:]) {
		d := strings.IndexByte(base62, ch)
		if d < 0 {
			return Code{}, ErrBadCode
		}
		n.Mul(n, base).Add(n, big.NewInt(int64(d)))
	}
	if n.BitLen() > 160 {
		return Code{}, ErrBadCode
	}
	var raw [20]byte
	n.FillBytes(raw[:])
	var u ulid.ULID
	copy(u[:], raw[:16])
	return Code{Merchant: s[:i], LinkID: PrefixLink + u.String(), Tag: binary.BigEndian.Uint32(raw[16:])}, nil
}
