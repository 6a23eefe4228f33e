package handlers_test

// Tests of the service under production conditions: the calls each
// operation costs DNSimple, many clients at once, and DNSimple failing in
// every way it can.

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dns-api/dns-api/upstream/emulator"
)

// calls is what the emulator was asked since the last call of calls, as
// "METHOD path?query" lines.
func (s *stack) calls() []string {
	var out []string
	for _, r := range s.emu.Requests() {
		line := r.Method + " " + r.Path
		if r.Query != "" {
			line += "?" + r.Query
		}
		out = append(out, line)
	}
	s.emu.ResetRequests()
	return out
}

func TestCallsEachOperationCosts(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	upsert := func(target string) answer {
		return s.do(request{method: http.MethodPost, path: "/records/A/example.com/api/" + target, token: aliceToken})
	}
	s.calls()

	a := upsert("203.0.113.7")
	require.Equal(t, http.StatusCreated, a.status)
	assert.Len(t, s.calls(), 2, "a created upsert: one lookup, one create")
	for range 5 {
		require.Equal(t, "unchanged", upsert("203.0.113.7").action())
	}
	assert.Empty(t, s.calls(), "a repeated identical upsert costs nothing within CACHE_TTL")
	require.Equal(t, "updated", upsert("203.0.113.8").action())
	calls := s.calls()
	require.Len(t, calls, 2, "a changed upsert: the write, planned on a fresh lookup (not on the cache's word)")
	assert.True(t, strings.HasPrefix(calls[0], "GET ") && strings.HasPrefix(calls[1], "PATCH "), "%v", calls)

	nic := s.nic("hostname=api.example.com&myip=203.0.113.8", basic("router", aliceToken))
	assert.Equal(t, "nochg 203.0.113.8\n", nic.raw)
	assert.Empty(t, s.calls(), "a repeated dyndns2 update costs nothing")

	a = s.do(request{method: http.MethodDelete, path: "/records/A/example.com/api", token: aliceToken})
	require.Equal(t, http.StatusOK, a.status)
	assert.Len(t, s.calls(), 2, "a delete by path: a fresh lookup, one delete")

	// A cold cache: at most 2 for a changed upsert, 1 + 1 per record for a
	// delete by path.
	cold := newStack(t, stackOptions{})
	cold.seed("example.com", emulator.Record{Name: "api", Type: "A", Content: "192.0.2.1"})
	cold.calls()
	require.Equal(t, "updated", cold.do(request{method: http.MethodPost, path: "/records/A/example.com/api/203.0.113.9", token: aliceToken}).action())
	assert.Len(t, cold.calls(), 2)
	cold.seed("example.com", emulator.Record{Name: "dup", Type: "A", Content: "192.0.2.1"}, emulator.Record{Name: "dup", Type: "A", Content: "192.0.2.2"})
	cold.calls()
	require.Equal(t, http.StatusOK, cold.do(request{method: http.MethodDelete, path: "/records/A/example.com/dup", token: aliceToken}).status)
	assert.LessOrEqual(t, len(cold.calls()), 3)
}

func TestListingIsCachedAcrossPages(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	for i := range 500 {
		s.seed("example.com", emulator.Record{Name: fmt.Sprintf("host-%03d", i), Type: "A", Content: "192.0.2.1"})
	}
	s.calls()
	seen := map[string]bool{}
	for page := 1; ; page++ {
		a := s.do(request{method: http.MethodGet, path: "/records?page%5Bnumber%5D=" + strconv.Itoa(page), token: aliceToken})
		require.Equal(t, http.StatusOK, a.status)
		if len(a.list()) == 0 {
			break
		}
		for _, r := range a.list() {
			seen[r.(map[string]any)["fqdn"].(string)] = true
		}
	}
	assert.Len(t, seen, 500, "every record, once")
	calls := s.calls()
	// example.com: 505 records in pages of 100; example.org: one page.
	assert.Len(t, calls, 6+1, "one listing of each zone for all the pages: %v", calls)
}

