// Package brand holds a merchant's brand as its customers see it: a logo
// (a PNG, decoded and encoded again so that only its pixels are kept), an
// accent colour that white text on it can be read on (WCAG 2.x AA, 4.5:1)
// and a support e-mail address or phone number. Its checks are pure.
package brand

import (
	"strings"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/validate"
)

// Settings is a merchant's brand as stored with its settings; the logo's
// pixels are stored apart (its Logo says which and how large).
type Settings struct {
	// AccentColor is "#rrggbb" in lower case ("": paylinks' own blue):
	// the colour of the customer pages' and e-mails' pay button, under
	// white text.
	AccentColor  string `json:"accent_color,omitempty" dynamodbav:"accent_color,omitempty"`
	SupportEmail string `json:"support_email,omitempty" dynamodbav:"support_email,omitempty"`
	SupportPhone string `json:"support_phone,omitempty" dynamodbav:"support_phone,omitempty"`
	Logo         *Logo  `json:"logo,omitempty" dynamodbav:"logo,omitempty"`
}

// Logo describes the merchant's cleaned logo.
type Logo struct {
	// ETag is the first 16 hex digits of the cleaned PNG's SHA-256: its
	// HTTP entity tag and the version in its URL.
	ETag   string `json:"etag" dynamodbav:"etag"`
	Width  int    `json:"width" dynamodbav:"width"`
	Height int    `json:"height" dynamodbav:"height"`
	Bytes  int    `json:"bytes" dynamodbav:"bytes"`
}

// Empty reports a brand with nothing set.
func (s *Settings) Empty() bool {
	return s == nil || (s.AccentColor == "" && s.SupportEmail == "" && s.SupportPhone == "" && s.Logo == nil)
}

// DefaultAccent is paylinks' own button colour (5.1:1 under white text).
const DefaultAccent = "#0b5cff"

// Accent is the accent colour in effect: the merchant's, else DefaultAccent.
func (s *Settings) Accent() string {
	if s == nil || s.AccentColor == "" {
		return DefaultAccent
	}
	return s.AccentColor
}

// Input is a change of the brand's words and colour: a field left out
// (nil) keeps its value, "" clears it.
type Input struct {
	AccentColor  *string `json:"accent_color"`
	SupportEmail *string `json:"support_email"`
	SupportPhone *string `json:"support_phone"`
}

// maxEmail is the longest support address (RFC 5321's path limit).
const maxEmail = 254

// Check is cur with in applied, or the fields in refuses: an accent colour
// that is not #rrggbb or under which white text does not reach MinContrast,
// an e-mail address or phone number (E.164) that the customer fields would
// refuse too (shared/validate).
func Check(cur Settings, in Input) (Settings, domain.FieldErrors) {
	var errs domain.FieldErrors
	next := cur
	if in.AccentColor != nil {
		next.AccentColor = ""
		if *in.AccentColor != "" {
			c, ok := ParseColor(*in.AccentColor)
			switch {
			case !ok:
				errs.Add("accent_color", `must be a colour written "#rrggbb", such as "#0b5cff"`)
			case Contrast(c, White) < MinContrast:
				errs.Add("accent_color", accentTooLight(c))
			default:
				next.AccentColor = c.String()
			}
		}
	}
	if in.SupportEmail != nil {
		next.SupportEmail = strings.TrimSpace(*in.SupportEmail)
		if next.SupportEmail != "" && (len(next.SupportEmail) > maxEmail || !validate.Email(next.SupportEmail)) {
			errs.Add("support_email", "must be an e-mail address, such as help@example.com")
		}
	}
	if in.SupportPhone != nil {
		next.SupportPhone = strings.TrimSpace(*in.SupportPhone)
		if next.SupportPhone != "" && !validate.Phone(next.SupportPhone) {
			errs.Add("support_phone", "must be a phone number in international form, such as +32470123456")
		}
	}
	return next, errs
}

// LogoPath is where the customer pages serve the logo of a link's
// merchant (code is the link's public code), versioned by its ETag so
// that it can be cached for long: "" when there is no logo.
func (s *Settings) LogoPath(code string) string {
	if s == nil || s.Logo == nil {
		return ""
	}
	return "/l/" + code + "/logo.png?v=" + s.Logo.ETag
}
