package records

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestKeyedLocksSerialisePerKey(t *testing.T) {
	t.Parallel()
	locks := newKeyedLocks()
	var inside, maxInside atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			unlock, err := locks.lock(context.Background(), "example.com api")
			require.NoError(t, err)
			n := inside.Add(1)
			for {
				m := maxInside.Load()
				if n <= m || maxInside.CompareAndSwap(m, n) {
					break
				}
			}
			inside.Add(-1)
			unlock()
		}()
	}
	wg.Wait()
	assert.Equal(t, int32(1), maxInside.Load(), "one holder at a time")
	assert.Empty(t, locks.entries, "entries go when nobody holds or waits")
}

func TestKeyedLocksIndependentKeysAndCancel(t *testing.T) {
	t.Parallel()
	locks := newKeyedLocks()
	unlockA, err := locks.lock(context.Background(), "a")
	require.NoError(t, err)
	unlockB, err := locks.lock(context.Background(), "b")
	require.NoError(t, err, "another key is not blocked")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = locks.lock(ctx, "a")
	assert.ErrorIs(t, err, context.Canceled, "a waiter gives up with its context")

	unlockA()
	unlockB()
	assert.Empty(t, locks.entries)
	unlockA, err = locks.lock(context.Background(), "a")
	require.NoError(t, err, "the lock is free again")
	unlockA()
}
