// Package statetest is the contract every state.Store implementation is
// held to, in the manner of libdns's libdnstest: one suite, run against
// the in-process store and the Redis one alike.
package statetest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dns-api/dns-api/state"
)

// Run runs the contract against stores made by newStore. Each call of
// newStore gives a view of one shared state (for Redis: another client of
// the same server, as another instance would be), with a fresh key space
// per test.
func Run(t *testing.T, newStore func(t *testing.T) (a, b state.Store)) {
	t.Run("cache", func(t *testing.T) { testCache(t, newStore) })
	t.Run("cache expiry", func(t *testing.T) { testCacheExpiry(t, newStore) })
	t.Run("a fill never undoes a write", func(t *testing.T) { testFill(t, newStore) })
	t.Run("locks", func(t *testing.T) { testLocks(t, newStore) })
	t.Run("lock waits honour the context", func(t *testing.T) { testLockContext(t, newStore) })
	t.Run("budget", func(t *testing.T) { testBudget(t, newStore) })
}

// lookup returns the value at key, if any.
func lookup(t *testing.T, s state.Store, key string) (string, bool) {
	t.Helper()
	e, err := s.Get(context.Background(), key)
	require.NoError(t, err)
	return string(e.Value), e.Found
}

// version returns key's version.
func version(t *testing.T, s state.Store, key string) int64 {
	t.Helper()
	e, err := s.Get(context.Background(), key)
	require.NoError(t, err)
	return e.Version
}

func testCache(t *testing.T, newStore func(t *testing.T) (a, b state.Store)) {
	a, b := newStore(t)
	ctx := context.Background()
	_, ok := lookup(t, a, "k")
	assert.False(t, ok, "an empty cache")
	require.NoError(t, a.Set(ctx, map[string][]byte{"k": []byte("v1")}, time.Minute))
	got, ok := lookup(t, b, "k")
	require.True(t, ok, "one instance's entry is seen by the other")
	assert.Equal(t, "v1", got)
	require.NoError(t, b.Set(ctx, map[string][]byte{"k": []byte("v2")}, time.Minute))
	got, _ = lookup(t, a, "k")
	assert.Equal(t, "v2", got, "and its update")
	require.NoError(t, a.Set(ctx, map[string][]byte{"other": []byte("x"), "third": []byte("y")}, time.Minute))
	got, ok = lookup(t, b, "third")
	assert.True(t, ok && got == "y", "several values at once")
	require.NoError(t, b.Set(ctx, map[string][]byte{"third": nil, "fourth": []byte("z")}, time.Minute))
	_, ok = lookup(t, a, "third")
	assert.False(t, ok, "a nil value deletes its key")
	got, _ = lookup(t, a, "fourth")
	assert.Equal(t, "z", got, "beside the values set")
	require.NoError(t, b.Set(ctx, map[string][]byte{"k": nil, "other": nil, "never-set": nil}, time.Minute))
	for _, k := range []string{"k", "other"} {
		_, ok = lookup(t, a, k)
		assert.False(t, ok, "and its deletion of %s", k)
	}
}

// testFill holds the rule that keeps a slow read from bringing back what
// a write replaced: a reader takes the key's version before it fetches,
// and its fill stores only if no write came in between, on any instance.
func testFill(t *testing.T, newStore func(t *testing.T) (a, b state.Store)) {
	a, b := newStore(t)
	ctx := context.Background()
	get := func(s state.Store, key string) string {
		v, ok := lookup(t, s, key)
		if !ok {
			return "(none)"
		}
		return v
	}

	seen := version(t, a, "k")
	require.NoError(t, a.Fill(ctx, "k", seen, map[string][]byte{"k": []byte("read"), "id": []byte("zone")}, time.Minute))
	assert.Equal(t, "read", get(b, "k"), "a fill with nothing in between stores")
	assert.Equal(t, "zone", get(b, "id"), "every value of it")

	seen = version(t, a, "k")
	require.NoError(t, b.Set(ctx, map[string][]byte{"k": []byte("written")}, time.Minute))
	require.NoError(t, a.Fill(ctx, "k", seen, map[string][]byte{"k": []byte("stale")}, time.Minute))
	assert.Equal(t, "written", get(a, "k"), "a fill does not overwrite a write made since its version")

	seen = version(t, a, "k")
	require.NoError(t, b.Set(ctx, map[string][]byte{"k": nil}, time.Minute))
	require.NoError(t, a.Fill(ctx, "k", seen, map[string][]byte{"k": []byte("stale")}, time.Minute))
	assert.Equal(t, "(none)", get(b, "k"), "nor brings back what a write dropped")

	seen = version(t, b, "k")
	require.NoError(t, a.Fill(ctx, "k", seen, map[string][]byte{"k": []byte("fresh")}, time.Minute))
	assert.Equal(t, "fresh", get(a, "k"), "a read after the write fills")
	require.NoError(t, b.Fill(ctx, "k", seen, map[string][]byte{"k": []byte("again")}, time.Minute))
	assert.Equal(t, "again", get(a, "k"), "fills do not change the version")
}

