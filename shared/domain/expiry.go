package domain

import (
	"errors"
	"time"
)

// Expiry rules of docs/api.md (Payment links).
const (
	DefaultExpiry = 30 * 24 * time.Hour
	MaxExpiry     = 90 * 24 * time.Hour
	MinExpiry     = 15 * time.Minute
	MaxExpiryDays = 90
)

// Expiry errors.
var (
	ErrExpiryBoth     = errors.New("give expires_at or expires_in_days, not both")
	ErrExpiryTooSoon  = errors.New("expiry must be at least 15 minutes ahead")
	ErrExpiryTooLate  = errors.New("expiry must be at most 90 days ahead")
	ErrExpiryDaysZero = errors.New("expires_in_days must be between 1 and 90")
)

// ResolveExpiry applies the rules to what the integrator gave: an absolute
// time, a number of days, or neither (the default).
func ResolveExpiry(now time.Time, at *time.Time, days *int) (time.Time, error) {
	switch {
	case at != nil && days != nil:
		return time.Time{}, ErrExpiryBoth
	case days != nil:
		if *days < 1 || *days > MaxExpiryDays {
			return time.Time{}, ErrExpiryDaysZero
		}
		return now.Add(time.Duration(*days) * 24 * time.Hour).UTC(), nil
	case at != nil:
		d := at.Sub(now)
		if d < MinExpiry {
			return time.Time{}, ErrExpiryTooSoon
		}
		if d > MaxExpiry {
			return time.Time{}, ErrExpiryTooLate
		}
		return at.UTC(), nil
	default:
		return now.Add(DefaultExpiry).UTC(), nil
	}
}
