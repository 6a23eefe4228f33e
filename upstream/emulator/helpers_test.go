package emulator

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const (
	testToken = "secret-token"
	testZone  = "example.com"
)

// testStart is the fake clock's start: 2016-01-07T17:45:13Z.
var testStart = time.Date(2016, 1, 7, 17, 45, 13, 0, time.UTC)

// fakeClock is a settable clock for Options.Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: testStart} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// testEnv is an emulator behind an httptest server.
type testEnv struct {
	t     *testing.T
	emu   *Emulator
	srv   *httptest.Server
	clock *fakeClock
}

// newEnv starts an emulator with opts, filling in the test token, the
// example.com zone and a fake clock when opts leaves them empty.
func newEnv(t *testing.T, opts Options) *testEnv {
	t.Helper()
	clock := newFakeClock()
	if opts.Token == "" {
		opts.Token = testToken
	}
	if opts.Zones == nil {
		opts.Zones = []string{testZone}
	}
	if opts.Now == nil {
		opts.Now = clock.Now
	}
	emu, err := New(opts)
	require.NoError(t, err)
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	return &testEnv{t: t, emu: emu, srv: srv, clock: clock}
}

// response is an answer read whole.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request with the test token. body is sent as is when it is a
// string or []byte, and JSON-encoded otherwise (nil sends nothing).
func (e *testEnv) do(method, path string, body any) response {
	return e.doWithAuth(method, path, body, "Bearer "+testToken)
}

// doWithAuth sends a request with the given Authorization header ("" for
// none).
func (e *testEnv) doWithAuth(method, path string, body any, auth string) response {
	e.t.Helper()
	var reader io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		reader = bytes.NewBufferString(b)
	case []byte:
		reader = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		require.NoError(e.t, err)
		reader = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, reader)
	require.NoError(e.t, err)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.srv.Client().Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	return response{status: resp.StatusCode, header: resp.Header, body: data}
}

// recordJSON decodes a record answer.
type recordJSON struct {
	ID           int64    `json:"id"`
	ZoneID       string   `json:"zone_id"`
	ParentID     *int64   `json:"parent_id"`
	Name         string   `json:"name"`
	Content      string   `json:"content"`
	TTL          int      `json:"ttl"`
	Priority     *int     `json:"priority"`
	Type         string   `json:"type"`
	Regions      []string `json:"regions"`
	SystemRecord bool     `json:"system_record"`
	CreatedAt    string   `json:"created_at"`
	UpdatedAt    string   `json:"updated_at"`
}

// paginationJSON decodes a pagination object.
type paginationJSON struct {
	CurrentPage  int `json:"current_page"`
	PerPage      int `json:"per_page"`
	TotalEntries int `json:"total_entries"`
	TotalPages   int `json:"total_pages"`
}

// recordList decodes a record list answer.
type recordList struct {
	Data       []recordJSON    `json:"data"`
	Pagination *paginationJSON `json:"pagination"`
}

// decode unmarshals the body into v, failing the test on error.
func (r response) decode(t *testing.T, v any) {
	t.Helper()
	require.NoError(t, json.Unmarshal(r.body, v), "body: %s", r.body)
}

// record decodes a {"data": record} answer.
func (r response) record(t *testing.T) recordJSON {
	t.Helper()
	var body struct {
		Data recordJSON `json:"data"`
	}
	r.decode(t, &body)
	return body.Data
}

// list decodes a record list answer.
func (r response) list(t *testing.T) recordList {
	t.Helper()
	var body recordList
	r.decode(t, &body)
	return body
}

// ids returns the ids of records.
func ids(records []recordJSON) []int64 {
	out := make([]int64, len(records))
	for i, r := range records {
		out[i] = r.ID
	}
	return out
}

// recordsPath is the records collection path of a zone in account 1010.
func recordsPath(zone string) string {
	return "/v2/1010/zones/" + zone + "/records"
}

// mustCreate creates a record through the API and returns it.
func (e *testEnv) mustCreate(body map[string]any) recordJSON {
	e.t.Helper()
	resp := e.do(http.MethodPost, recordsPath(testZone), body)
	require.Equal(e.t, http.StatusCreated, resp.status, "body: %s", resp.body)
	return resp.record(e.t)
}
