package handlers_test

// Tests of several instances of the service behaving as one: two
// instances, one DNSimple (the emulator), one Redis (Debian's
// redis-server).

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dns-api/dns-api/internal/redisserver"
)

// twoInstances are two instances of one service sharing a Redis.
func twoInstances(t *testing.T) (a, b *stack, server *redisserver.Server) {
	t.Helper()
	server = redisserver.Start(t)
	a = newStack(t, stackOptions{redisURL: server.URL})
	b = newStack(t, stackOptions{redisURL: server.URL, emulator: a.emu})
	a.calls()
	return a, b, server
}

func TestInstancesShareLocks(t *testing.T) {
	a, b, _ := twoInstances(t)
	instances := []*stack{a, b}

	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := instances[i%2].send(request{method: http.MethodPost, path: "/records/A/example.com/same/203.0.113.7", token: aliceToken})
			assert.Less(t, r.status, 300, r.raw)
		}()
	}
	wg.Wait()
	assert.Len(t, a.set("example.com", "same", "A"), 1, "one record")
	creates := 0
	for _, c := range a.calls() {
		if strings.HasPrefix(c, "POST ") {
			creates++
		}
	}
	assert.Equal(t, 1, creates, "one create between the two instances")

	var won, conflicts atomic.Int32
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := instances[i%2].send(request{method: http.MethodPost, path: "/records", token: aliceToken,
				body: fmt.Sprintf(`{"domain_type":"A","domain":"example.com","subdomain":"race","to":"203.0.113.%d"}`, i+1)})
			switch r.status {
			case http.StatusCreated:
				won.Add(1)
			case http.StatusConflict:
				conflicts.Add(1)
			default:
				t.Errorf("%d: %s", r.status, r.raw)
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, int32(1), won.Load())
	assert.Equal(t, int32(19), conflicts.Load())
	assert.Len(t, a.set("example.com", "race", "A"), 1)
}

func TestInstancesShareTheCache(t *testing.T) {
	a, b, _ := twoInstances(t)
	upsert := func(s *stack, target string) answer {
		return s.do(request{method: http.MethodPost, path: "/records/A/example.com/api/" + target, token: aliceToken})
	}
	require.Equal(t, http.StatusCreated, upsert(a, "203.0.113.7").status)
	a.calls()
	r := upsert(b, "203.0.113.7")
	assert.Equal(t, "unchanged", r.action(), "B knows what A did")
	assert.Empty(t, a.calls(), "without asking DNSimple")

	// B looks the name up, then A changes it: B's next answer is A's.
	lookup := b.do(request{method: http.MethodGet, path: "/records/A/example.com/api", token: aliceToken})
	require.Equal(t, "203.0.113.7", lookup.list()[0].(map[string]any)["to"])
	require.Equal(t, "updated", upsert(a, "203.0.113.8").action())
	lookup = b.do(request{method: http.MethodGet, path: "/records/A/example.com/api", token: aliceToken})
	assert.Equal(t, "203.0.113.8", lookup.list()[0].(map[string]any)["to"], "a change through A is never hidden by B's cache")
	assert.Equal(t, "unchanged", upsert(b, "203.0.113.8").action())
	list := b.do(request{method: http.MethodGet, path: "/records?domain=example.com", token: aliceToken})
	assert.Contains(t, list.raw, `"to":"203.0.113.8"`)
}

func TestInstancesShareTheBudget(t *testing.T) {
	a, b, _ := twoInstances(t)
	reset := strconv.FormatInt(time.Now().Add(10*time.Minute).Unix(), 10)
	a.setFault(faulty(anyCall, 429, `{"message":"quota exceeded"}`, "X-RateLimit-Remaining", "0", "X-RateLimit-Reset", reset))
	require.Equal(t, http.StatusServiceUnavailable, a.do(request{method: http.MethodPost, path: "/records/A/example.com/x/203.0.113.7", token: aliceToken}).status)
	a.calls()
	require.Eventually(t, func() bool {
		return b.send(request{method: http.MethodPost, path: "/records/A/example.com/y/203.0.113.7", token: aliceToken}).status == http.StatusServiceUnavailable
	}, 5*time.Second, 20*time.Millisecond, "a 429 seen by A holds B back")
	r := b.do(request{method: http.MethodGet, path: "/records", token: aliceToken})
	assert.Equal(t, http.StatusServiceUnavailable, r.status)
	assert.NotEmpty(t, r.header.Get("Retry-After"))
	for _, c := range a.calls() {
		assert.NotContains(t, c, "/records", "B asked DNSimple nothing: %s", c)
	}
}

