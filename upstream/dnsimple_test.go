package upstream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dns-api/dns-api/fault"
	"github.com/dns-api/dns-api/upstream/emulator"
)

// The tests talk to the emulator over real HTTP, one server per test, so
// they can all run in parallel. Faults are injected by wrapping the
// emulator in a handler of the test's own.

const (
	// testToken is distinctive so that a leak into an error is easy to see.
	testToken = "acct-tok-Zq8vR2mWx7Lp4NcY"
	testZone  = "example.com"
	// testAccount is the emulator's default account id.
	testAccount = "1010"
	// recordsPath is the records collection of testZone in testAccount.
	recordsPath = "/v2/1010/zones/example.com/records"
	batchPath   = "/v2/1010/zones/example.com/batch"
)

// newEmulator builds an emulator with the test token and zone unless opts
// says otherwise.
func newEmulator(t *testing.T, opts emulator.Options) *emulator.Emulator {
	t.Helper()
	if opts.Token == "" {
		opts.Token = testToken
	}
	if opts.Zones == nil {
		opts.Zones = []string{testZone}
	}
	emu, err := emulator.New(opts)
	require.NoError(t, err)
	return emu
}

// serve starts h on a test server closed with the test.
func serve(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// testConfig is a configuration for a server at baseURL with a known
// account id (so no whoami call) and a generous timeout.
func testConfig(baseURL string) DNSimpleConfig {
	return DNSimpleConfig{
		BaseURL:   baseURL,
		Token:     testToken,
		AccountID: testAccount,
		Timeout:   5 * time.Second,
		UserAgent: "dns-api-test/1",
	}
}

// connect builds a provider for the server at baseURL.
func connect(t *testing.T, baseURL string) *DNSimple {
	t.Helper()
	p, err := NewDNSimple(t.Context(), testConfig(baseURL))
	require.NoError(t, err)
	return p
}

// seed stores a record in the emulator, bypassing its validation.
func seed(t *testing.T, emu *emulator.Emulator, name, typ, content string) emulator.Record {
	t.Helper()
	r, err := emu.Seed(testZone, emulator.Record{Name: name, Type: typ, Content: content, TTL: 60})
	require.NoError(t, err)
	return r
}

// intercept answers the requests that match with fault and passes the rest
// to next.
func intercept(next http.Handler, match func(*http.Request) bool, answer http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if match(r) {
			answer(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// respond is a canned answer.
func respond(status int, contentType, body string, headers ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

const jsonType = "application/json; charset=utf-8"

// nginx502 is the page DNSimple's front proxy answers when the API is down.
const nginx502 = `<html>
<head><title>502 Bad Gateway</title></head>
<body bgcolor="white">
<center><h1>502 Bad Gateway</h1></center>
<hr><center>nginx</center>
</body>
</html>
`

// failure is a failed call as the tests see it: the fault.Error callers
// get and the CallError behind it.
type failure struct {
	*fault.Error
	*CallError
}

// requireKind checks that err is a fault.Error of the given kind with a
// CallError behind it, whose text holds no credential, and returns both.
func requireKind(t *testing.T, err error, kind fault.Kind) failure {
	t.Helper()
	require.Error(t, err)
	f := fault.As(err)
	require.NotNil(t, f, "want a fault.Error, got %T: %v", err, err)
	require.Equal(t, kind, f.Kind, "want kind %q, got %q (%v)", kind, f.Kind, err)
	var call *CallError
	require.ErrorAs(t, err, &call)
	assert.NotEmpty(t, call.Op)
	assertNoToken(t, err)
	return failure{f, call}
}

// assertNoToken checks that the account token is in no form of err.
func assertNoToken(t *testing.T, err error) {
	t.Helper()
	for _, s := range []string{err.Error(), fmt.Sprintf("%v", err), fmt.Sprintf("%+v", err), fmt.Sprintf("%s", err)} {
		assert.NotContains(t, s, testToken)
	}
	assert.NotContains(t, fault.MessageOf(err), testToken)
}

// query parses a logged request's query.
func query(t *testing.T, r emulator.Request) url.Values {
	t.Helper()
	q, err := url.ParseQuery(r.Query)
	require.NoError(t, err)
	return q
}

// calls renders the request log as "METHOD path" lines.
func calls(reqs []emulator.Request) []string {
	out := make([]string, len(reqs))
	for i, r := range reqs {
		out[i] = r.Method + " " + r.Path
	}
	return out
}

// byID indexes records by id.
func byID(records []emulator.Record) map[int64]emulator.Record {
	m := make(map[int64]emulator.Record, len(records))
	for _, r := range records {
		m[r.ID] = r
	}
	return m
}

// ---- construction and account discovery ----

func TestNewDNSimpleRefusesIncompleteConfig(t *testing.T) {
	t.Parallel()
	for name, cfg := range map[string]DNSimpleConfig{
		"no token":         {BaseURL: "http://127.0.0.1:1", AccountID: "1", Timeout: time.Second},
		"no timeout":       {BaseURL: "http://127.0.0.1:1", AccountID: "1", Token: testToken},
		"negative timeout": {BaseURL: "http://127.0.0.1:1", AccountID: "1", Token: testToken, Timeout: -time.Second},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p, err := NewDNSimple(t.Context(), cfg)
			require.Error(t, err)
			assert.Nil(t, p)
			assert.NotContains(t, err.Error(), testToken)
		})
	}
}

func TestWhoamiDiscoversTheAccountID(t *testing.T) {
	t.Parallel()
	emu := newEmulator(t, emulator.Options{AccountID: 4242})
	srv := serve(t, emu)
	cfg := testConfig(srv.URL)
	cfg.AccountID = ""

	p, err := NewDNSimple(t.Context(), cfg)
	require.NoError(t, err)
	assert.Equal(t, "4242", p.AccountID())

	_, err = p.Records(t.Context(), testZone)
	require.NoError(t, err)
	reqs := emu.Requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, "GET /v2/whoami", calls(reqs)[0])
	assert.Equal(t, "GET /v2/4242/zones/example.com/records", calls(reqs)[1])
}

func TestConfiguredAccountIDSkipsWhoami(t *testing.T) {
	t.Parallel()
	emu := newEmulator(t, emulator.Options{AccountID: 77})
	srv := serve(t, emu)
	cfg := testConfig(srv.URL)
	cfg.AccountID = "77"

	p, err := NewDNSimple(t.Context(), cfg)
	require.NoError(t, err)
	assert.Equal(t, "77", p.AccountID())
	assert.Empty(t, emu.Requests(), "building the provider must not call the API")

	_, err = p.Records(t.Context(), testZone)
	require.NoError(t, err)
	assert.Equal(t, []string{"GET /v2/77/zones/example.com/records"}, calls(emu.Requests()))
}

func TestWhoamiWithAUserToken(t *testing.T) {
	t.Parallel()
	// DNSimple's answer for a user token: there is no account to act on.
	const userWhoami = `{"data":{"user":{"id":1,"email":"example-user@example.com",` +
		`"created_at":"2015-09-18T23:04:37Z","updated_at":"2016-06-09T20:03:39Z"},"account":null}}`
	emu := newEmulator(t, emulator.Options{})
	srv := serve(t, intercept(emu, func(r *http.Request) bool { return r.URL.Path == "/v2/whoami" },
		respond(http.StatusOK, jsonType, userWhoami)))
	cfg := testConfig(srv.URL)
	cfg.AccountID = ""

	p, err := NewDNSimple(t.Context(), cfg)
	assert.Nil(t, p)
	e := requireKind(t, err, fault.Upstream)
	assert.Contains(t, e.Message, "DNSIMPLE_ACCOUNT_ID", "the message should say how to fix it")
}

func TestWhoamiWithARefusedToken(t *testing.T) {
	t.Parallel()
	emu := newEmulator(t, emulator.Options{Token: "some-other-token"})
	srv := serve(t, emu)
	cfg := testConfig(srv.URL)
	cfg.AccountID = ""

	p, err := NewDNSimple(t.Context(), cfg)
	assert.Nil(t, p)
	e := requireKind(t, err, fault.Upstream)
	assert.Equal(t, http.StatusUnauthorized, e.Status)
}

func TestRequestsCarryTheBearerTokenAndUserAgent(t *testing.T) {
	t.Parallel()
	emu := newEmulator(t, emulator.Options{})
	var (
		mu     sync.Mutex
		auths  []string
		agents []string
	)
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auths = append(auths, r.Header.Values("Authorization")...)
		agents = append(agents, r.Header.Get("User-Agent"))
		mu.Unlock()
		emu.ServeHTTP(w, r)
	}))
	cfg := testConfig(srv.URL + "/") // a trailing slash on the root is tolerated
	cfg.AccountID = ""
	p, err := NewDNSimple(t.Context(), cfg)
	require.NoError(t, err)

	ctx := t.Context()
	_, err = p.Records(ctx, testZone)
	require.NoError(t, err)
	applied, err := p.Apply(ctx, testZone, Change{Creates: []NewRecord{{Name: "www", Type: "A", Content: "192.0.2.1", TTL: 60}}})
	require.NoError(t, err)
	_, err = p.Record(ctx, testZone, applied.Created[0].ID)
	require.NoError(t, err)

	mu.Lock()
	defer mu.Unlock()
	require.Len(t, auths, 4, "one Authorization header per request")
	for _, a := range auths {
		assert.Equal(t, "Bearer "+testToken, a)
	}
	for _, ua := range agents {
		assert.True(t, strings.HasPrefix(ua, "dns-api-test/1 "), "User-Agent %q", ua)
	}
}

