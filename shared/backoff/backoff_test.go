package backoff_test

import (
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/backoff"
)

// Every delay lies in its try's range, and the ranges grow to a cap.
func TestDelayRanges(t *testing.T) {
	for try := -1; try < 12; try++ {
		top := time.Duration(5<<min(max(try, 0), 5)) * time.Millisecond
		for range 500 {
			if d := backoff.Delay(try); d < top/2 || d > top {
				t.Fatalf("try %d: %v outside [%v, %v]", try, d, top/2, top)
			}
		}
	}
	if top := 160 * time.Millisecond; backoff.Delay(40) > top {
		t.Fatal("the delay is not capped")
	}
}
