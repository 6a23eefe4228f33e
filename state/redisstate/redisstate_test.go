package redisstate_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dns-api/dns-api/internal/redisserver"
	"github.com/dns-api/dns-api/state"
	"github.com/dns-api/dns-api/state/redisstate"
	"github.com/dns-api/dns-api/state/statetest"
)

func newStore(t *testing.T, url, prefix string, up func(bool)) *redisstate.Store {
	t.Helper()
	s, err := redisstate.New(context.Background(), redisstate.Options{
		URL: url, Lease: 2 * time.Second, Prefix: prefix, Up: up,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func randomPrefix() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "test-" + hex.EncodeToString(b[:]) + ":"
}

func TestRedisContract(t *testing.T) {
	server := redisserver.Start(t)
	statetest.Run(t, func(t *testing.T) (state.Store, state.Store) {
		// Two stores on one server: two instances of the service.
		prefix := randomPrefix()
		return newStore(t, server.URL, prefix, nil), newStore(t, server.URL, prefix, nil)
	})
}

func TestRedisFailureIsNotFailure(t *testing.T) {
	server := redisserver.Start(t)
	var ups, downs atomic.Int32
	s := newStore(t, server.URL, randomPrefix(), func(up bool) {
		if up {
			ups.Add(1)
		} else {
			downs.Add(1)
		}
	})
	ctx := context.Background()
	require.True(t, s.Up())
	require.NoError(t, s.Set(ctx, map[string][]byte{"k": []byte("shared")}, time.Minute))

	server.Stop()
	// Every operation still works, on this instance's own state.
	_, ok, err := s.Get(ctx, "k")
	require.NoError(t, err)
	assert.False(t, ok, "the shared entry is out of reach")
	assert.False(t, s.Up())
	require.NoError(t, s.Set(ctx, map[string][]byte{"k": []byte("local")}, time.Minute))
	got, ok, err := s.Get(ctx, "k")
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, "local", string(got))
	lease, err := s.Lock(ctx, "name")
	require.NoError(t, err, "locks go on locally")
	lease.Unlock()
	s.Report(ctx, 0, time.Now().Add(time.Hour))
	_, spent := s.Spent(ctx)
	assert.True(t, spent)
	assert.Equal(t, int32(1), downs.Load(), "one transition, told once")

	server.Restart()
	require.Eventually(t, s.Up, 10*time.Second, 20*time.Millisecond, "it recovers by itself")
	assert.Equal(t, int32(2), ups.Load(), "up at start, and up again")
	_, ok, err = s.Get(ctx, "k")
	require.NoError(t, err)
	assert.False(t, ok, "back on the shared cache (empty after the restart)")
}

func TestRedisDownAtStart(t *testing.T) {
	server := redisserver.Start(t)
	server.Stop()
	s := newStore(t, server.URL, randomPrefix(), nil)
	assert.False(t, s.Up(), "a Redis down at start is no reason not to start")
	ctx := context.Background()
	require.NoError(t, s.Set(ctx, map[string][]byte{"k": []byte("v")}, time.Minute))
	server.Restart()
	require.Eventually(t, s.Up, 10*time.Second, 20*time.Millisecond)
}

func TestLostLease(t *testing.T) {
	server := redisserver.Start(t)
	prefix := randomPrefix()
	s := newStore(t, server.URL, prefix, nil)
	lease, err := s.Lock(context.Background(), "name")
	require.NoError(t, err)
	// Someone else takes the name over (the lease expired, say).
	client := redis.NewClient(&redis.Options{Addr: server.URL[len("redis://") : len(server.URL)-2]})
	defer client.Close()
	require.NoError(t, client.Set(context.Background(), prefix+"l:name", "another-owner", time.Minute).Err())
	select {
	case <-lease.Lost():
	case <-time.After(10 * time.Second):
		t.Fatal("a lease taken over is noticed at its next renewal")
	}
	lease.Unlock()
	owner, err := client.Get(context.Background(), prefix+"l:name").Result()
	require.NoError(t, err)
	assert.Equal(t, "another-owner", owner, "and never released from under its new owner")
}