// ---- reading ----

func TestRecordsFollowsPagination(t *testing.T) {
	t.Parallel()
	emu := newEmulator(t, emulator.Options{})
	// 5 system records + 145 = 150: two pages of 100.
	for i := range 145 {
		seed(t, emu, fmt.Sprintf("host-%03d", i), "A", fmt.Sprintf("192.0.2.%d", i%250+1))
	}
	srv := serve(t, emu)
	p := connect(t, srv.URL)

	got, err := p.Records(t.Context(), testZone)
	require.NoError(t, err)

	want := emu.Records(testZone)
	require.Len(t, got, 150)
	for i, r := range got {
		w := want[i]
		assert.Equal(t, w.ID, r.ID)
		assert.Equal(t, testZone, r.Zone)
		assert.Equal(t, w.Name, r.Name)
		assert.Equal(t, w.Type, r.Type)
		assert.Equal(t, w.Content, r.Content)
		assert.Equal(t, w.TTL, r.TTL)
		assert.Equal(t, w.System, r.System)
		assert.NotEmpty(t, r.CreatedAt)
		assert.NotEmpty(t, r.UpdatedAt)
	}
	var system []string
	for _, r := range got {
		if r.System {
			system = append(system, r.Type)
		}
	}
	assert.Equal(t, []string{"SOA", "NS", "NS", "NS", "NS"}, system, "system records are listed too")

	reqs := emu.Requests()
	require.Len(t, reqs, 2, "two pages, then stop: %v", calls(reqs))
	for i, r := range reqs {
		assert.Equal(t, "GET "+recordsPath, calls(reqs)[i])
		q := query(t, r)
		assert.Equal(t, strconv.Itoa(i+1), q.Get("page"))
		assert.Equal(t, "100", q.Get("per_page"))
		assert.Equal(t, "id:asc", q.Get("sort"))
		assert.False(t, q.Has("name") || q.Has("type"), "a full listing has no filters: %s", r.Query)
	}
}

func TestRecordsStopsAtAnExactLastPage(t *testing.T) {
	t.Parallel()
	emu := newEmulator(t, emulator.Options{})
	for i := range 195 { // 200 records in all: exactly two pages
		seed(t, emu, fmt.Sprintf("h%d", i), "TXT", "v")
	}
	srv := serve(t, emu)
	p := connect(t, srv.URL)

	got, err := p.Records(t.Context(), testZone)
	require.NoError(t, err)
	assert.Len(t, got, 200)
	reqs := emu.Requests()
	require.Len(t, reqs, 2, "no request for a third, empty page")
	assert.Equal(t, "2", query(t, reqs[1]).Get("page"))
}

func TestRecordsOfASmallZoneIsOneCall(t *testing.T) {
	t.Parallel()
	emu := newEmulator(t, emulator.Options{})
	srv := serve(t, emu)
	p := connect(t, srv.URL)

	got, err := p.Records(t.Context(), testZone)
	require.NoError(t, err)
	assert.Len(t, got, 5)
	assert.Len(t, emu.Requests(), 1)
}

