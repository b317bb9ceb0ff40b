package domain

import (
	"errors"
	"maps"
	"slices"
	"time"
)

// ErrMergedElsewhere is a merge of a customer already merged into another
// one than the one asked.
var ErrMergedElsewhere = errors.New("the customer was merged into another customer")

// CheckMerge says whether customer from may be merged into customer into
// (docs/api.md, Customers, Merge): another customer, neither erased, the
// kept one not itself merged. A from already merged into the same one is
// a merge to resume (nil); into another, ErrMergedElsewhere.
func CheckMerge(from, into *CustomerRecord) error {
	switch {
	case from.ID == into.ID:
		return FieldErrors{{Field: "into", Message: "must be another customer than the one merged"}}
	case from.MergedInto != "" && from.MergedInto != into.ID:
		return ErrMergedElsewhere
	case from.MergedInto != "":
		return nil
	case into.MergedInto != "":
		return FieldErrors{{Field: "into", Message: "was itself merged into " + into.MergedInto + ": merge into that one"}}
	case into.Erased:
		return FieldErrors{{Field: "into", Message: "is erased"}}
	case from.Erased:
		return FieldErrors{{Field: "id", Message: "an erased customer holds nothing to merge"}}
	}
	return nil
}

// Absorb is customer into after from is merged into it: each detail into
// lacks taken from from (number, names, contact, address, metadata keys
// it has not), from's id added to MergedFrom once. Absorbing the same
// customer again changes nothing more.
func Absorb(into, from CustomerRecord, now time.Time) CustomerRecord {
	c := into
	fill := func(dst *string, v string) {
		if *dst == "" {
			*dst = v
		}
	}
	if c.CustomerNumber == nil && from.CustomerNumber != nil {
		n := *from.CustomerNumber
		c.CustomerNumber = &n
	}
	fill(&c.FirstName, from.FirstName)
	fill(&c.LastName, from.LastName)
	fill(&c.CompanyName, from.CompanyName)
	fill(&c.Email, from.Email)
	fill(&c.Phone, from.Phone)
	fill(&c.Language, from.Language)
	fill(&c.Country, from.Country)
	if c.Address == nil && from.Address != nil {
		a := *from.Address
		c.Address = &a
	}
	md := maps.Clone(from.Metadata)
	if md == nil {
		md = map[string]string{}
	}
	maps.Copy(md, c.Metadata)
	if len(md) <= 20 {
		c.Metadata = md
	}
	if !slices.Contains(c.MergedFrom, from.ID) {
		c.MergedFrom = append(slices.Clone(c.MergedFrom), from.ID)
		c.MergedFrom = append(c.MergedFrom, from.MergedFrom...)
		c.Updated = now
	}
	return c
}

// MergedTombstone is what remains of a customer merged into another: its
// id, type, the kept customer's id and times; archived, still Merging
// until its links are moved. Its details live on in the kept customer.
func MergedTombstone(from CustomerRecord, into string, now time.Time) CustomerRecord {
	return CustomerRecord{ID: from.ID, Type: from.Type, MergedInto: into, Merging: true, Metadata: map[string]string{},
		Archived: true, Created: from.Created, Updated: now}
}
