package records

import (
	"context"
	"time"

	"github.com/dns-api/dns-api/fault"
)

// pollIntervals are the waits between two distribution checks: soon at
// first (DNSimple usually spreads a change in seconds), then every few
// seconds, to spare the account's budget.
var pollIntervals = []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 3 * time.Second}

// Await waits until every DNSimple name server serves what a write did,
// or until ctx ends, and reports which. A change is checked by its
// record's distribution, a removal by its zone's. A check that fails (a
// 504 when DNSimple cannot query its servers, a 5xx) is tried again at the
// next interval: it never turns a change that was made into an error. A
// spent rate budget ends the wait, undistributed.
func (s *Service) Await(ctx context.Context, o Outcome) bool {
	ids := []int64{0} // the zone
	if !o.removed {
		ids = ids[:0]
		for _, r := range o.Records {
			ids = append(ids, r.ID)
		}
	}
	for attempt := 0; ; attempt++ {
		done := true
		for len(ids) > 0 {
			ok, err := s.provider.Distributed(ctx, o.zone, ids[0])
			if fault.Is(err, fault.RateLimited) {
				return false
			}
			if err != nil || !ok {
				done = false
				break
			}
			ids = ids[1:] // this one is distributed: not asked again
		}
		if done {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(pollIntervals[min(attempt, len(pollIntervals)-1)]):
		}
	}
}
