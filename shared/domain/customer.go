package domain

import (
	"errors"
	"strings"
	"time"
	"unicode"

	"github.com/paylinks/paylinks/shared/validate"
)

// ErrCustomerArchived is a new link for an archived or erased customer.
var ErrCustomerArchived = errors.New("the customer is archived or erased")

// Address is a customer's postal address.
type Address struct {
	Line1      string `json:"line1,omitempty" dynamodbav:"line1,omitempty"`
	Line2      string `json:"line2,omitempty" dynamodbav:"line2,omitempty"`
	PostalCode string `json:"postal_code,omitempty" dynamodbav:"postal_code,omitempty"`
	City       string `json:"city,omitempty" dynamodbav:"city,omitempty"`
	Region     string `json:"region,omitempty" dynamodbav:"region,omitempty"`
	Country    string `json:"country,omitempty" dynamodbav:"country,omitempty"`
}

// CustomerRecord is a merchant's customer (docs/api.md, Customers): who links
// are for, kept apart from the snapshot each link holds.
type CustomerRecord struct {
	ID             string            `json:"id" dynamodbav:"id"`
	CustomerNumber *string           `json:"customer_number" dynamodbav:"customer_number,omitempty"`
	Type           string            `json:"type" dynamodbav:"type_"`
	FirstName      string            `json:"first_name,omitempty" dynamodbav:"first_name,omitempty"`
	LastName       string            `json:"last_name,omitempty" dynamodbav:"last_name,omitempty"`
	CompanyName    string            `json:"company_name,omitempty" dynamodbav:"company_name,omitempty"`
	Email          string            `json:"email,omitempty" dynamodbav:"email,omitempty"`
	Phone          string            `json:"phone,omitempty" dynamodbav:"phone,omitempty"`
	Language       string            `json:"language,omitempty" dynamodbav:"language,omitempty"`
	Country        string            `json:"country,omitempty" dynamodbav:"country,omitempty"`
	Address        *Address          `json:"address" dynamodbav:"address,omitempty"`
	Metadata       map[string]string `json:"metadata" dynamodbav:"metadata,omitempty"`
	Archived       bool              `json:"archived" dynamodbav:"archived"`
	Erased         bool              `json:"erased" dynamodbav:"erased"`
	// MergedFrom are the customers merged into this one (their links,
	// details and references moved here): an erasure reaches what still
	// names them (webhook deliveries sent before the merge).
	MergedFrom []string `json:"merged_from,omitempty" dynamodbav:"merged_from,omitempty"`
	// MergedInto is, on a merged customer's tombstone, the customer it
	// was merged into; Merging while its links are still being moved.
	MergedInto string    `json:"merged_into,omitempty" dynamodbav:"merged_into,omitempty"`
	Merging    bool      `json:"-" dynamodbav:"merging,omitempty"`
	Created    time.Time `json:"created_at" dynamodbav:"created_at"`
	Updated    time.Time `json:"updated_at" dynamodbav:"updated_at"`
}

// Contact is the customer's details as a link's snapshot holds them.
func (c *CustomerRecord) Contact() Customer {
	return Customer{FirstName: c.FirstName, LastName: c.LastName, CompanyName: c.CompanyName, Email: c.Email,
		Phone: c.Phone, Language: c.Language, Country: c.Country}
}

// CustomerInput is a customer as a request gives it; nil fields are left
// as they are (PATCH) or empty (create).
type CustomerInput struct {
	CustomerNumber *string            `json:"customer_number"`
	Type           *string            `json:"type"`
	FirstName      *string            `json:"first_name"`
	LastName       *string            `json:"last_name"`
	CompanyName    *string            `json:"company_name"`
	Email          *string            `json:"email"`
	Phone          *string            `json:"phone"`
	Language       *string            `json:"language"`
	Country        *string            `json:"country"`
	Address        *Address           `json:"address"`
	Metadata       *map[string]string `json:"metadata"`
}

// Apply returns cur changed by in and checked (field errors under prefix):
// a person needs first and last name, a company its name; the contact
// fields as a link's customer.
func (in *CustomerInput) Apply(prefix string, cur CustomerRecord) (CustomerRecord, error) {
	c := cur
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = strings.TrimSpace(*v)
		}
	}
	set(&c.Type, in.Type)
	set(&c.FirstName, in.FirstName)
	set(&c.LastName, in.LastName)
	set(&c.CompanyName, in.CompanyName)
	set(&c.Email, in.Email)
	set(&c.Phone, in.Phone)
	set(&c.Language, in.Language)
	set(&c.Country, in.Country)
	if in.CustomerNumber != nil {
		n := strings.TrimSpace(*in.CustomerNumber)
		c.CustomerNumber = &n
		if n == "" {
			c.CustomerNumber = nil
		}
	}
	if in.Address != nil {
		a := *in.Address
		c.Address = &a
	}
	if in.Metadata != nil {
		c.Metadata = *in.Metadata
	}
	if c.Type == "" {
		c.Type = "person"
		if c.CompanyName != "" && c.FirstName == "" {
			c.Type = "company"
		}
	}
	var errs FieldErrors
	checkRecord(prefix, &c, &errs)
	if len(errs) > 0 {
		return cur, errs
	}
	return c, nil
}

