package records

import (
	"context"
	"sync"
)

// keyedLocks serialises work per key (a zone and a name) inside one
// process, so that two concurrent upserts of one name cannot both decide to
// create. Waiting honours the caller's context. Entries exist only while
// somebody holds or waits for them, so the map does not grow.
type keyedLocks struct {
	mu      sync.Mutex
	entries map[string]*lockEntry
}

type lockEntry struct {
	token chan struct{} // holds one value while the key is locked
	users int           // holders plus waiters
}

func newKeyedLocks() *keyedLocks {
	return &keyedLocks{entries: make(map[string]*lockEntry)}
}

// lock takes the key's lock, or fails with the context's error. The
// returned function releases it.
func (k *keyedLocks) lock(ctx context.Context, key string) (unlock func(), err error) {
	k.mu.Lock()
	e := k.entries[key]
	if e == nil {
		e = &lockEntry{token: make(chan struct{}, 1)}
		k.entries[key] = e
	}
	e.users++
	k.mu.Unlock()

	select {
	case e.token <- struct{}{}:
		return func() { <-e.token; k.release(key, e) }, nil
	case <-ctx.Done():
		k.release(key, e)
		return nil, ctx.Err()
	}
}

func (k *keyedLocks) release(key string, e *lockEntry) {
	k.mu.Lock()
	defer k.mu.Unlock()
	e.users--
	if e.users == 0 {
		delete(k.entries, key)
	}
}
