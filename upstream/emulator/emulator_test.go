package emulator

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewRefusesBadOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts Options
	}{
		{"empty token", Options{}},
		{"negative account", Options{Token: "t", AccountID: -1}},
		{"empty zone", Options{Token: "t", Zones: []string{""}}},
		{"single label zone", Options{Token: "t", Zones: []string{"com"}}},
		{"underscore in zone", Options{Token: "t", Zones: []string{"bad_zone.com"}}},
		{"leading hyphen label", Options{Token: "t", Zones: []string{"-bad.com"}}},
		{"empty label", Options{Token: "t", Zones: []string{"a..com"}}},
		{"space", Options{Token: "t", Zones: []string{"a b.com"}}},
		{"repeated zone", Options{Token: "t", Zones: []string{"example.com", "EXAMPLE.com."}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(tt.opts)
			assert.Error(t, err)
		})
	}
}

func TestNewDefaultsAndSystemRecords(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	emu, err := New(Options{Token: "t", Zones: []string{"Example.COM."}, Now: clock.Now})
	require.NoError(t, err)

	records := emu.Records("example.com")
	require.Len(t, records, 5)
	soa := fmt.Sprintf("ns1.dnsimple.com admin.dnsimple.com %d 86400 7200 604800 300", testStart.Unix())
	want := []Record{
		{ID: 4294967297, Zone: "example.com", Type: "SOA", Content: soa},
		{ID: 4294967298, Zone: "example.com", Type: "NS", Content: "ns1.dnsimple.com"},
		{ID: 4294967299, Zone: "example.com", Type: "NS", Content: "ns2.dnsimple.com"},
		{ID: 4294967300, Zone: "example.com", Type: "NS", Content: "ns3.dnsimple.com"},
		{ID: 4294967301, Zone: "example.com", Type: "NS", Content: "ns4.dnsimple.com"},
	}
	for i := range want {
		want[i].TTL = 3600
		want[i].Regions = []string{"global"}
		want[i].System = true
		want[i].CreatedAt = testStart
		want[i].UpdatedAt = testStart
	}
	assert.Equal(t, want, records)
	assert.Nil(t, emu.Records("unknown.com"))
}

func TestAddZone(t *testing.T) {
	t.Parallel()
	emu, err := New(Options{Token: "t", FirstRecordID: 100})
	require.NoError(t, err)
	require.NoError(t, emu.AddZone("a.example"))
	require.NoError(t, emu.AddZone("b.example"))
	assert.Error(t, emu.AddZone("a.example"))
	assert.Error(t, emu.AddZone("not a zone"))

	a, b := emu.Records("a.example"), emu.Records("b.example")
	require.Len(t, a, 5)
	require.Len(t, b, 5)
	assert.Equal(t, int64(100), a[0].ID)
	assert.Equal(t, int64(105), b[0].ID, "ids are unique across zones")
}

func TestSeedBypassesValidationAndRecordsIsASnapshot(t *testing.T) {
	t.Parallel()
	env := newEnv(t, Options{})
	first, err := env.emu.Seed(testZone, Record{ID: 7, Name: "dup", Type: "A", Content: "192.0.2.1", TTL: 3600})
	require.NoError(t, err)
	second, err := env.emu.Seed(testZone, Record{Name: "dup", Type: "A", Content: "192.0.2.1", TTL: 3600, Regions: []string{"SV1"}})
	require.NoError(t, err)
	assert.Equal(t, int64(4294967302), first.ID, "Seed allocates the id")
	assert.Equal(t, int64(4294967303), second.ID)
	assert.Equal(t, testZone, first.Zone)
	assert.Equal(t, testStart, first.CreatedAt)

	_, err = env.emu.Seed("unknown.com", Record{Type: "A"})
	assert.Error(t, err)

	snapshot := env.emu.Records(testZone)
	require.Len(t, snapshot, 7)
	snapshot[6].Regions[0] = "changed"
	snapshot[5].Content = "changed"
	again := env.emu.Records(testZone)
	assert.Equal(t, "SV1", again[6].Regions[0])
	assert.Equal(t, "192.0.2.1", again[5].Content)

	// The duplicates are served as stored.
	resp := env.do(http.MethodGet, recordsPath(testZone)+"?name=dup", nil)
	require.Equal(t, http.StatusOK, resp.status)
	assert.Equal(t, []int64{first.ID, second.ID}, ids(resp.list(t).Data))
}

func TestRequestLog(t *testing.T) {
	t.Parallel()
	env := newEnv(t, Options{})
	env.do(http.MethodGet, "/v2/whoami", nil)
	env.do(http.MethodGet, recordsPath(testZone)+"?name=www&type=A", nil)
	env.doWithAuth(http.MethodDelete, "/v2/nowhere", nil, "")
	assert.Equal(t, []Request{
		{Method: "GET", Path: "/v2/whoami"},
		{Method: "GET", Path: "/v2/1010/zones/example.com/records", Query: "name=www&type=A"},
		{Method: "DELETE", Path: "/v2/nowhere"},
	}, env.emu.Requests())

	env.emu.ResetRequests()
	assert.Empty(t, env.emu.Requests())

	// Only the last 10,000 are kept (served in-process to keep this fast),
	// also once the log has been compacted.
	for i := range 20005 {
		req := httptest.NewRequest(http.MethodGet, fmt.Sprintf("/v2/whoami?i=%d", i), nil)
		env.emu.ServeHTTP(httptest.NewRecorder(), req)
	}
	log := env.emu.Requests()
	require.Len(t, log, 10000)
	assert.Equal(t, "i=10005", log[0].Query)
	assert.Equal(t, "i=20004", log[len(log)-1].Query)
}

func TestConcurrentCreates(t *testing.T) {
	t.Parallel()
	env := newEnv(t, Options{})
	const workers, each = 8, 10
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				resp := env.do(http.MethodPost, recordsPath(testZone), map[string]any{
					"name": fmt.Sprintf("w%d-%d", w, i), "type": "A", "content": "192.0.2.1",
				})
				assert.Equal(t, http.StatusCreated, resp.status)
			}
		})
	}
	wg.Go(func() {
		for range 20 {
			env.do(http.MethodGet, recordsPath(testZone), nil)
			env.emu.Records(testZone)
			env.emu.Requests()
		}
	})
	wg.Wait()
	records := env.emu.Records(testZone)
	require.Len(t, records, 5+workers*each)
	for i := 1; i < len(records); i++ {
		assert.Less(t, records[i-1].ID, records[i].ID)
	}
}

func TestTimestampsFollowTheClock(t *testing.T) {
	t.Parallel()
	env := newEnv(t, Options{})
	rec := env.mustCreate(map[string]any{"name": "www", "type": "A", "content": "192.0.2.1"})
	env.clock.Advance(90*time.Minute + 500*time.Millisecond)
	resp := env.do(http.MethodPatch, fmt.Sprintf("%s/%d", recordsPath(testZone), rec.ID), map[string]any{"content": "192.0.2.2"})
	require.Equal(t, http.StatusOK, resp.status)
	updated := resp.record(t)
	assert.Equal(t, "2016-01-07T17:45:13Z", updated.CreatedAt)
	assert.Equal(t, "2016-01-07T19:15:13Z", updated.UpdatedAt)
}
