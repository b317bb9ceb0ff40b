package dashboard

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/paylinks/paylinks/shared/cognito"
	"github.com/paylinks/paylinks/shared/reqlog"
	"github.com/paylinks/paylinks/shared/store"
)

// Sign-in throttles (store.Throttle, in the table: they hold across the
// function's instances). Per account, the e-mail as normalised, whether
// the pool knows it or not (the same counting and the same answers, so
// the throttle tells nothing of who exists): 5 failures, then a wait
// doubling from a second up to 15 minutes. Per client address a larger
// budget: 20, then the same. The TOTP code step has its own per-account
// count (a right password does not reset it). While a wait is due the
// credential is not checked at all: even the right one is answered 429.
var (
	accountThrottle = store.Throttle{Free: 5, Base: time.Second, Max: 15 * time.Minute, Window: time.Hour}
	addressThrottle = store.Throttle{Free: 20, Base: time.Second, Max: 15 * time.Minute, Window: time.Hour}
)

// Kinds of sign-in throttles (store.ThrottleKey).
const (
	throttlePassword = "SIGNIN"
	throttleCode     = "MFA"
	throttleAddress  = "ADDR"
)

// signInGates are an attempt's throttles: the client address's, then the
// account's for the step (throttlePassword or throttleCode).
func signInGates(r *http.Request, step, email string) []store.Gate {
	return []store.Gate{
		{Key: store.ThrottleKey(throttleAddress, clientIP(r)), Throttle: addressThrottle},
		{Key: store.ThrottleKey(step, strings.TrimSpace(strings.ToLower(email))), Throttle: accountThrottle},
	}
}

// throttled counts a sign-in attempt through its gates (one write) and
// reports whether it was refused: a wait is due (429 with Retry-After, the
// seconds in the page form draws too) or the table failed (503).
func (d *Dashboard) throttled(w http.ResponseWriter, r *http.Request, gates []store.Gate, form func(status int, problem string)) bool {
	wait, err := d.Store.Attempt(r.Context(), d.Now(), gates...)
	if err != nil {
		d.fail(w, r, markUnavailable(err))
		return true
	}
	if wait <= 0 {
		return false
	}
	secs := strconv.Itoa(max(1, int(math.Ceil(wait.Seconds()))))
	reqlog.Set(r.Context(), "outcome", "sign_in_throttled")
	w.Header().Set("Retry-After", secs)
	form(http.StatusTooManyRequests, langOf(r).tf("sign_in_throttled", "seconds", secs))
	return true
}

// settle ends a counted attempt by the pool's answer: a refused credential
// stays counted; a right one resets the account's count and gives the
// address its attempt back; an attempt the pool could not check is given
// back to both.
func (d *Dashboard) settle(ctx context.Context, gates []store.Gate, err error) {
	var reset, refund []store.Gate
	switch {
	case errors.Is(err, cognito.ErrBadCredentials), errors.Is(err, cognito.ErrBadCode), errors.Is(err, cognito.ErrExpiredStep):
		return
	case err == nil:
		reset, refund = gates[1:], gates[:1]
	default:
		refund = gates
	}
	if err := d.Store.Settle(ctx, reset, refund); err != nil {
		d.Log.Error("sign-in throttle", "error", err.Error())
	}
}