func TestGetByIDAsksTheZoneThatHoldsIt(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	a := s.do(request{method: http.MethodPost, path: "/records/A/example.org/api/203.0.113.7", token: aliceToken})
	require.Equal(t, http.StatusCreated, a.status)
	id := strconv.FormatInt(int64(a.data()["id"].(float64)), 10)
	s.calls()
	a = s.do(request{method: http.MethodGet, path: "/records/" + id, token: aliceToken})
	require.Equal(t, http.StatusOK, a.status, a.raw)
	calls := s.calls()
	require.Len(t, calls, 1, "%v", calls)
	assert.Contains(t, calls[0], "/zones/example.org/records/"+id)
}

func TestConcurrentWrites(t *testing.T) {
	t.Parallel()
	run := func(n int, do func(i int)) {
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() { defer wg.Done(); do(i) }()
		}
		wg.Wait()
	}
	creates := func(s *stack) int {
		n := 0
		for _, c := range s.calls() {
			if strings.HasPrefix(c, "POST ") {
				n++
			}
		}
		return n
	}

	t.Run("identical upserts", func(t *testing.T) {
		t.Parallel()
		s := newStack(t, stackOptions{})
		run(20, func(int) {
			a := s.send(request{method: http.MethodPost, path: "/records/A/example.com/same/203.0.113.7", token: aliceToken})
			assert.Less(t, a.status, 300, a.raw)
		})
		assert.Len(t, s.set("example.com", "same", "A"), 1)
		assert.Equal(t, 1, creates(s), "one create")
	})
	t.Run("upserts of different targets", func(t *testing.T) {
		t.Parallel()
		s := newStack(t, stackOptions{})
		run(20, func(i int) {
			a := s.send(request{method: http.MethodPost, path: fmt.Sprintf("/records/A/example.com/moving/203.0.113.%d", i+1), token: aliceToken})
			assert.Less(t, a.status, 300, a.raw)
		})
		assert.Len(t, s.set("example.com", "moving", "A"), 1)
	})
	t.Run("upserts of different names", func(t *testing.T) {
		t.Parallel()
		s := newStack(t, stackOptions{})
		run(50, func(i int) {
			a := s.send(request{method: http.MethodPost, path: fmt.Sprintf("/records/A/example.com/name-%d/203.0.113.7", i), token: aliceToken})
			assert.Equal(t, http.StatusCreated, a.status, a.raw)
		})
		for i := range 50 {
			assert.Len(t, s.set("example.com", fmt.Sprintf("name-%d", i), "A"), 1)
		}
	})
	t.Run("JSON creates of one name", func(t *testing.T) {
		t.Parallel()
		s := newStack(t, stackOptions{})
		var won, conflicts atomic.Int32
		run(20, func(i int) {
			a := s.send(request{method: http.MethodPost, path: "/records", token: aliceToken,
				body: fmt.Sprintf(`{"domain_type":"A","domain":"example.com","subdomain":"race","to":"203.0.113.%d"}`, i+1)})
			switch a.status {
			case http.StatusCreated:
				won.Add(1)
			case http.StatusConflict:
				conflicts.Add(1)
			default:
				t.Errorf("unexpected %d: %s", a.status, a.raw)
			}
		})
		assert.Equal(t, int32(1), won.Load(), "one wins")
		assert.Equal(t, int32(19), conflicts.Load(), "the rest are told it exists")
		assert.Len(t, s.set("example.com", "race", "A"), 1)
	})
}

// faulty answers the requests that match with a canned answer.
func faulty(match func(r *http.Request) bool, status int, body string, headers ...string) func(http.ResponseWriter, *http.Request) bool {
	return func(w http.ResponseWriter, r *http.Request) bool {
		if !match(r) {
			return false
		}
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprint(w, body)
		return true
	}
}

func anyCall(*http.Request) bool      { return true }
func writeCalls(r *http.Request) bool { return r.Method != http.MethodGet }

