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
// to live, and a deletion (Set with a nil value) removes it for every
// instance sharing the cache.
//
// Writers Set; readers that fetched a value elsewhere Fill it,
// and a fill never overwrites what a write did while the reader was
// fetching: a key's version changes at every Set of it, and a
// fill stores only if the version is still the one Get saw before the
// fetch.
type Cache interface {
	// Get returns what key holds (one round trip to a shared store).
	Get(ctx context.Context, key string) (Entry, error)
	// Set stores values by key, each for ttl, at once (one round trip),
	// changing each key's version; a nil value deletes its key.
	Set(ctx context.Context, values map[string][]byte, ttl time.Duration) error
	// Fill stores values by key, each for ttl, at once, if key's version
	// is still version; otherwise it stores nothing.
	Fill(ctx context.Context, key string, version int64, values map[string][]byte, ttl time.Duration) error
}

// Entry is what Get finds at a key.
type Entry struct {
	Value []byte
	// Found says the value is there and fresh.
	Found bool
	// Version is the key's version, to give Fill.
	Version int64
}

// VersionLife is how long a shared store keeps a key's version after its
// last change: far longer than any read (a request lasts at most
// minutes), so that a fill is never matched against a forgotten version.
const VersionLife = time.Hour

// Locker hands out locks on names, so that two writes to one record set
// never run at once, in one process or across several.
type Locker interface {
	// Lock waits for key's lock (or ctx's end) and returns the lease.
	Lock(ctx context.Context, key string) (Lease, error)
	// Locked reports whether key's lock is held now, here or by another
	// instance (true when that cannot be known).
	Locked(ctx context.Context, key string) bool
}

// Lease is a held lock. A shared lock is a lease that is renewed while it
// is held and can be lost (its store unreachable for longer than the
// lease): Lost says when, so that the holder knows its write may have run
// beside another.
type Lease interface {
	// Lost is closed if the lock is lost before Unlock (noticed when a
	// renewal fails, or by Held).
	Lost() <-chan struct{}
	// Held asks the store whether the lease still holds the lock.
	Held(ctx context.Context) bool
	// Unlock releases the lock, if this lease still holds it, and
	// reports whether it did (false: the lease was lost, or released
	// already).
	Unlock() bool
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