func TestRecordsGivesUpOnAListingThatNeverEnds(t *testing.T) {
	t.Parallel()
	var hits atomic.Int64
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		page := r.URL.Query().Get("page")
		respond(http.StatusOK, jsonType, `{"data":[],"pagination":{"current_page":`+page+
			`,"per_page":100,"total_entries":100000000,"total_pages":1000000}}`)(w, r)
	}))
	p := connect(t, srv.URL)

	_, err := p.Records(t.Context(), testZone)
	requireKind(t, err, fault.Upstream)
	assert.LessOrEqual(t, hits.Load(), int64(maxPages), "the listing must be cut off")
}

func TestRecordsRefusesListingsThatMakeNoSense(t *testing.T) {
	t.Parallel()
	// page renders a page of n records with ids from first, announcing total pages.
	page := func(current, first, n, total int) string {
		var recs []string
		for i := range n {
			recs = append(recs, fmt.Sprintf(`{"id":%d,"zone_id":"example.com","name":"h%d","content":"v","ttl":60,"type":"TXT","system_record":false}`, first+i, first+i))
		}
		return fmt.Sprintf(`{"data":[%s],"pagination":{"current_page":%d,"per_page":100,"total_entries":%d,"total_pages":%d}}`,
			strings.Join(recs, ","), current, total*100, total)
	}
	tests := []struct {
		name   string
		answer func(page int) string
		most   int64 // calls at most
	}{
		{"each page announces one more", func(p int) string { return page(p, p*1000, 100, p+1) }, 3},
		{"the same page again and again", func(p int) string { return page(p, 1, 100, p+1) }, 2},
		{"the first page whatever is asked", func(int) string { return page(1, 1, 100, 5) }, 5}, // the pages it announced, fetched at once
		{"an empty page announcing more", func(p int) string { return page(p, p*1000, 0, 3) }, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var hits atomic.Int64
			srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				n, _ := strconv.Atoi(r.URL.Query().Get("page"))
				respond(http.StatusOK, jsonType, tt.answer(n))(w, r)
			}))
			p := connect(t, srv.URL)
			_, err := p.Records(t.Context(), testZone)
			requireKind(t, err, fault.Upstream)
			assert.LessOrEqual(t, hits.Load(), tt.most)
		})
	}
}

func TestFindRecordsUsesTheFilters(t *testing.T) {
	t.Parallel()
	emu := newEmulator(t, emulator.Options{})
	a1 := seed(t, emu, "www", "A", "192.0.2.1")
	seed(t, emu, "www", "AAAA", "2001:db8::1")
	seed(t, emu, "api", "A", "192.0.2.3")
	seed(t, emu, "www.api", "A", "192.0.2.4")
	a2 := seed(t, emu, "www", "A", "192.0.2.2")
	for i := range 120 { // a big zone that must not be listed
		seed(t, emu, fmt.Sprintf("filler-%d", i), "A", "192.0.2.9")
	}
	srv := serve(t, emu)
	p := connect(t, srv.URL)

	got, err := p.FindRecords(t.Context(), testZone, "www", "A")
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, []int64{a1.ID, a2.ID}, []int64{got[0].ID, got[1].ID})
	for _, r := range got {
		assert.Equal(t, "www", r.Name)
		assert.Equal(t, "A", r.Type)
		assert.Equal(t, testZone, r.Zone)
	}

	reqs := emu.Requests()
	require.Len(t, reqs, 1, "one filtered page, not the zone: %v", calls(reqs))
	q := query(t, reqs[0])
	assert.Equal(t, "www", q.Get("name"))
	assert.Equal(t, "A", q.Get("type"))
	assert.False(t, q.Has("name_like"), "name is an exact filter")
	assert.Equal(t, "100", q.Get("per_page"))
	assert.Equal(t, "id:asc", q.Get("sort"))
}

func TestFindRecordsAtTheApex(t *testing.T) {
	t.Parallel()
	emu := newEmulator(t, emulator.Options{})
	seed(t, emu, "ns", "NS", "ns9.example.net")
	srv := serve(t, emu)
	p := connect(t, srv.URL)

	got, err := p.FindRecords(t.Context(), testZone, "", "NS")
	require.NoError(t, err)
	require.Len(t, got, 4, "the apex NS records, not the one at ns")
	for _, r := range got {
		assert.Empty(t, r.Name)
		assert.True(t, r.System)
	}
	reqs := emu.Requests()
	require.Len(t, reqs, 1)
	q := query(t, reqs[0])
	assert.True(t, q.Has("name"), "the apex is asked for with an empty name filter: %s", reqs[0].Query)
	assert.Empty(t, q.Get("name"))
	assert.Equal(t, "NS", q.Get("type"))
}

func TestFindRecordsFollowsPaginationWithTheFilters(t *testing.T) {
	t.Parallel()
	emu := newEmulator(t, emulator.Options{})
	for i := range 130 {
		seed(t, emu, "_acme-challenge", "TXT", fmt.Sprintf("value-%d", i))
	}
	seed(t, emu, "_acme-challenge", "A", "192.0.2.1")
	srv := serve(t, emu)
	p := connect(t, srv.URL)

	got, err := p.FindRecords(t.Context(), testZone, "_acme-challenge", "TXT")
	require.NoError(t, err)
	require.Len(t, got, 130)
	assert.True(t, slices.IsSortedFunc(got, func(a, b Record) int { return int(a.ID - b.ID) }))

	reqs := emu.Requests()
	require.Len(t, reqs, 2)
	for i, r := range reqs {
		q := query(t, r)
		assert.Equal(t, strconv.Itoa(i+1), q.Get("page"))
		assert.Equal(t, "_acme-challenge", q.Get("name"))
		assert.Equal(t, "TXT", q.Get("type"))
	}
}

func TestFindRecordsNone(t *testing.T) {
	t.Parallel()
	emu := newEmulator(t, emulator.Options{})
	srv := serve(t, emu)
	p := connect(t, srv.URL)

	got, err := p.FindRecords(t.Context(), testZone, "nothing", "A")
	require.NoError(t, err)
	assert.Empty(t, got)
}