func TestUpstreamFaultTable(t *testing.T) {
	t.Parallel()
	reset := strconv.FormatInt(time.Now().Add(10*time.Minute).Unix(), 10)
	tests := []struct {
		name   string
		fault  func(s *stack) func(http.ResponseWriter, *http.Request) bool
		status int
		// record is what the zone holds at "api" afterwards: "" nothing,
		// else the target (the change was made, once).
		record string
	}{
		{"500 on every call", func(*stack) func(http.ResponseWriter, *http.Request) bool {
			return faulty(anyCall, 500, `{"message":"Internal Server Error"}`)
		}, http.StatusBadGateway, ""},
		{"500 on the write", func(*stack) func(http.ResponseWriter, *http.Request) bool {
			return faulty(writeCalls, 500, `{"message":"Internal Server Error"}`)
		}, http.StatusBadGateway, ""},
		{"garbage", func(*stack) func(http.ResponseWriter, *http.Request) bool {
			return faulty(anyCall, 200, `{"data": [{"id": "x"`)
		}, http.StatusBadGateway, ""},
		{"429", func(*stack) func(http.ResponseWriter, *http.Request) bool {
			return faulty(anyCall, 429, `{"message":"quota exceeded"}`, "X-RateLimit-Remaining", "0", "X-RateLimit-Reset", reset)
		}, http.StatusServiceUnavailable, ""},
		{"one 500 on the lookup, then well", func(*stack) func(http.ResponseWriter, *http.Request) bool {
			var once atomic.Bool
			return func(w http.ResponseWriter, r *http.Request) bool {
				return r.Method == http.MethodGet && once.CompareAndSwap(false, true) &&
					faulty(anyCall, 502, "<html>Bad Gateway</html>")(w, r)
			}
		}, http.StatusCreated, "203.0.113.7"},
		{"the create lands, its answer is lost", func(s *stack) func(http.ResponseWriter, *http.Request) bool {
			var once atomic.Bool
			return func(w http.ResponseWriter, r *http.Request) bool {
				if r.Method != http.MethodPost || !once.CompareAndSwap(false, true) {
					return false
				}
				s.emu.ServeHTTP(httptestRecorder{}, r)   // it happens...
				w.WriteHeader(http.StatusGatewayTimeout) // ...but the answer says otherwise
				return true
			}
		}, http.StatusCreated, "203.0.113.7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newStack(t, stackOptions{})
			s.setFault(tt.fault(s))
			a := s.do(request{method: http.MethodPost, path: "/records/A/example.com/api/203.0.113.7", token: aliceToken})
			assert.Equal(t, tt.status, a.status, a.raw)
			var targets []string
			for _, r := range s.set("example.com", "api", "A") {
				targets = append(targets, r.Content)
			}
			if tt.record == "" {
				assert.Empty(t, targets, "the zone is unchanged")
			} else {
				assert.Equal(t, []string{tt.record}, targets, "the change is made, once")
			}
		})
	}

	t.Run("slow beyond the deadline", func(t *testing.T) {
		t.Parallel()
		s := newStack(t, stackOptions{timeout: 200 * time.Millisecond})
		release := make(chan struct{})
		t.Cleanup(func() { close(release) })
		s.setFault(func(w http.ResponseWriter, r *http.Request) bool {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return true
		})
		a := s.do(request{method: http.MethodPost, path: "/records/A/example.com/api/203.0.113.7", token: aliceToken})
		assert.Equal(t, http.StatusGatewayTimeout, a.status, a.raw)
		assert.Empty(t, s.set("example.com", "api", "A"))
	})

	t.Run("connection refused", func(t *testing.T) {
		t.Parallel()
		s := newStack(t, stackOptions{})
		s.setFault(func(w http.ResponseWriter, r *http.Request) bool {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.(*net.TCPConn).SetLinger(0)
				conn.Close()
			}
			return true
		})
		a := s.do(request{method: http.MethodPost, path: "/records/A/example.com/api/203.0.113.7", token: aliceToken})
		assert.Equal(t, http.StatusBadGateway, a.status, a.raw)
	})

	t.Run("a 429 holds DNSimple back until the reset", func(t *testing.T) {
		t.Parallel()
		s := newStack(t, stackOptions{})
		s.setFault(faulty(anyCall, 429, `{"message":"quota exceeded"}`, "X-RateLimit-Remaining", "0", "X-RateLimit-Reset", reset))
		require.Equal(t, http.StatusServiceUnavailable, s.do(request{method: http.MethodPost, path: "/records/A/example.com/api/203.0.113.7", token: aliceToken}).status)
		s.setFault(nil)
		s.calls()
		for _, path := range []string{"/records/A/example.com/other/203.0.113.7", "/records"} {
			method := http.MethodPost
			if path == "/records" {
				method = http.MethodGet
			}
			a := s.do(request{method: method, path: path, token: aliceToken})
			assert.Equal(t, http.StatusServiceUnavailable, a.status, a.raw)
			retry, err := strconv.Atoi(a.header.Get("Retry-After"))
			require.NoError(t, err)
			until, _ := strconv.ParseInt(reset, 10, 64)
			assert.InDelta(t, time.Until(time.Unix(until, 0)).Seconds(), retry, 2, "until DNSimple's reset")
		}
		// The client protocols say when too, each in its own form.
		until, _ := strconv.ParseInt(reset, 10, 64)
		for name, a := range map[string]answer{
			"acme-dns": s.acmeDNS(`{"subdomain":"_acme-challenge.api.example.com","txt":"v"}`, aliceToken, "application/json"),
			"dyndns2":  s.nic("hostname=api.example.com&myip=203.0.113.7", basic("router", aliceToken)),
		} {
			assert.Equal(t, http.StatusServiceUnavailable, a.status, "%s: %s", name, a.raw)
			retry, err := strconv.Atoi(a.header.Get("Retry-After"))
			require.NoError(t, err, name)
			assert.InDelta(t, time.Until(time.Unix(until, 0)).Seconds(), retry, 2, "%s: until DNSimple's reset", name)
		}
		assert.Empty(t, s.calls(), "without a call to DNSimple")
	})
}

