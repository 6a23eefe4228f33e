package state

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Memory is the state of one process.
type Memory struct {
	now func() time.Time

	mu       sync.Mutex
	entries  map[string]entry
	versions map[string]version
	clock    int64 // the last version given: versions never repeat
	locks    map[string]*lockEntry
	spent    time.Time // the budget is spent until then
}

// version is a key's version and when it was given.
type version struct {
	n  int64
	at time.Time
}

type entry struct {
	value   []byte
	expires time.Time
}

// lockEntry is one name's lock: a token channel holding one value while
// it is locked, and how many hold or wait for it (so the map does not
// grow).
type lockEntry struct {
	token chan struct{}
	users int
}

var _ Store = (*Memory)(nil)

// maxEntries bounds the cache; past it, expired entries are swept, and if
// none are, the cache starts afresh (it is only a cache).
const maxEntries = 100000

// NewMemory returns an empty in-process store; now is its clock (nil means
// time.Now).
func NewMemory(now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	return &Memory{now: now, entries: map[string]entry{}, versions: map[string]version{}, locks: map[string]*lockEntry{}}
}

// Get implements Cache.
func (m *Memory) Get(_ context.Context, key string) (Entry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	found := Entry{Version: m.versions[key].n}
	if e, ok := m.entries[key]; ok && m.now().Before(e.expires) {
		found.Value, found.Found = e.value, true
	}
	return found, nil
}

// Set implements Cache.
func (m *Memory) Set(_ context.Context, values map[string][]byte, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.store(values, ttl)
	for k := range values {
		m.bump(k)
	}
	return nil
}

// Fill implements Cache.
func (m *Memory) Fill(_ context.Context, key string, version int64, values map[string][]byte, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.versions[key].n == version {
		m.store(values, ttl)
	}
	return nil
}

// store keeps values; m.mu is held.
func (m *Memory) store(values map[string][]byte, ttl time.Duration) {
	now := m.now()
	if len(m.entries)+len(values) > maxEntries {
		for k, e := range m.entries {
			if !now.Before(e.expires) {
				delete(m.entries, k)
			}
		}
		if len(m.entries)+len(values) > maxEntries {
			clear(m.entries)
		}
	}
	for k, v := range values {
		if v == nil {
			delete(m.entries, k)
			continue
		}
		m.entries[k] = entry{value: v, expires: now.Add(ttl)}
	}
}

// bump gives key a new version; m.mu is held. Versions older than
// VersionLife are forgotten when there are many (only writes bump, and
// DNSimple's budget bounds the writes of an hour).
func (m *Memory) bump(key string) {
	now := m.now()
	if len(m.versions) >= maxEntries {
		for k, v := range m.versions {
			if now.Sub(v.at) > VersionLife {
				delete(m.versions, k)
			}
		}
	}
	m.clock++
	m.versions[key] = version{n: m.clock, at: now}
}

// Lock implements Locker. In one process a lock is never lost.
func (m *Memory) Lock(ctx context.Context, key string) (Lease, error) {
	m.mu.Lock()
	e := m.locks[key]
	if e == nil {
		e = &lockEntry{token: make(chan struct{}, 1)}
		m.locks[key] = e
	}
	e.users++
	m.mu.Unlock()

	select {
	case e.token <- struct{}{}:
		return &memoryLease{release: func() { <-e.token; m.leave(key, e) }}, nil
	case <-ctx.Done():
		m.leave(key, e)
		return nil, ctx.Err()
	}
}

// Locked implements Locker.
func (m *Memory) Locked(_ context.Context, key string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.locks[key]
	return e != nil && len(e.token) > 0
}

func (m *Memory) leave(key string, e *lockEntry) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e.users--
	if e.users == 0 {
		delete(m.locks, key)
	}
}

type memoryLease struct {
	once     sync.Once
	unlocked atomic.Bool
	release  func()
}

// neverLost is the Lost channel of a lease that cannot be lost.
var neverLost = make(chan struct{})

func (l *memoryLease) Lost() <-chan struct{} { return neverLost }

// Held implements Lease: in one process a lock is held until Unlock.
func (l *memoryLease) Held(context.Context) bool { return !l.unlocked.Load() }

func (l *memoryLease) Unlock() bool {
	released := false
	l.once.Do(func() {
		l.unlocked.Store(true)
		l.release()
		released = true
	})
	return released
}

// Spent implements Budget.
func (m *Memory) Spent(context.Context) (time.Time, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.spent, m.now().Before(m.spent)
}

// Report implements Budget: no call left means spent until the reset.
func (m *Memory) Report(_ context.Context, remaining int, reset time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if remaining <= 0 {
		m.spent = reset
	} else if m.now().Before(m.spent) && reset.After(m.spent) {
		// A new window has opened since.
		m.spent = time.Time{}
	}
}