func checkRecord(prefix string, c *CustomerRecord, errs *FieldErrors) {
	p := func(f string) string {
		if prefix == "" {
			return f
		}
		return prefix + "." + f
	}
	switch c.Type {
	case "person":
		if c.FirstName == "" || c.LastName == "" {
			errs.Add(p("last_name"), "a person needs first_name and last_name")
		}
	case "company":
		if c.CompanyName == "" {
			errs.Add(p("company_name"), "a company needs company_name")
		}
	default:
		errs.Add(p("type"), "must be person or company")
	}
	contact := c.Contact()
	if c.Type == "person" || c.Type == "company" {
		CheckCustomer(prefix, &contact, errs)
		if prefix == "" {
			// CheckCustomer names fields "<prefix>.x": without a prefix
			// they would start with a dot.
			for i := range *errs {
				(*errs)[i].Field = strings.TrimPrefix((*errs)[i].Field, ".")
			}
		}
	}
	if n := c.CustomerNumber; n != nil && (!validate.Text(*n, 64) || strings.ContainsAny(*n, "#\n\r\t")) {
		errs.Add(p("customer_number"), "must be 1 to 64 characters, no # or control characters")
	}
	checkAddress(p, c.Address, errs)
	checkMetadata(p, c.Metadata, errs)
}

func checkAddress(p func(string) string, a *Address, errs *FieldErrors) {
	if a == nil {
		return
	}
	for f, v := range map[string]string{"line1": a.Line1, "line2": a.Line2, "postal_code": a.PostalCode, "city": a.City, "region": a.Region} {
		if v != "" && !validate.PayerText(v, 100) {
			errs.Add(p("address."+f), "must be 1 to 100 printable characters")
		}
	}
	if a.Country != "" && !validate.Country(a.Country) {
		errs.Add(p("address.country"), "must be an assigned ISO 3166-1 alpha-2 code such as BE")
	}
}

func checkMetadata(p func(string) string, md map[string]string, errs *FieldErrors) {
	if len(md) > 20 {
		errs.Add(p("metadata"), "at most 20 keys")
	}
	for k, v := range md {
		if !validate.Text(k, 40) || len(v) > 500 {
			errs.Add(p("metadata"), "keys of 1 to 40 characters, values of at most 500")
			break
		}
	}
}

// SearchKey folds a name for prefix search: lower case, accents removed,
// spaces collapsed ("Émile  Dupré" -> "emile dupre").
func SearchKey(s string) string {
	var b strings.Builder
	space := false
	for _, r := range strings.TrimSpace(s) {
		if unicode.IsSpace(r) {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		r = unicode.ToLower(r)
		if f, ok := folds[r]; ok {
			b.WriteString(f)
		} else if !unicode.Is(unicode.Mn, r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// folds maps accented Latin letters to their base letters.
var folds = func() map[rune]string {
	m := map[rune]string{'ß': "ss", 'æ': "ae", 'œ': "oe", 'ø': "o", 'ł': "l", 'đ': "d", 'ð': "d", 'þ': "th", 'ı': "i"}
	for base, accented := range map[string]string{
		"a": "àáâãäåāăą", "c": "çćĉċč", "d": "ď", "e": "èéêëēĕėęě", "g": "ĝğġģ", "h": "ĥħ", "i": "ìíîïĩīĭįİ",
		"j": "ĵ", "k": "ķ", "l": "ĺļľŀ", "n": "ñńņňŉ", "o": "òóôõöōŏő", "r": "ŕŗř", "s": "śŝşšș", "t": "ţťŧț",
		"u": "ùúûüũūŭůűų", "w": "ŵ", "y": "ýÿŷ", "z": "źżž",
	} {
		for _, r := range accented {
			m[r] = base
		}
	}
	return m
}()

// SearchTokens are the keys a customer is found by with a name prefix:
// first, last and company name, and "first last".
func (c *CustomerRecord) SearchTokens() []string {
	var out []string
	add := func(s string) {
		if k := SearchKey(s); k != "" {
			for _, x := range out {
				if x == k {
					return
				}
			}
			out = append(out, k)
		}
	}
	add(c.FirstName)
	add(c.LastName)
	add(c.CompanyName)
	if c.FirstName != "" && c.LastName != "" {
		add(c.FirstName + " " + c.LastName)
	}
	return out
}

// Erase is what remains of an erased customer: its id, type, language
// and times; erased and archived.
func Erase(c CustomerRecord) CustomerRecord {
	return CustomerRecord{ID: c.ID, Type: c.Type, Language: c.Language, Metadata: map[string]string{},
		Archived: true, Erased: true, Created: c.Created, Updated: c.Updated}
}