func TestRecordByID(t *testing.T) {
	t.Parallel()
	emu := newEmulator(t, emulator.Options{})
	want := seed(t, emu, "api", "CNAME", "app.example.net")
	srv := serve(t, emu)
	p := connect(t, srv.URL)

	got, err := p.Record(t.Context(), testZone, want.ID)
	require.NoError(t, err)
	assert.Equal(t, want.ID, got.ID)
	assert.Equal(t, testZone, got.Zone)
	assert.Equal(t, "api", got.Name)
	assert.Equal(t, "CNAME", got.Type)
	assert.Equal(t, "app.example.net", got.Content)
	assert.Equal(t, 60, got.TTL)
	assert.False(t, got.System)
	assert.Equal(t, []string{fmt.Sprintf("GET %s/%d", recordsPath, want.ID)}, calls(emu.Requests()))
}

func TestRecordByIDMissing(t *testing.T) {
	t.Parallel()
	emu := newEmulator(t, emulator.Options{})
	srv := serve(t, emu)
	p := connect(t, srv.URL)

	_, err := p.Record(t.Context(), testZone, 1<<32+999)
	e := requireKind(t, err, fault.NotFound)
	assert.Equal(t, http.StatusNotFound, e.Status)
}

func TestRecordIDsAbove32BitsRoundTrip(t *testing.T) {
	t.Parallel()
	for name, first := range map[string]int64{
		"above 2^32": 1<<32 + 5,
		// Beyond a float64's exact integers: a client that decodes ids
		// through float64 would get the neighbour.
		"above 2^53": 1<<53 + 1,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			emu := newEmulator(t, emulator.Options{FirstRecordID: first})
			srv := serve(t, emu)
			p := connect(t, srv.URL)
			ctx := t.Context()

			applied, err := p.Apply(ctx, testZone, Change{Creates: []NewRecord{{Name: "big", Type: "A", Content: "192.0.2.1", TTL: 60}}})
			require.NoError(t, err)
			require.Len(t, applied.Created, 1)
			id := applied.Created[0].ID
			assert.Greater(t, id, first, "the zone's system records took the first ids")
			stored := emu.Records(testZone)
			assert.Equal(t, stored[len(stored)-1].ID, id)

			got, err := p.Record(ctx, testZone, id)
			require.NoError(t, err)
			assert.Equal(t, id, got.ID)

			listed, err := p.FindRecords(ctx, testZone, "big", "A")
			require.NoError(t, err)
			require.Len(t, listed, 1)
			assert.Equal(t, id, listed[0].ID)

			applied, err = p.Apply(ctx, testZone, Change{Updates: []Update{{ID: id, Content: "192.0.2.2"}}})
			require.NoError(t, err)
			assert.Equal(t, id, applied.Updated[0].ID)

			_, err = p.Apply(ctx, testZone, Change{Deletes: []int64{id}})
			require.NoError(t, err)
			_, err = p.Record(ctx, testZone, id)
			requireKind(t, err, fault.NotFound)
		})
	}
}

// ---- writing ----

func TestApplySingleCreate(t *testing.T) {
	t.Parallel()
	emu := newEmulator(t, emulator.Options{})
	srv := serve(t, emu)
	p := connect(t, srv.URL)

	applied, err := p.Apply(t.Context(), testZone, Change{Creates: []NewRecord{{Name: "www", Type: "A", Content: "192.0.2.1", TTL: 120}}})
	require.NoError(t, err)
	require.Len(t, applied.Created, 1)
	assert.Empty(t, applied.Updated)
	r := applied.Created[0]
	assert.NotZero(t, r.ID)
	assert.Equal(t, Record{ID: r.ID, Zone: testZone, Name: "www", Type: "A", Content: "192.0.2.1", TTL: 120,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}, r)
	assert.NotEmpty(t, r.CreatedAt)

	assert.Equal(t, []string{"POST " + recordsPath}, calls(emu.Requests()))
	stored := byID(emu.Records(testZone))[r.ID]
	assert.Equal(t, "www", stored.Name)
	assert.Equal(t, "192.0.2.1", stored.Content)
	assert.Equal(t, 120, stored.TTL)
}

func TestApplySingleCreateAtTheApex(t *testing.T) {
	t.Parallel()
	emu := newEmulator(t, emulator.Options{})
	srv := serve(t, emu)
	p := connect(t, srv.URL)

	applied, err := p.Apply(t.Context(), testZone, Change{Creates: []NewRecord{{Name: "", Type: "TXT", Content: "v=spf1 -all", TTL: 60}}})
	require.NoError(t, err)
	require.Len(t, applied.Created, 1)
	assert.Empty(t, applied.Created[0].Name)
}

func TestApplySingleUpdate(t *testing.T) {
	t.Parallel()
	emu := newEmulator(t, emulator.Options{})
	old := seed(t, emu, "www", "A", "192.0.2.1")
	srv := serve(t, emu)
	p := connect(t, srv.URL)

	applied, err := p.Apply(t.Context(), testZone, Change{Updates: []Update{{ID: old.ID, Content: "192.0.2.2"}}})
	require.NoError(t, err)
	assert.Empty(t, applied.Created)
	require.Len(t, applied.Updated, 1)
	assert.Equal(t, old.ID, applied.Updated[0].ID)
	assert.Equal(t, "192.0.2.2", applied.Updated[0].Content)
	assert.Equal(t, "www", applied.Updated[0].Name)

	assert.Equal(t, []string{fmt.Sprintf("PATCH %s/%d", recordsPath, old.ID)}, calls(emu.Requests()))
	assert.Equal(t, "192.0.2.2", byID(emu.Records(testZone))[old.ID].Content)
}

func TestApplySingleDelete(t *testing.T) {
	t.Parallel()
	emu := newEmulator(t, emulator.Options{})
	old := seed(t, emu, "www", "A", "192.0.2.1")
	srv := serve(t, emu)
	p := connect(t, srv.URL)

	applied, err := p.Apply(t.Context(), testZone, Change{Deletes: []int64{old.ID}})
	require.NoError(t, err)
	assert.Empty(t, applied.Created)
	assert.Empty(t, applied.Updated)

	assert.Equal(t, []string{fmt.Sprintf("DELETE %s/%d", recordsPath, old.ID)}, calls(emu.Requests()))
	assert.NotContains(t, byID(emu.Records(testZone)), old.ID)
}