// abandonWrite sends POST path as a caller who gives up once the first
// call with upstream's method reaches DNSimple, which then takes 300 ms
// over it. It returns what the caller saw.
func (s *stack) abandonWrite(t *testing.T, upstream, path string) error {
	t.Helper()
	var first atomic.Bool
	arrived := make(chan struct{})
	s.setFault(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == upstream && first.CompareAndSwap(false, true) {
			close(arrived)
			time.Sleep(300 * time.Millisecond) // DNSimple is slow today
		}
		return false
	})
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url+path, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+aliceToken)
	gone := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		gone <- err
	}()
	<-arrived
	cancel() // the caller gives up while the write is in flight
	return <-gone
}

// httptestRecorder is a ResponseWriter that drops what it is given.
type httptestRecorder struct{}

func (httptestRecorder) Header() http.Header         { return http.Header{} }
func (httptestRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (httptestRecorder) WriteHeader(int)             {}

func TestAWriteOutlivesItsCaller(t *testing.T) {
	t.Parallel()
	// The caller gives up while DNSimple is still working on the create:
	// the create is seen through, the name stays locked until it lands,
	// and the next upsert of the name, which waited for it, finds it and
	// makes no second record.
	s := newStack(t, stackOptions{})
	assert.Error(t, s.abandonWrite(t, http.MethodPost, "/records/A/example.com/late/203.0.113.7"))

	a := s.do(request{method: http.MethodPost, path: "/records/A/example.com/late/203.0.113.7", token: aliceToken})
	assert.Equal(t, http.StatusOK, a.status, a.raw)
	assert.Equal(t, "unchanged", a.action(), "the first create had landed by the time the lock was free")
	assert.Len(t, s.set("example.com", "late", "A"), 1, "one record")
	assert.Contains(t, s.logs.String(), "write outlived its request")
}

// A lookup that read the set before a write, and answers after it, must
// not put what it read back into the cache: the next upsert to the old
// value would be "unchanged" and never written.
func TestASlowReadDoesNotUndoAWrite(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	s.seed("example.com", emulator.Record{Name: "api", Type: "A", Content: "203.0.113.1"})
	read, release := make(chan struct{}), make(chan struct{})
	var once atomic.Bool
	s.setFault(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method != http.MethodGet || !once.CompareAndSwap(false, true) {
			return false
		}
		rec := httptest.NewRecorder()
		s.emu.ServeHTTP(rec, r) // the set as it is now...
		close(read)
		<-release // ...answered after the write below
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
		return true
	})
	looked := make(chan answer, 1)
	go func() {
		looked <- s.do(request{method: http.MethodGet, path: "/records/A/example.com/api", token: aliceToken})
	}()
	<-read
	a := s.do(request{method: http.MethodPost, path: "/records/A/example.com/api/203.0.113.2", token: aliceToken})
	require.Equal(t, "updated", a.action(), a.raw)
	close(release)
	require.Equal(t, http.StatusOK, (<-looked).status)

	a = s.do(request{method: http.MethodPost, path: "/records/A/example.com/api/203.0.113.1", token: aliceToken})
	assert.Equal(t, "updated", a.action(), "the slow read's answer was not kept: %s", a.raw)
	assert.Equal(t, "203.0.113.1", s.set("example.com", "api", "A")[0].Content)
}

