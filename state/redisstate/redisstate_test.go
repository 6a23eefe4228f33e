package redisstate_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dns-api/dns-api/internal/syncbuf"

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
	e, err := s.Get(ctx, "k")
	require.NoError(t, err)
	assert.False(t, e.Found, "the shared entry is out of reach")
	assert.False(t, s.Up())
	require.NoError(t, s.Set(ctx, map[string][]byte{"k": []byte("local")}, time.Minute))
	e, err = s.Get(ctx, "k")
	require.NoError(t, err)
	assert.True(t, e.Found)
	assert.Equal(t, "local", string(e.Value))
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
	e, err = s.Get(ctx, "k")
	require.NoError(t, err)
	assert.False(t, e.Found, "back on the shared cache (empty after the restart)")
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
	assert.False(t, lease.Held(context.Background()))
	assert.False(t, lease.Unlock(), "a release says the lease was lost")

	// Between renewals, Held asks Redis: a lease whose key is gone (evicted,
	// or Redis restarted without its data) is noticed at once.
	lease, err = s.Lock(context.Background(), "other")
	require.NoError(t, err)
	assert.True(t, lease.Held(context.Background()))
	require.NoError(t, client.Del(context.Background(), prefix+"l:other").Err())
	assert.False(t, lease.Held(context.Background()))
	select {
	case <-lease.Lost():
	default:
		t.Error("and Lost says so")
	}
	assert.False(t, lease.Unlock())

	// Gone, and noticed only by the release.
	lease, err = s.Lock(context.Background(), "third")
	require.NoError(t, err)
	require.NoError(t, client.Del(context.Background(), prefix+"l:third").Err())
	assert.False(t, lease.Unlock(), "the compare-and-delete finds it gone")
	owner, err := client.Get(context.Background(), prefix+"l:name").Result()
	require.NoError(t, err)
	assert.Equal(t, "another-owner", owner, "and never released from under its new owner")
}

// A caller giving up is not Redis failing: the store stays on the shared
// state (else this instance would lock on its own while others lock in
// Redis).
func TestCallerGivingUpIsNotAnOutage(t *testing.T) {
	server := redisserver.Start(t)
	prefix := randomPrefix()
	a, b := newStore(t, server.URL, prefix, nil), newStore(t, server.URL, prefix, nil)
	held, err := a.Lock(context.Background(), "busy")
	require.NoError(t, err)
	defer held.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = b.Lock(ctx, "busy")
	require.ErrorIs(t, err, context.DeadlineExceeded)
	cancelled, cancelNow := context.WithCancel(context.Background())
	cancelNow()
	_, err = b.Get(cancelled, "k")
	assert.ErrorIs(t, err, context.Canceled)
	assert.ErrorIs(t, b.Set(cancelled, map[string][]byte{"k": []byte("v")}, time.Minute), context.Canceled)
	_, err = b.Lock(cancelled, "busy")
	assert.Error(t, err)
	assert.True(t, b.Up(), "still on the shared state")

	// And the lock is still shared: b waits for a's lease.
	short, cancelShort := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancelShort()
	_, err = b.Lock(short, "busy")
	assert.ErrorIs(t, err, context.DeadlineExceeded, "b does not take a lock a holds")
}

// go-redis's own lines go to the service's log, at debug level: an outage
// is told once, by the store, not by a line per failed dial on stderr.
func TestRedisLogsThroughTheService(t *testing.T) {
	server := redisserver.Start(t)
	var logs syncbuf.Buffer
	s, err := redisstate.New(context.Background(), redisstate.Options{
		URL: server.URL, Lease: 2 * time.Second, Prefix: randomPrefix(),
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	require.NoError(t, err)
	defer s.Close()
	server.Stop()
	for range 5 {
		_, _ = s.Get(context.Background(), "k")
		_ = s.Set(context.Background(), map[string][]byte{"k": []byte("v")}, time.Minute)
	}
	require.Eventually(t, func() bool { return strings.Contains(logs.String(), "level=DEBUG msg=\"redis: ") }, 10*time.Second, 50*time.Millisecond,
		"go-redis's lines reach the log: %s", &logs)
	assert.Equal(t, 1, strings.Count(logs.String(), "level=WARN"), "the outage is told once: %s", &logs)
}

// A URL that cannot work is an error at start, saying why, without its
// password: a malformed one, and one whose password Redis refuses (an
// outage would never end).
func TestRedisURLErrors(t *testing.T) {
	server := redisserver.Start(t)
	opts, err := redis.ParseURL(server.URL)
	require.NoError(t, err)
	admin := redis.NewClient(opts)
	defer admin.Close()
	require.NoError(t, admin.ConfigSet(context.Background(), "requirepass", "the-right-one").Err())

	for url, want := range map[string]string{
		"redis://:hunter2secret@" + opts.Addr + "/abc":       "invalid database",
		"redis://:hunter2secret@" + opts.Addr + "/0?bogus=1": "bogus",
		"redis://:hunter2secret@" + opts.Addr + "/0":         "refused the user or password",
	} {
		_, err := redisstate.New(context.Background(), redisstate.Options{
			URL: url, Lease: time.Second, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		})
		require.Error(t, err, url)
		assert.Contains(t, err.Error(), want)
		assert.NotContains(t, err.Error(), "hunter2secret")
	}
	s, err := redisstate.New(context.Background(), redisstate.Options{
		URL: "redis://:the-right-one@" + opts.Addr + "/0", Lease: time.Second, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	require.NoError(t, err)
	assert.True(t, s.Up())
	require.NoError(t, s.Close())
}