func TestApplySingleDeleteOfAMissingRecord(t *testing.T) {
	t.Parallel()
	emu := newEmulator(t, emulator.Options{})
	srv := serve(t, emu)
	p := connect(t, srv.URL)

	_, err := p.Apply(t.Context(), testZone, Change{Deletes: []int64{1<<40 + 1}})
	requireKind(t, err, fault.NotFound)
}

func TestApplyEmptyChangeCallsNothing(t *testing.T) {
	t.Parallel()
	emu := newEmulator(t, emulator.Options{})
	srv := serve(t, emu)
	p := connect(t, srv.URL)

	applied, err := p.Apply(t.Context(), testZone, Change{})
	require.NoError(t, err)
	assert.Empty(t, applied.Created)
	assert.Empty(t, applied.Updated)
	assert.Empty(t, emu.Requests())
}

func TestApplyBatch(t *testing.T) {
	t.Parallel()
	emu := newEmulator(t, emulator.Options{})
	keep := seed(t, emu, "www", "A", "192.0.2.1")
	dup := seed(t, emu, "www", "A", "192.0.2.1") // a duplicate, cleaned up
	srv := serve(t, emu)
	p := connect(t, srv.URL)

	applied, err := p.Apply(t.Context(), testZone, Change{
		Updates: []Update{{ID: keep.ID, Content: "192.0.2.7"}},
		Creates: []NewRecord{{Name: "_acme-challenge.www", Type: "TXT", Content: "token-1", TTL: 60}},
		Deletes: []int64{dup.ID},
	})
	require.NoError(t, err)

	assert.Equal(t, []string{"POST " + batchPath}, calls(emu.Requests()), "one batch call and nothing else")
	require.Len(t, applied.Updated, 1)
	assert.Equal(t, keep.ID, applied.Updated[0].ID)
	assert.Equal(t, "192.0.2.7", applied.Updated[0].Content)
	assert.Equal(t, testZone, applied.Updated[0].Zone)
	require.Len(t, applied.Created, 1)
	assert.Equal(t, "_acme-challenge.www", applied.Created[0].Name)
	assert.Equal(t, "TXT", applied.Created[0].Type)
	assert.NotZero(t, applied.Created[0].ID)

	stored := byID(emu.Records(testZone))
	assert.Len(t, stored, 5+2)
	assert.Equal(t, "192.0.2.7", stored[keep.ID].Content)
	assert.NotContains(t, stored, dup.ID)
	assert.Equal(t, `"token-1"`, stored[applied.Created[0].ID].Content, "TXT content goes out quoted")
	assert.Equal(t, "token-1", applied.Created[0].Content, "and comes back unquoted")
}

func TestApplyBatchIsAtomic(t *testing.T) {
	t.Parallel()
	emu := newEmulator(t, emulator.Options{})
	www := seed(t, emu, "www", "A", "192.0.2.1")
	other := seed(t, emu, "old", "A", "192.0.2.5")
	seed(t, emu, "api", "A", "192.0.2.8")
	srv := serve(t, emu)
	p := connect(t, srv.URL)
	before := emu.Records(testZone)

	_, err := p.Apply(t.Context(), testZone, Change{
		Updates: []Update{{ID: www.ID, Content: "192.0.2.2"}},
		Creates: []NewRecord{
			{Name: "new", Type: "A", Content: "192.0.2.3", TTL: 60},
			{Name: "api", Type: "A", Content: "192.0.2.8", TTL: 60}, // exact duplicate: refused
		},
		Deletes: []int64{other.ID},
	})
	e := requireKind(t, err, fault.Conflict)
	assert.Equal(t, http.StatusBadRequest, e.Status)

	assert.Equal(t, []string{"POST " + batchPath}, calls(emu.Requests()), "a refused batch is not retried one by one")
	assert.Equal(t, before, emu.Records(testZone), "nothing of a refused batch happens")
}

func TestApplyBatchRefusalKeepsDNSimplesMessageForTheLog(t *testing.T) {
	t.Parallel()
	emu := newEmulator(t, emulator.Options{})
	seed(t, emu, "old", "A", "192.0.2.5")
	srv := serve(t, emu)
	p := connect(t, srv.URL)

	_, err := p.Apply(t.Context(), testZone, Change{Creates: []NewRecord{
		{Name: "new", Type: "A", Content: "192.0.2.3", TTL: 60},
		{Name: "old", Type: "A", Content: "192.0.2.5", TTL: 60},
	}})
	e := requireKind(t, err, fault.Conflict)
	assert.Contains(t, e.Detail, "Validation failed", "DNSimple's message is kept for the log")
	assert.NotContains(t, e.Message, "Validation failed", "and not repeated to callers")
}

func TestApplyFallsBackWithoutBatchChanges(t *testing.T) {
	t.Parallel()
	emu := newEmulator(t, emulator.Options{})
	keep := seed(t, emu, "www", "A", "192.0.2.1")
	dup := seed(t, emu, "www", "A", "192.0.2.1")
	var batchCalls atomic.Int64
	srv := serve(t, intercept(emu,
		func(r *http.Request) bool {
			return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/batch")
		},
		func(w http.ResponseWriter, r *http.Request) {
			batchCalls.Add(1)
			respond(http.StatusPreconditionFailed, jsonType,
				`{"message":"Your current plan does not include batch changes"}`)(w, r)
		}))
	p := connect(t, srv.URL)

	applied, err := p.Apply(t.Context(), testZone, Change{
		Updates: []Update{{ID: keep.ID, Content: "192.0.2.9"}},
		Creates: []NewRecord{{Name: "api", Type: "AAAA", Content: "2001:db8::9", TTL: 60}},
		Deletes: []int64{dup.ID},
	})
	require.NoError(t, err)
	assert.EqualValues(t, 1, batchCalls.Load())

	// The batch request reached the wrapper only; the emulator saw the
	// single calls, updates and creates before deletions.
	assert.Equal(t, []string{
		fmt.Sprintf("PATCH %s/%d", recordsPath, keep.ID),
		"POST " + recordsPath,
		fmt.Sprintf("DELETE %s/%d", recordsPath, dup.ID),
	}, calls(emu.Requests()))

	require.Len(t, applied.Updated, 1)
	assert.Equal(t, "192.0.2.9", applied.Updated[0].Content)
	require.Len(t, applied.Created, 1)
	assert.Equal(t, "api", applied.Created[0].Name)

	stored := byID(emu.Records(testZone))
	assert.Len(t, stored, 5+2)
	assert.Equal(t, "192.0.2.9", stored[keep.ID].Content)
	assert.NotContains(t, stored, dup.ID)
	assert.Equal(t, "2001:db8::9", stored[applied.Created[0].ID].Content)
}