// A write whose outcome was unknown may land late: until CACHE_TTL has
// passed, the set is read from DNSimple every time, so the late record is
// seen and the next upsert converges on one record.
func TestAWriteThatLandsLateIsSeen(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{timeout: 200 * time.Millisecond})
	var first atomic.Bool
	s.setFault(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodPost && first.CompareAndSwap(false, true) {
			_, _ = io.Copy(io.Discard, r.Body) // (so that the server sees the caller go)
			<-r.Context().Done()               // DNSimple keeps it, and answers too late
			return true
		}
		return false
	})
	a := s.do(request{method: http.MethodPost, path: "/records/A/example.com/api/203.0.113.1", token: aliceToken})
	require.Equal(t, http.StatusGatewayTimeout, a.status, a.raw)
	a = s.do(request{method: http.MethodPost, path: "/records/A/example.com/api/203.0.113.2", token: aliceToken})
	require.Equal(t, http.StatusCreated, a.status, a.raw)
	// The first create lands now.
	s.seed("example.com", emulator.Record{Name: "api", Type: "A", Content: "203.0.113.1"})

	a = s.do(request{method: http.MethodPost, path: "/records/A/example.com/api/203.0.113.2", token: aliceToken})
	assert.Equal(t, "updated", a.action(), "the late record is seen, not hidden by the cache: %s", a.raw)
	recs := s.set("example.com", "api", "A")
	require.Len(t, recs, 1, "one record again")
	assert.Equal(t, "203.0.113.2", recs[0].Content)
}

// A record made outside the service (or by a write DNSimple applied late)
// beside the cached one: a changed upsert is planned on what DNSimple
// holds, and leaves exactly one record.
func TestAChangedUpsertIsPlannedOnDNSimple(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	require.Equal(t, http.StatusCreated, s.do(request{method: http.MethodPost, path: "/records/A/example.com/api/203.0.113.1", token: aliceToken}).status)
	s.seed("example.com", emulator.Record{Name: "api", Type: "A", Content: "203.0.113.9"}) // outside the service
	a := s.do(request{method: http.MethodPost, path: "/records/A/example.com/api/203.0.113.2?dry_run=true", token: aliceToken})
	assert.Len(t, a.meta()["plan"], 2, "the preview shows the outside record's deletion too: %s", a.raw)
	a = s.do(request{method: http.MethodPost, path: "/records/A/example.com/api/203.0.113.2", token: aliceToken})
	require.Equal(t, "updated", a.action(), a.raw)
	recs := s.set("example.com", "api", "A")
	require.Len(t, recs, 1)
	assert.Equal(t, "203.0.113.2", recs[0].Content)
}

// A write that changes nothing takes no lock, unless a write of the name
// is under way: then it waits, so that a client's own earlier write, still
// in flight after the client gave up on it, cannot land after a later one.
func TestAnUnchangedWriteWaitsForOneUnderWay(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	s.seed("example.com", emulator.Record{Name: "api", Type: "A", Content: "203.0.113.1"})
	require.Equal(t, http.StatusOK, s.do(request{method: http.MethodGet, path: "/records/A/example.com/api", token: aliceToken}).status)
	_ = s.abandonWrite(t, http.MethodPatch, "/records/A/example.com/api/203.0.113.2")                              // the client gives up on .2 ...
	a := s.do(request{method: http.MethodPost, path: "/records/A/example.com/api/203.0.113.1", token: aliceToken}) // ... and asks for .1 again
	assert.Equal(t, "updated", a.action(), "it waited for the write under way, then undid it: %s", a.raw)
	recs := s.set("example.com", "api", "A")
	require.Len(t, recs, 1)
	assert.Equal(t, "203.0.113.1", recs[0].Content, "the later request wins")
}
