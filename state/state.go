// Package state holds what outlives a request behind small interfaces: the
// read cache, the per-name locks and DNSimple's rate budget. One process
// keeps them in memory (Memory); several instances share them through
// Redis (package state/redisstate), so that they behave as one. Both are
// held to the same contract (package state/statetest).
package state

import (
	"context"
	"time"
)

// Store is the whole of the shared state.
type Store interface {
	Cache
	Locker
	Budget
}

// Cache keeps values for a while. A value is never served after its time
// to live, and Delete removes it for every instance sharing the cache.
type Cache interface {
	// Get returns the value of key, if it is there and fresh.
	Get(ctx context.Context, key string) ([]byte, bool, error)
	// Set stores values by key, each for ttl, at once (one round trip to
	// a shared store).
	Set(ctx context.Context, values map[string][]byte, ttl time.Duration) error
	// Delete removes keys.
	Delete(ctx context.Context, keys ...string) error
}

// Locker hands out locks on names, so that two writes to one record set
// never run at once, in one process or across several.
type Locker interface {
	// Lock waits for key's lock (or ctx's end) and returns the lease.
	Lock(ctx context.Context, key string) (Lease, error)
}

// Lease is a held lock. A shared lock is a lease that is renewed while it
// is held and can be lost (its store unreachable for longer than the
// lease): Lost says when, so that the holder knows its write may have run
// beside another.
type Lease interface {
	// Lost is closed if the lock is lost before Unlock.
	Lost() <-chan struct{}
	// Unlock releases the lock, if this lease still holds it.
	Unlock()
}

// Budget is the DNSimple account's rate budget as DNSimple last reported
// it: when it is spent, calls are refused until it resets, without asking
// DNSimple (which would only answer 429 and count it).
type Budget interface {
	// Spent reports whether the budget is spent, and until when.
	Spent(ctx context.Context) (until time.Time, spent bool)
	// Report records what an answer said of the budget: the calls left
	// in the window and when it resets.
	Report(ctx context.Context, remaining int, reset time.Time)
}