func TestApplyFallbackStopsAtTheFirstFailure(t *testing.T) {
	t.Parallel()
	emu := newEmulator(t, emulator.Options{})
	www := seed(t, emu, "www", "A", "192.0.2.1")
	srv := serve(t, intercept(emu,
		func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/batch") },
		respond(http.StatusPreconditionFailed, jsonType, `{"message":"no batch"}`)))
	p := connect(t, srv.URL)

	applied, err := p.Apply(t.Context(), testZone, Change{
		Updates: []Update{{ID: www.ID, Content: "192.0.2.2"}},
		Creates: []NewRecord{{Name: "www", Type: "CNAME", Content: "x.example.net", TTL: 60}}, // refused
		Deletes: []int64{www.ID},
	})
	requireKind(t, err, fault.Conflict)
	require.Len(t, applied.Updated, 1, "what was done is reported")
	assert.Empty(t, applied.Created)
	assert.Contains(t, byID(emu.Records(testZone)), www.ID, "no deletion after a failure")
}

// ---- error mapping ----

func TestErrorMapping(t *testing.T) {
	t.Parallel()
	type call func(ctx context.Context, p *DNSimple) error
	records := func(ctx context.Context, p *DNSimple) error { _, err := p.Records(ctx, testZone); return err }
	find := func(ctx context.Context, p *DNSimple) error {
		_, err := p.FindRecords(ctx, testZone, "www", "A")
		return err
	}
	record := func(ctx context.Context, p *DNSimple) error { _, err := p.Record(ctx, testZone, 1<<33); return err }
	create := func(ctx context.Context, p *DNSimple) error {
		_, err := p.Apply(ctx, testZone, Change{Creates: []NewRecord{{Name: "www", Type: "A", Content: "192.0.2.1", TTL: 60}}})
		return err
	}
	update := func(ctx context.Context, p *DNSimple) error {
		_, err := p.Apply(ctx, testZone, Change{Updates: []Update{{ID: 1 << 33, Content: "192.0.2.1"}}})
		return err
	}
	batch := func(ctx context.Context, p *DNSimple) error {
		_, err := p.Apply(ctx, testZone, Change{Deletes: []int64{1 << 33, 1<<33 + 1}})
		return err
	}

	tests := []struct {
		name    string
		fault   http.HandlerFunc
		call    call
		kind    fault.Kind
		status  int
		message string
	}{
		{"500 JSON", respond(500, jsonType, `{"message":"Internal Server Error"}`), records, fault.Upstream, 500, "Internal Server Error"},
		{"500 empty", respond(500, "", ""), record, fault.Upstream, 500, ""},
		{"502 nginx HTML", respond(502, "text/html", nginx502), records, fault.Upstream, 502, ""},
		{"502 nginx HTML on create", respond(502, "text/html", nginx502), create, fault.Upstream, 502, ""},
		{"503", respond(503, "text/plain", "Service Unavailable"), find, fault.Upstream, 503, ""},
		{"200 truncated JSON", respond(200, jsonType, `{"data":`), records, fault.Upstream, 200, ""},
		{"200 invalid JSON", respond(200, jsonType, `{"data": [nonsense]}`), find, fault.Upstream, 200, ""},
		{"200 HTML", respond(200, "text/html", "<html>maintenance</html>"), record, fault.Upstream, 200, ""},
		{"200 wrong shape", respond(200, jsonType, `{"data":"surprise"}`), records, fault.Upstream, 200, ""},
		{"200 without data on create", respond(200, jsonType, `{}`), create, fault.Upstream, 0, ""},
		{"201 null data on create", respond(201, jsonType, `{"data":null}`), create, fault.Upstream, 0, ""},
		{"201 empty record on create", respond(201, jsonType, `{"data":{}}`), create, fault.Upstream, 0, ""},
		{"200 without data on update", respond(200, jsonType, `{}`), update, fault.Upstream, 0, ""},
		{"200 without data on get", respond(200, jsonType, `{"data":null}`), record, fault.Upstream, 0, ""},
		{"200 without data on batch", respond(200, jsonType, `{}`), batch, fault.Upstream, 0, ""},
		{"201 empty body on create", respond(201, jsonType, ""), create, fault.Upstream, 0, ""},
		{"401", respond(401, jsonType, `{"message":"Authentication failed"}`), records, fault.Upstream, 401, "Authentication failed"},
		{"401 on create", respond(401, jsonType, `{"message":"Authentication failed"}`), create, fault.Upstream, 401, ""},
		{"403", respond(403, jsonType, `{"message":"Permission Denied. Required Scope: zone:*:write"}`), update, fault.Upstream, 403, "Permission Denied"},
		{"403 on batch", respond(403, jsonType, `{"message":"Permission Denied"}`), batch, fault.Upstream, 403, ""},
		{"404 on list", respond(404, jsonType, "{\"message\":\"Zone `example.com` not found\"}"), records, fault.Upstream, 404, "not found"},
		{"404 on find", respond(404, jsonType, "{\"message\":\"Zone `example.com` not found\"}"), find, fault.Upstream, 404, ""},
		{"404 on create", respond(404, jsonType, "{\"message\":\"Zone `example.com` not found\"}"), create, fault.Upstream, 404, ""},
		{"404 on get", respond(404, jsonType, "{\"message\":\"Record `8589934592` not found\"}"), record, fault.NotFound, 404, "not found"},
		{"404 on update", respond(404, jsonType, "{\"message\":\"Record `8589934592` not found\"}"), update, fault.NotFound, 404, ""},
		{"429", respond(429, jsonType, `{"message":"quota exceeded"}`), records, fault.RateLimited, 429, "quota exceeded"},
		{"429 on batch", respond(429, jsonType, `{"message":"quota exceeded"}`), batch, fault.RateLimited, 429, ""},
		{"409", respond(409, jsonType, `{"message":"conflict"}`), create, fault.Conflict, 409, "conflict"},
		{"422", respond(422, jsonType, `{"message":"Unprocessable"}`), create, fault.Conflict, 422, "Unprocessable"},
		{"400 with field errors", respond(400, jsonType, `{"message":"Validation failed","errors":{"content":["can't be blank"],"base":["nope"]}}`),
			create, fault.Conflict, 400, "Validation failed; base nope; content can't be blank"},
		{"405", respond(405, "", ""), create, fault.Upstream, 405, ""},
		{"204 on a read", respond(204, "", ""), record, fault.Upstream, 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := serve(t, tc.fault)
			p := connect(t, srv.URL)
			e := requireKind(t, tc.call(t.Context(), p), tc.kind)
			if tc.status != 0 {
				assert.Equal(t, tc.status, e.Status)
			}
			if tc.message != "" {
				assert.Contains(t, e.Detail, tc.message, "DNSimple's words are kept for the log")
			}
			if tc.kind == fault.Upstream {
				assert.NotContains(t, e.Message, "<html", "an HTML page is not a message for users")
			}
		})
	}
}

