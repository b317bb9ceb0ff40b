// Package backoff is how long a write that lost a race waits before it is
// tried again: a little, more with each try, with jitter.
package backoff

import (
	"math/rand/v2"
	"time"
)

// Delay is the wait before try (0, 1, ...): from 2.5-5 ms, doubling up to
// 80-160 ms from the fifth try on, uniformly jittered over its upper half.
func Delay(try int) time.Duration {
	d := time.Duration(5<<min(max(try, 0), 5)) * time.Millisecond
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}