func testCacheExpiry(t *testing.T, newStore func(t *testing.T) (a, b state.Store)) {
	a, b := newStore(t)
	ctx := context.Background()
	require.NoError(t, a.Set(ctx, map[string][]byte{"short": []byte("v")}, 50*time.Millisecond))
	require.NoError(t, a.Set(ctx, map[string][]byte{"long": []byte("v")}, time.Minute))
	// Never served after its time to live: wait until it is gone, with
	// a bound that only stops a broken store from hanging the test.
	require.Eventually(t, func() bool {
		e, err := b.Get(ctx, "short")
		return err == nil && !e.Found
	}, 5*time.Second, 10*time.Millisecond)
	_, ok := lookup(t, b, "long")
	assert.True(t, ok)
}

func testLocks(t *testing.T, newStore func(t *testing.T) (a, b state.Store)) {
	a, b := newStore(t)
	ctx := context.Background()
	var inside, most atomic.Int32
	var wg sync.WaitGroup
	for i := range 20 {
		store := a
		if i%2 == 1 {
			store = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			lease, err := store.Lock(ctx, "name")
			if !assert.NoError(t, err) {
				return
			}
			n := inside.Add(1)
			for {
				m := most.Load()
				if n <= m || most.CompareAndSwap(m, n) {
					break
				}
			}
			time.Sleep(time.Millisecond)
			inside.Add(-1)
			select {
			case <-lease.Lost():
				t.Error("a lease held briefly was lost")
			default:
			}
			assert.True(t, lease.Held(ctx), "a lease is held until Unlock")
			lease.Unlock()
		}()
	}
	wg.Wait()
	assert.Equal(t, int32(1), most.Load(), "one holder at a time, across both views")

	// Other names do not wait; an unlock twice is harmless.
	assert.False(t, b.Locked(ctx, "one"), "a free name is not locked")
	l1, err := a.Lock(ctx, "one")
	require.NoError(t, err)
	assert.True(t, a.Locked(ctx, "one"), "a held lock is locked")
	assert.True(t, b.Locked(ctx, "one"), "for every instance")
	l2, err := b.Lock(ctx, "two")
	require.NoError(t, err)
	assert.True(t, l1.Unlock(), "a lease held until its release says so")
	assert.False(t, l1.Unlock(), "a second release releases nothing")
	assert.False(t, l1.Held(ctx), "nor after")
	l2.Unlock()
	assert.False(t, b.Locked(ctx, "one"), "and free again once released")
	l3, err := b.Lock(ctx, "one")
	require.NoError(t, err, "released for the other view")
	l3.Unlock()
}

func testLockContext(t *testing.T, newStore func(t *testing.T) (a, b state.Store)) {
	a, b := newStore(t)
	held, err := a.Lock(context.Background(), "busy")
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = b.Lock(ctx, "busy")
	assert.ErrorIs(t, err, context.DeadlineExceeded, "a wait ends with its context")
	held.Unlock()
	lease, err := b.Lock(context.Background(), "busy")
	require.NoError(t, err, "and leaves nothing behind")
	lease.Unlock()
}

func testBudget(t *testing.T, newStore func(t *testing.T) (a, b state.Store)) {
	a, b := newStore(t)
	ctx := context.Background()
	_, spent := b.Spent(ctx)
	assert.False(t, spent, "a fresh budget")
	reset := time.Now().Add(time.Hour).Truncate(time.Second)
	a.Report(ctx, 100, reset)
	_, spent = b.Spent(ctx)
	assert.False(t, spent, "calls left")
	a.Report(ctx, 0, reset)
	// The other view learns it (a shared store may take a moment to
	// pass it on).
	require.Eventually(t, func() bool { _, spent := b.Spent(ctx); return spent }, 5*time.Second, 10*time.Millisecond,
		"one instance's spent budget is every instance's")
	until, _ := b.Spent(ctx)
	assert.Equal(t, reset.Unix(), until.Unix(), "until the reset")
	a.Report(ctx, 2399, reset.Add(time.Hour))
	require.Eventually(t, func() bool { _, spent := b.Spent(ctx); return !spent }, 5*time.Second, 10*time.Millisecond,
		"a new window reopens it")
	past := time.Now().Add(-time.Second)
	a.Report(ctx, 0, past)
	_, spent = b.Spent(ctx)
	assert.False(t, spent, "a reset in the past is no wait: %v", fmt.Sprint(past))
}