func TestValidationRefusalFromTheEmulator(t *testing.T) {
	t.Parallel()
	emu := newEmulator(t, emulator.Options{})
	seed(t, emu, "www", "A", "192.0.2.1")
	srv := serve(t, emu)
	p := connect(t, srv.URL)
	before := emu.Records(testZone)

	_, err := p.Apply(t.Context(), testZone, Change{Creates: []NewRecord{{Name: "www", Type: "CNAME", Content: "app.example.net", TTL: 60}}})
	e := requireKind(t, err, fault.Conflict)
	assert.Equal(t, http.StatusBadRequest, e.Status)
	assert.Contains(t, e.Detail, "A CNAME record cannot coexist with other records with the same name")
	assert.NotContains(t, e.Message, "coexist", "DNSimple's words are not repeated to callers")
	assert.Equal(t, before, emu.Records(testZone))
}

func TestListOfAMissingZone(t *testing.T) {
	t.Parallel()
	emu := newEmulator(t, emulator.Options{})
	srv := serve(t, emu)
	p := connect(t, srv.URL)

	_, err := p.Records(t.Context(), "example.org")
	e := requireKind(t, err, fault.Upstream)
	assert.Equal(t, http.StatusNotFound, e.Status)
	assert.Contains(t, e.Op, "example.org")
	assert.Contains(t, e.Message, "DNSIMPLE_DOMAINS")

	_, err = p.FindRecords(t.Context(), "example.org", "www", "A")
	requireKind(t, err, fault.Upstream)

	_, err = p.Apply(t.Context(), "example.org", Change{Creates: []NewRecord{{Name: "www", Type: "A", Content: "192.0.2.1", TTL: 60}}})
	requireKind(t, err, fault.Upstream)
}

func TestRefusedAccountTokenOnACall(t *testing.T) {
	t.Parallel()
	emu := newEmulator(t, emulator.Options{Token: "the-right-token"})
	srv := serve(t, emu)
	p := connect(t, srv.URL)

	_, err := p.Records(t.Context(), testZone)
	e := requireKind(t, err, fault.Upstream)
	assert.Equal(t, http.StatusUnauthorized, e.Status)
}

func TestOversizedAnswers(t *testing.T) {
	t.Parallel()
	// A record whose content fills size bytes: valid JSON that would decode
	// fine without the cap.
	bigRecord := func(size int) string {
		return `{"data":{"id":8589934593,"zone_id":"example.com","name":"big","type":"TXT","ttl":60,"content":"` +
			strings.Repeat("a", size) + `"}}`
	}
	endless := func(status int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", jsonType)
			w.WriteHeader(status)
			_, _ = io.WriteString(w, `{"data":{"id":1,"content":"`)
			chunk := []byte(strings.Repeat("a", 64<<10))
			for r.Context().Err() == nil {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		}
	}
	for name, answer := range map[string]http.HandlerFunc{
		"200 over 4 MiB":     respond(200, jsonType, bigRecord(maxResponseBytes)),
		"500 over 4 MiB":     respond(500, jsonType, `{"message":"`+strings.Repeat("x", maxResponseBytes)+`"}`),
		"endless 200 stream": endless(200),
		"endless 502 stream": endless(502),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := serve(t, answer)
			p := connect(t, srv.URL)
			_, err := p.Record(t.Context(), testZone, 8589934593)
			requireKind(t, err, fault.Upstream)
		})
	}

	t.Run("just under the limit is read", func(t *testing.T) {
		t.Parallel()
		srv := serve(t, respond(200, jsonType, bigRecord(3<<20)))
		p := connect(t, srv.URL)
		r, err := p.Record(t.Context(), testZone, 8589934593)
		require.NoError(t, err)
		assert.Len(t, r.Content, 3<<20)
	})
}

// stall blocks until the client gives up, so the test server can close.
func stall(started chan<- struct{}) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if started != nil {
			select {
			case started <- struct{}{}:
			default:
			}
		}
		select {
		case <-r.Context().Done():
		case <-time.After(30 * time.Second):
		}
	}
}

func TestSlowAnswerTimesOut(t *testing.T) {
	t.Parallel()
	slowAfterHeaders := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", jsonType)
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, `{"data":[`)
		w.(http.Flusher).Flush()
		stall(nil)(w, r)
	}
	for name, answer := range map[string]http.HandlerFunc{
		"no answer":           stall(nil),
		"body never finishes": slowAfterHeaders,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := serve(t, answer)
			cfg := testConfig(srv.URL)
			cfg.Timeout = 200 * time.Millisecond
			p, err := NewDNSimple(t.Context(), cfg)
			require.NoError(t, err)

			_, err = p.Records(t.Context(), testZone)
			requireKind(t, err, fault.Timeout)
		})
	}

	t.Run("whoami", func(t *testing.T) {
		t.Parallel()
		srv := serve(t, stall(nil))
		cfg := testConfig(srv.URL)
		cfg.AccountID = ""
		cfg.Timeout = 200 * time.Millisecond
		_, err := NewDNSimple(t.Context(), cfg)
		requireKind(t, err, fault.Timeout)
	})
}