func TestRedisFailingIsNotAFailure(t *testing.T) {
	a, b, server := twoInstances(t)
	instances := []*stack{a, b}
	var fives, done atomic.Int32
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				s := instances[(w+i)%2]
				var r answer
				switch i % 3 {
				case 0:
					r = s.send(request{method: http.MethodPost, path: fmt.Sprintf("/records/A/example.com/load-%d/203.0.113.%d", i%7, 1+i%5), token: aliceToken})
				case 1:
					r = s.send(request{method: http.MethodGet, path: "/records", token: aliceToken})
				default:
					r = s.send(request{method: http.MethodGet, path: "/whoami", token: aliceToken})
				}
				if r.status >= 500 {
					fives.Add(1)
					t.Errorf("5xx while Redis came and went: %d %s", r.status, r.raw)
				}
				done.Add(1)
			}
		}()
	}
	health := func(s *stack) string {
		return s.do(request{method: http.MethodGet, path: "/"}).data()["shared_state"].(string)
	}
	time.Sleep(200 * time.Millisecond)
	server.Stop()
	require.Eventually(t, func() bool { return strings.HasPrefix(health(a), "down") }, 5*time.Second, 20*time.Millisecond)
	time.Sleep(300 * time.Millisecond)
	server.Restart()
	require.Eventually(t, func() bool { return health(a) == "up" && health(b) == "up" }, 10*time.Second, 50*time.Millisecond,
		"the shared state is taken back by itself")
	time.Sleep(200 * time.Millisecond)
	close(stop)
	wg.Wait()
	assert.Zero(t, fives.Load())
	assert.Greater(t, done.Load(), int32(50))
	logs := a.logs.String()
	assert.Equal(t, 1, strings.Count(logs, "shared state unreachable"), "told once per outage")
	assert.Contains(t, logs, "shared state back")
	m := a.send(request{method: http.MethodGet, path: "/metrics", token: aliceToken})
	assert.Contains(t, m.raw, "dnsapi_shared_state_up 1")

	// Shared again: a write through A is seen by B.
	require.Equal(t, http.StatusCreated, a.do(request{method: http.MethodPost, path: "/records/A/example.com/after/203.0.113.7", token: aliceToken}).status)
	a.calls()
	assert.Equal(t, "unchanged", b.do(request{method: http.MethodPost, path: "/records/A/example.com/after/203.0.113.7", token: aliceToken}).action())
	assert.Empty(t, a.calls())
}

func TestNoRedisCallsOnTheFastPath(t *testing.T) {
	a, _, server := twoInstances(t)
	client := redis.NewClient(&redis.Options{Addr: strings.TrimSuffix(strings.TrimPrefix(server.URL, "redis://"), "/0")})
	defer client.Close()
	ctx := context.Background()
	require.NoError(t, client.ConfigResetStat(ctx).Err())
	for range 20 {
		a.do(request{method: http.MethodGet, path: "/"})
		a.do(request{method: http.MethodGet, path: "/whoami", token: aliceToken})
	}
	stats, err := client.Info(ctx, "commandstats").Result()
	require.NoError(t, err)
	for _, line := range strings.Split(stats, "\n") {
		if strings.HasPrefix(line, "cmdstat_") && !strings.HasPrefix(line, "cmdstat_info") && !strings.HasPrefix(line, "cmdstat_config") {
			t.Errorf("GET / and /whoami made a Redis call: %s", line)
		}
	}

	// A read the cache misses: one lookup (the value and its version), one
	// fill of what DNSimple said (a script, whose own get and set Redis
	// counts too); nothing else.
	require.Equal(t, http.StatusNotFound, a.do(request{method: http.MethodGet, path: "/records/A/example.com/first", token: aliceToken}).status)
	require.NoError(t, client.ConfigResetStat(ctx).Err()) // (the script is loaded now)
	require.Equal(t, http.StatusNotFound, a.do(request{method: http.MethodGet, path: "/records/A/example.com/missing", token: aliceToken}).status)
	stats, err = client.Info(ctx, "commandstats").Result()
	require.NoError(t, err)
	var calls []string
	for _, line := range strings.Split(stats, "\n") {
		if name, rest, ok := strings.Cut(line, ":calls="); ok && strings.HasPrefix(name, "cmdstat_") &&
			name != "cmdstat_info" && name != "cmdstat_config|resetstat" {
			n, _, _ := strings.Cut(rest, ",")
			calls = append(calls, strings.TrimPrefix(name, "cmdstat_")+"="+n)
		}
	}
	assert.ElementsMatch(t, []string{"mget=1", "evalsha=1", "get=1", "set=1"}, calls, "a cache-missing read: %s", stats)
}

// A name's lease that vanishes from Redis (evicted, or Redis restarted
// without its data) is noticed: before the write, the write is refused
// rather than run beside another instance's; during it, the log says so.
func TestALostLeaseIsNoticed(t *testing.T) {
	server := redisserver.Start(t)
	// Without a cache, the one look at the set, under the lock, asks
	// DNSimple: the moment to take the lease away.
	a := newStack(t, stackOptions{redisURL: server.URL, cacheTTL: -1})
	opts, err := redis.ParseURL(server.URL)
	require.NoError(t, err)
	client := redis.NewClient(opts)
	defer client.Close()
	dropLeases := func() {
		keys, err := client.Keys(context.Background(), "dns-api:l:*").Result()
		require.NoError(t, err)
		require.NotEmpty(t, keys, "a write holds a lease")
		require.NoError(t, client.Del(context.Background(), keys...).Err())
	}

	// Gone between the look under the lock and the write.
	var looks atomic.Int32
	a.setFault(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodGet && strings.Contains(r.URL.RawQuery, "name=before") && looks.Add(1) == 1 {
			dropLeases()
		}
		return false
	})
	r := a.do(request{method: http.MethodPost, path: "/records/A/example.com/before/203.0.113.7", token: aliceToken})
	assert.Equal(t, http.StatusConflict, r.status, r.raw)
	assert.Contains(t, r.raw, "under way; try again")
	assert.Empty(t, a.set("example.com", "before", "A"), "nothing written without the lock")

	// Gone while the write is at DNSimple.
	a.setFault(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodPost {
			dropLeases()
		}
		return false
	})
	r = a.do(request{method: http.MethodPost, path: "/records/A/example.com/during/203.0.113.7", token: aliceToken})
	assert.Equal(t, http.StatusCreated, r.status, r.raw)
	assert.Contains(t, a.logs.String(), `"msg":"lock lost during a write","record":"A during.example.com"`)
}