func TestCallerCancellation(t *testing.T) {
	t.Parallel()

	t.Run("while waiting", func(t *testing.T) {
		t.Parallel()
		started := make(chan struct{}, 1)
		srv := serve(t, stall(started))
		p := connect(t, srv.URL)

		ctx, cancel := context.WithCancel(t.Context())
		go func() {
			<-started
			cancel()
		}()
		_, err := p.Records(ctx, testZone)
		require.ErrorIs(t, err, context.Canceled)
		assert.Nil(t, fault.As(err), "a cancelled caller gets the context's error, not %v", err)
	})

	t.Run("before the call", func(t *testing.T) {
		t.Parallel()
		emu := newEmulator(t, emulator.Options{})
		srv := serve(t, emu)
		p := connect(t, srv.URL)

		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		for name, call := range map[string]func() error{
			"records": func() error { _, err := p.Records(ctx, testZone); return err },
			"find":    func() error { _, err := p.FindRecords(ctx, testZone, "www", "A"); return err },
			"record":  func() error { _, err := p.Record(ctx, testZone, 1); return err },
			"apply": func() error {
				_, err := p.Apply(ctx, testZone, Change{Creates: []NewRecord{{Name: "x", Type: "A", Content: "192.0.2.1"}}})
				return err
			},
			"batch": func() error {
				_, err := p.Apply(ctx, testZone, Change{Deletes: []int64{1, 2}})
				return err
			},
		} {
			err := call()
			require.ErrorIs(t, err, context.Canceled, name)
			assert.Nil(t, fault.As(err), "%s: %v", name, err)
		}
		assert.Empty(t, emu.Requests())
		assert.Len(t, emu.Records(testZone), 5)
	})

	t.Run("during whoami", func(t *testing.T) {
		t.Parallel()
		emu := newEmulator(t, emulator.Options{})
		srv := serve(t, emu)
		cfg := testConfig(srv.URL)
		cfg.AccountID = ""
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		p, err := NewDNSimple(ctx, cfg)
		assert.Nil(t, p)
		require.ErrorIs(t, err, context.Canceled)
	})
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			t.Parallel()
			var (
				hits      atomic.Int64
				sawBearer atomic.Bool
			)
			elsewhere := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				if r.Header.Get("Authorization") != "" {
					sawBearer.Store(true)
				}
				respond(200, jsonType, `{"data":[],"pagination":{"current_page":1,"per_page":100,"total_entries":0,"total_pages":1}}`)(w, r)
			}))
			srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, elsewhere.URL+r.URL.RequestURI(), status)
			}))
			p := connect(t, srv.URL)

			_, err := p.Records(t.Context(), testZone)
			e := requireKind(t, err, fault.Upstream)
			assert.Equal(t, status, e.Status)

			_, err = p.Apply(t.Context(), testZone, Change{Creates: []NewRecord{{Name: "www", Type: "A", Content: "192.0.2.1", TTL: 60}}})
			requireKind(t, err, fault.Upstream)

			assert.Zero(t, hits.Load(), "the redirect must not be followed")
			assert.False(t, sawBearer.Load(), "the account token must not reach another server")
		})
	}
}

func TestUnreachableProvider(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL
	srv.Close() // nothing listens there any more

	p := connect(t, base)
	_, err := p.Records(t.Context(), testZone)
	e := requireKind(t, err, fault.Upstream)
	assert.Zero(t, e.Status)
}

// ---- rate limiting ----

func TestRateLimitedByTheEmulator(t *testing.T) {
	t.Parallel()
	start := time.Date(2016, 1, 7, 17, 45, 13, 0, time.UTC)
	emu := newEmulator(t, emulator.Options{RateLimit: 1, Now: func() time.Time { return start }})
	srv := serve(t, emu)
	p := connect(t, srv.URL)

	_, err := p.Records(t.Context(), testZone)
	require.NoError(t, err)
	_, err = p.Records(t.Context(), testZone)
	e := requireKind(t, err, fault.RateLimited)
	assert.Equal(t, http.StatusTooManyRequests, e.Status)
	assert.True(t, e.RetryAt.Equal(start.Add(time.Hour)), "reset %v", e.RetryAt)
	assert.Equal(t, time.Hour, e.RetryAfter(start.Add(500*time.Millisecond)))
}

func TestRateLimitReset(t *testing.T) {
	t.Parallel()
	reset := time.Date(2025, 9, 5, 6, 50, 48, 0, time.UTC)

	t.Run("X-RateLimit-Reset", func(t *testing.T) {
		t.Parallel()
		srv := serve(t, respond(429, jsonType, `{"message":"quota exceeded"}`,
			"X-RateLimit-Limit", "2400", "X-RateLimit-Remaining", "0",
			"X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10)))
		p := connect(t, srv.URL)
		_, err := p.FindRecords(t.Context(), testZone, "www", "A")
		e := requireKind(t, err, fault.RateLimited)
		assert.True(t, e.RetryAt.Equal(reset), "reset %v", e.RetryAt)
		assert.Equal(t, 90*time.Second, e.RetryAfter(reset.Add(-90*time.Second+100*time.Millisecond)))
	})

	t.Run("Retry-After", func(t *testing.T) {
		t.Parallel()
		srv := serve(t, respond(429, jsonType, `{"message":"quota exceeded"}`, "Retry-After", "120"))
		p := connect(t, srv.URL)
		_, err := p.Records(t.Context(), testZone)
		e := requireKind(t, err, fault.RateLimited)
		require.False(t, e.RetryAt.IsZero())
		assert.Equal(t, 30*time.Second, e.RetryAfter(e.RetryAt.Add(-29500*time.Millisecond)))
	})

	t.Run("nothing said", func(t *testing.T) {
		t.Parallel()
		srv := serve(t, respond(429, "text/plain", "slow down"))
		p := connect(t, srv.URL)
		_, err := p.Records(t.Context(), testZone)
		e := requireKind(t, err, fault.RateLimited)
		assert.False(t, e.RetryAt.IsZero(), "a minute is assumed")
		assert.Equal(t, time.Minute, e.RetryAfter(time.Now()))
	})
}

func TestErrorText(t *testing.T) {
	t.Parallel()
	e := &CallError{Op: "create a CNAME record \"www\" in example.com", Status: 400,
		Detail: "Validation failed", Cause: errors.New("POST /v2/1010/zones/example.com/records: 400")}
	assert.Equal(t, `create a CNAME record "www" in example.com (HTTP 400): Validation failed: POST /v2/1010/zones/example.com/records: 400`, e.Error())
	bare := &CallError{Op: "list the records of example.com"}
	assert.Equal(t, "list the records of example.com", bare.Error())
}
