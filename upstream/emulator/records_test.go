package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// seedListing gives example.com, besides its 5 system records, records
// with distinct names, types and contents for the listing tests.
func seedListing(t *testing.T, env *testEnv) map[string]int64 {
	t.Helper()
	byKey := map[string]int64{}
	for _, r := range []Record{
		{Name: "www", Type: "A", Content: "192.0.2.2"},
		{Name: "www", Type: "AAAA", Content: "2001:db8::1"},
		{Name: "api", Type: "CNAME", Content: "www.example.com"},
		{Name: "", Type: "MX", Content: "mx.example.net", Priority: 10},
		{Name: "_dmarc", Type: "TXT", Content: "v=DMARC1; p=none"},
		{Name: "www2", Type: "A", Content: "192.0.2.1"},
	} {
		r.TTL = 3600
		stored, err := env.emu.Seed(testZone, r)
		require.NoError(t, err)
		byKey[r.Name+"/"+r.Type] = stored.ID
	}
	return byKey
}

func TestListRecordsFiltersAndSorting(t *testing.T) {
	t.Parallel()
	env := newEnv(t, Options{})
	id := seedListing(t, env)
	const soa, ns1, ns2, ns3, ns4 = 4294967297, 4294967298, 4294967299, 4294967300, 4294967301
	tests := []struct {
		query string
		ids   []int64
	}{
		{"", []int64{soa, ns1, ns2, ns3, ns4, id["/MX"], id["_dmarc/TXT"], id["api/CNAME"], id["www/A"], id["www/AAAA"], id["www2/A"]}},
		{"?name=", []int64{soa, ns1, ns2, ns3, ns4, id["/MX"]}},
		{"?name=www", []int64{id["www/A"], id["www/AAAA"]}},
		{"?name=WWW", []int64{id["www/A"], id["www/AAAA"]}},
		{"?name=ww", []int64{}},
		{"?name_like=ww", []int64{id["www/A"], id["www/AAAA"], id["www2/A"]}},
		{"?name_like=", []int64{soa, ns1, ns2, ns3, ns4, id["/MX"], id["_dmarc/TXT"], id["api/CNAME"], id["www/A"], id["www/AAAA"], id["www2/A"]}},
		{"?type=a", []int64{id["www/A"], id["www2/A"]}},
		{"?type=NS", []int64{ns1, ns2, ns3, ns4}},
		{"?name=www&type=AAAA", []int64{id["www/AAAA"]}},
		{"?name_like=w&type=A&sort=content:asc", []int64{id["www2/A"], id["www/A"]}},
		{"?type=A&sort=content:desc", []int64{id["www/A"], id["www2/A"]}},
		{"?name=&sort=id:desc", []int64{id["/MX"], ns4, ns3, ns2, ns1, soa}},
		{"?name=&sort=id:asc", []int64{soa, ns1, ns2, ns3, ns4, id["/MX"]}},
		{"?name=&sort=type:asc", []int64{id["/MX"], ns1, ns2, ns3, ns4, soa}},
		{"?name=&sort=type:desc", []int64{soa, ns1, ns2, ns3, ns4, id["/MX"]}},
		{"?name_like=w&sort=name:desc", []int64{id["www2/A"], id["www/A"], id["www/AAAA"]}},
		{"?name_like=w&sort=name:asc", []int64{id["www/A"], id["www/AAAA"], id["www2/A"]}},
		{"?name_like=w&sort=name:desc,type:desc", []int64{id["www2/A"], id["www/AAAA"], id["www/A"]}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			t.Parallel()
			resp := env.do(http.MethodGet, recordsPath(testZone)+tt.query, nil)
			require.Equal(t, http.StatusOK, resp.status, "body: %s", resp.body)
			list := resp.list(t)
			assert.Equal(t, tt.ids, ids(list.Data))
			require.NotNil(t, list.Pagination)
			assert.Equal(t, len(tt.ids), list.Pagination.TotalEntries)
		})
	}
}

func TestListRecordsBadParameters(t *testing.T) {
	t.Parallel()
	env := newEnv(t, Options{})
	for _, query := range []string{"?page=0", "?page=-1", "?page=x", "?per_page=0", "?per_page=ten", "?sort=ttl:asc", "?sort=name:up", "?page="} {
		resp := env.do(http.MethodGet, recordsPath(testZone)+query, nil)
		assert.Equal(t, http.StatusBadRequest, resp.status, query)
		var body struct {
			Message string `json:"message"`
		}
		resp.decode(t, &body)
		assert.NotEmpty(t, body.Message)
	}
}

func TestListRecordsPagination(t *testing.T) {
	t.Parallel()
	env := newEnv(t, Options{})
	for i := range 70 {
		_, err := env.emu.Seed(testZone, Record{Name: fmt.Sprintf("host%03d", i), Type: "A", Content: "192.0.2.1", TTL: 3600})
		require.NoError(t, err)
	}
	// 75 records: the 5 apex system records sort first (name "").
	tests := []struct {
		query     string
		pg        paginationJSON
		count     int
		firstName string
	}{
		{"", paginationJSON{1, 30, 75, 3}, 30, ""},
		{"?page=2", paginationJSON{2, 30, 75, 3}, 30, "host025"},
		{"?page=3", paginationJSON{3, 30, 75, 3}, 15, "host055"},
		{"?page=4", paginationJSON{4, 30, 75, 3}, 0, ""},
		{"?per_page=100", paginationJSON{1, 100, 75, 1}, 75, ""},
		{"?per_page=1000", paginationJSON{1, 100, 75, 1}, 75, ""},
		{"?per_page=10&page=8", paginationJSON{8, 10, 75, 8}, 5, "host065"},
		{"?per_page=7&page=2&name_like=host", paginationJSON{2, 7, 70, 10}, 7, "host007"},
		{"?name=nothing", paginationJSON{1, 30, 0, 1}, 0, ""},
		{"?name=nothing&page=3", paginationJSON{3, 30, 0, 1}, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			t.Parallel()
			resp := env.do(http.MethodGet, recordsPath(testZone)+tt.query, nil)
			require.Equal(t, http.StatusOK, resp.status)
			list := resp.list(t)
			require.NotNil(t, list.Data, "data is [] and never null")
			assert.Len(t, list.Data, tt.count)
			assert.Equal(t, tt.pg, *list.Pagination)
			if tt.count > 0 {
				assert.Equal(t, tt.firstName, list.Data[0].Name)
			}
		})
	}

	// Walking every page returns every record once.
	seen := map[int64]bool{}
	for page := 1; ; page++ {
		list := env.do(http.MethodGet, fmt.Sprintf("%s?page=%d", recordsPath(testZone), page), nil).list(t)
		for _, r := range list.Data {
			assert.False(t, seen[r.ID])
			seen[r.ID] = true
		}
		if page >= list.Pagination.TotalPages {
			break
		}
	}
	assert.Len(t, seen, 75)
}

func TestRecordLifecycle(t *testing.T) {
	t.Parallel()
	env := newEnv(t, Options{})

	created := env.do(http.MethodPost, recordsPath(testZone), map[string]any{
		"name": "WWW", "type": "mx", "content": "mxa.example.com", "ttl": 600, "priority": 10, "regions": []string{"SV1", "IAD"},
	})
	require.Equal(t, http.StatusCreated, created.status, "body: %s", created.body)
	assert.JSONEq(t, `{"data":{"id":4294967302,"zone_id":"example.com","parent_id":null,"name":"www",
		"content":"mxa.example.com","ttl":600,"priority":10,"type":"MX","regions":["SV1","IAD"],
		"system_record":false,"created_at":"2016-01-07T17:45:13Z","updated_at":"2016-01-07T17:45:13Z"}}`, string(created.body))
	assert.NotEmpty(t, created.header.Get("X-RateLimit-Remaining"))
	path := recordsPath(testZone) + "/4294967302"

	got := env.do(http.MethodGet, path, nil)
	require.Equal(t, http.StatusOK, got.status)
	assert.JSONEq(t, string(created.body), string(got.body))

	updated := env.do(http.MethodPatch, path, map[string]any{"content": "mxb.example.com", "ttl": 3600, "priority": 20, "regions": []string{"global"}})
	require.Equal(t, http.StatusOK, updated.status, "body: %s", updated.body)
	assert.JSONEq(t, `{"data":{"id":4294967302,"zone_id":"example.com","parent_id":null,"name":"www",
		"content":"mxb.example.com","ttl":3600,"priority":20,"type":"MX","regions":["global"],
		"system_record":false,"created_at":"2016-01-07T17:45:13Z","updated_at":"2016-01-07T17:45:13Z"}}`, string(updated.body))

	renamed := env.do(http.MethodPatch, path, map[string]any{"name": "", "type": "MX"})
	require.Equal(t, http.StatusOK, renamed.status, "body: %s", renamed.body)
	assert.Equal(t, "", renamed.record(t).Name, "an empty name moves the record to the apex")

	deleted := env.do(http.MethodDelete, path, nil)
	assert.Equal(t, http.StatusNoContent, deleted.status)
	assert.Empty(t, deleted.body)
	assert.Empty(t, deleted.header.Get("Content-Type"))
	assert.NotEmpty(t, deleted.header.Get("X-RateLimit-Remaining"))

	for _, method := range []string{http.MethodGet, http.MethodPatch, http.MethodDelete} {
		resp := env.do(method, path, map[string]any{"content": "x"})
		assert.Equal(t, http.StatusNotFound, resp.status, method)
		assert.JSONEq(t, "{\"message\":\"Record `4294967302` not found\"}", string(resp.body))
	}
	assert.Len(t, env.emu.Records(testZone), 5)
}

func TestCreateRecordDefaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body map[string]any
		want recordJSON
	}{
		{"apex A, default ttl", map[string]any{"name": "", "type": "A", "content": "127.0.0.1"},
			recordJSON{Name: "", Type: "A", Content: "127.0.0.1", TTL: 3600}},
		{"absent name is the apex", map[string]any{"type": "TXT", "content": "hello"},
			recordJSON{Name: "", Type: "TXT", Content: `"hello"`, TTL: 3600}}, // quoted, as DNSimple does
		{"ttl 0 is the default", map[string]any{"name": "a", "type": "A", "content": "192.0.2.1", "ttl": 0},
			recordJSON{Name: "a", Type: "A", Content: "192.0.2.1", TTL: 3600}},
		{"ttl 60 is the minimum", map[string]any{"name": "a", "type": "A", "content": "192.0.2.1", "ttl": 60},
			recordJSON{Name: "a", Type: "A", Content: "192.0.2.1", TTL: 60}},
		{"priority is null unless MX or SRV", map[string]any{"name": "a", "type": "A", "content": "192.0.2.1", "priority": 5},
			recordJSON{Name: "a", Type: "A", Content: "192.0.2.1", TTL: 3600}},
		{"MX priority defaults to 0", map[string]any{"name": "", "type": "MX", "content": "mx.example.net"},
			recordJSON{Name: "", Type: "MX", Content: "mx.example.net", TTL: 3600, Priority: new(0)}},
		{"SRV keeps its priority", map[string]any{"name": "_sip._tcp", "type": "SRV", "content": "10 5060 sip.example.com", "priority": 5},
			recordJSON{Name: "_sip._tcp", Type: "SRV", Content: "10 5060 sip.example.com", TTL: 3600, Priority: new(5)}},
		{"wildcard", map[string]any{"name": "*.Apps", "type": "CNAME", "content": "lb.example.net."},
			recordJSON{Name: "*.apps", Type: "CNAME", Content: "lb.example.net.", TTL: 3600}},
		{"AAAA", map[string]any{"name": "v6", "type": "AAAA", "content": "2001:db8::1"},
			recordJSON{Name: "v6", Type: "AAAA", Content: "2001:db8::1", TTL: 3600}},
		{"ALIAS at the apex", map[string]any{"name": "", "type": "ALIAS", "content": "app.example.net"},
			recordJSON{Name: "", Type: "ALIAS", Content: "app.example.net", TTL: 3600}},
		{"CAA", map[string]any{"name": "", "type": "CAA", "content": `0 issue "letsencrypt.org"`},
			recordJSON{Name: "", Type: "CAA", Content: `0 issue "letsencrypt.org"`, TTL: 3600}},
		{"zone name inside a longer label is fine", map[string]any{"name": "myexample.com", "type": "A", "content": "192.0.2.1"},
			recordJSON{Name: "myexample.com", Type: "A", Content: "192.0.2.1", TTL: 3600}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := newEnv(t, Options{})
			got := env.mustCreate(tt.body)
			want := tt.want
			want.ID = 4294967302
			want.ZoneID = testZone
			want.Regions = []string{"global"}
			want.CreatedAt = "2016-01-07T17:45:13Z"
			want.UpdatedAt = "2016-01-07T17:45:13Z"
			assert.Equal(t, want, got)
		})
	}
}

func TestRecordIDsAbove32Bits(t *testing.T) {
	t.Parallel()
	env := newEnv(t, Options{FirstRecordID: 1 << 33})
	rec := env.mustCreate(map[string]any{"name": "big", "type": "A", "content": "192.0.2.1"})
	want := int64(1<<33 + 5)
	assert.Equal(t, want, rec.ID)

	resp := env.do(http.MethodGet, fmt.Sprintf("%s/%d", recordsPath(testZone), want), nil)
	require.Equal(t, http.StatusOK, resp.status)
	var raw struct {
		Data struct {
			ID json.Number `json:"id"`
		} `json:"data"`
	}
	resp.decode(t, &raw)
	assert.Equal(t, json.Number("8589934597"), raw.Data.ID, "the id is written as an exact integer")

	// An id that only matches once truncated to 32 bits is not found.
	truncated := env.do(http.MethodGet, fmt.Sprintf("%s/%d", recordsPath(testZone), uint32(want)), nil)
	assert.Equal(t, http.StatusNotFound, truncated.status)
}

func TestRecordNotFound(t *testing.T) {
	t.Parallel()
	env := newEnv(t, Options{Zones: []string{testZone, "other.com"}})
	other, err := env.emu.Seed("other.com", Record{Name: "x", Type: "A", Content: "192.0.2.1", TTL: 3600})
	require.NoError(t, err)
	for _, ref := range []string{"123", "abc", "-1", "+4294967297", fmt.Sprint(other.ID), "1e3"} {
		for _, method := range []string{http.MethodGet, http.MethodPatch, http.MethodDelete} {
			resp := env.do(method, recordsPath(testZone)+"/"+ref, map[string]any{"content": "192.0.2.9"})
			assert.Equal(t, http.StatusNotFound, resp.status, "%s %s", method, ref)
			assert.JSONEq(t, "{\"message\":\"Record `"+ref+"` not found\"}", string(resp.body))
		}
	}
	assert.Equal(t, "192.0.2.1", env.emu.Records("other.com")[5].Content)
}

func TestUnknownZone(t *testing.T) {
	t.Parallel()
	env := newEnv(t, Options{})
	tests := []struct {
		method, path string
		body         any
	}{
		{http.MethodGet, "/v2/1010/zones/nope.com", nil},
		{http.MethodGet, recordsPath("nope.com"), nil},
		{http.MethodGet, recordsPath("nope.com") + "?page=0", nil},
		{http.MethodPost, recordsPath("nope.com"), map[string]any{"name": "a", "type": "A", "content": "192.0.2.1"}},
		{http.MethodGet, recordsPath("nope.com") + "/4294967297", nil},
		{http.MethodPatch, recordsPath("nope.com") + "/4294967297", map[string]any{"content": "x"}},
		{http.MethodDelete, recordsPath("nope.com") + "/4294967297", nil},
		{http.MethodPost, "/v2/1010/zones/nope.com/batch", map[string]any{"deletes": []map[string]any{{"id": 4294967297}}}},
	}
	for _, tt := range tests {
		resp := env.do(tt.method, tt.path, tt.body)
		assert.Equal(t, http.StatusNotFound, resp.status, "%s %s", tt.method, tt.path)
		assert.JSONEq(t, "{\"message\":\"Zone `nope.com` not found\"}", string(resp.body))
	}
}

func TestCreateRecordValidation(t *testing.T) {
	t.Parallel()
	long63 := strings.Repeat("a", 63)
	tests := []struct {
		name string
		body map[string]any
		errs map[string][]string
	}{
		{"unsupported type", map[string]any{"name": "a", "type": "BOGUS", "content": "x"},
			map[string][]string{"record_type": {"unsupported"}}},
		{"SOA cannot be created", map[string]any{"name": "", "type": "SOA", "content": "ns1.dnsimple.com admin.dnsimple.com 1 2 3 4 5"},
			map[string][]string{"record_type": {"unsupported"}}},
		{"DNSKEY cannot be created", map[string]any{"name": "", "type": "DNSKEY", "content": "x"},
			map[string][]string{"record_type": {"unsupported"}}},
		{"missing type", map[string]any{"name": "a", "content": "x"},
			map[string][]string{"record_type": {"can't be blank"}}},
		{"name with the zone", map[string]any{"name": "www.example.com", "type": "A", "content": "192.0.2.1"},
			map[string][]string{"name": {"must be relative to the zone, without the zone name"}}},
		{"name is the zone", map[string]any{"name": "Example.com", "type": "A", "content": "192.0.2.1"},
			map[string][]string{"name": {"must be relative to the zone, without the zone name"}}},
		{"space in name", map[string]any{"name": "bad name", "type": "A", "content": "192.0.2.1"},
			map[string][]string{"name": {"is invalid"}}},
		{"empty label", map[string]any{"name": "a..b", "type": "A", "content": "192.0.2.1"},
			map[string][]string{"name": {"is invalid"}}},
		{"trailing dot", map[string]any{"name": "www.", "type": "A", "content": "192.0.2.1"},
			map[string][]string{"name": {"is invalid"}}},
		{"label over 63 bytes", map[string]any{"name": long63 + "a", "type": "A", "content": "192.0.2.1"},
			map[string][]string{"name": {"is invalid"}}},
		{"inner wildcard", map[string]any{"name": "a.*", "type": "A", "content": "192.0.2.1"},
			map[string][]string{"name": {"is invalid"}}},
		{"partial wildcard", map[string]any{"name": "a*", "type": "A", "content": "192.0.2.1"},
			map[string][]string{"name": {"is invalid"}}},
		{"fqdn over 253 bytes", map[string]any{"name": strings.Join([]string{long63, long63, long63, long63[:50]}, "."), "type": "A", "content": "192.0.2.1"},
			map[string][]string{"name": {"is too long"}}},
		{"A not an address", map[string]any{"name": "a", "type": "A", "content": "192.0.2"},
			map[string][]string{"content": {"must be a valid IPv4 address"}}},
		{"A leading zero", map[string]any{"name": "a", "type": "A", "content": "192.0.2.01"},
			map[string][]string{"content": {"must be a valid IPv4 address"}}},
		{"A out of range", map[string]any{"name": "a", "type": "A", "content": "192.0.2.256"},
			map[string][]string{"content": {"must be a valid IPv4 address"}}},
		{"A with IPv6", map[string]any{"name": "a", "type": "A", "content": "::1"},
			map[string][]string{"content": {"must be a valid IPv4 address"}}},
		{"AAAA with IPv4", map[string]any{"name": "a", "type": "AAAA", "content": "192.0.2.1"},
			map[string][]string{"content": {"must be a valid IPv6 address"}}},
		{"AAAA with zone", map[string]any{"name": "a", "type": "AAAA", "content": "fe80::1%eth0"},
			map[string][]string{"content": {"must be a valid IPv6 address"}}},
		{"AAAA garbage", map[string]any{"name": "a", "type": "AAAA", "content": "gggg::1"},
			map[string][]string{"content": {"must be a valid IPv6 address"}}},
		{"CNAME not a host", map[string]any{"name": "a", "type": "CNAME", "content": "not a host"},
			map[string][]string{"content": {"must be a valid host name"}}},
		{"CNAME empty", map[string]any{"name": "a", "type": "CNAME", "content": ""},
			map[string][]string{"content": {"can't be blank"}}},
		{"MX empty", map[string]any{"name": "", "type": "MX", "content": "  "},
			map[string][]string{"content": {"can't be blank"}}},
		{"TXT missing content", map[string]any{"name": "a", "type": "TXT"},
			map[string][]string{"content": {"can't be blank"}}},
		{"ttl below 60", map[string]any{"name": "a", "type": "A", "content": "192.0.2.1", "ttl": 30},
			map[string][]string{"ttl": {"must be greater than or equal to 60"}}},
		{"negative ttl", map[string]any{"name": "a", "type": "A", "content": "192.0.2.1", "ttl": -1},
			map[string][]string{"ttl": {"must be greater than or equal to 60"}}},
		{"negative MX priority", map[string]any{"name": "", "type": "MX", "content": "mx.example.net", "priority": -1},
			map[string][]string{"priority": {"must be between 0 and 65535"}}},
		{"unknown region", map[string]any{"name": "a", "type": "A", "content": "192.0.2.1", "regions": []string{"MARS"}},
			map[string][]string{"regions": {"contains an unknown region `MARS`"}}},
		{"several errors at once", map[string]any{"name": "bad name", "type": "A", "content": "x", "ttl": 1},
			map[string][]string{"name": {"is invalid"}, "content": {"must be a valid IPv4 address"}, "ttl": {"must be greater than or equal to 60"}}},
		{"duplicate", map[string]any{"name": "www", "type": "A", "content": "192.0.2.1"},
			map[string][]string{"base": {"Matching record already exists for this zone"}}},
		{"duplicate with another TTL", map[string]any{"name": "WWW", "type": "a", "content": "192.0.2.1", "ttl": 120},
			map[string][]string{"base": {"Matching record already exists for this zone"}}},
		{"duplicate AAAA spelled differently", map[string]any{"name": "v6", "type": "AAAA", "content": "2001:DB8:0:0::1"},
			map[string][]string{"base": {"Matching record already exists for this zone"}}},
		{"duplicate host name ignoring case and dot", map[string]any{"name": "alias", "type": "CNAME", "content": "Target.Example.NET."},
			map[string][]string{"base": {"Matching record already exists for this zone"}}},
		{"duplicate of a system record", map[string]any{"name": "", "type": "NS", "content": "ns1.dnsimple.com"},
			map[string][]string{"base": {"Matching record already exists for this zone"}}},
		{"CNAME next to an A", map[string]any{"name": "www", "type": "CNAME", "content": "other.example.net"},
			map[string][]string{"base": {"A CNAME record cannot coexist with other records with the same name"}}},
		{"second CNAME", map[string]any{"name": "alias", "type": "CNAME", "content": "elsewhere.example.net"},
			map[string][]string{"base": {"A CNAME record cannot coexist with other records with the same name"}}},
		{"A next to a CNAME", map[string]any{"name": "alias", "type": "A", "content": "192.0.2.1"},
			map[string][]string{"base": {"A CNAME record already exists with the same name"}}},
		{"TXT next to a CNAME", map[string]any{"name": "ALIAS", "type": "TXT", "content": "hello"},
			map[string][]string{"base": {"A CNAME record already exists with the same name"}}},
		{"CNAME at the apex", map[string]any{"name": "", "type": "CNAME", "content": "other.example.net"},
			map[string][]string{"base": {"CNAME records cannot be added to the zone apex, use an ALIAS record instead"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := newEnv(t, Options{})
			env.mustCreate(map[string]any{"name": "www", "type": "A", "content": "192.0.2.1"})
			env.mustCreate(map[string]any{"name": "v6", "type": "AAAA", "content": "2001:db8::1"})
			env.mustCreate(map[string]any{"name": "alias", "type": "CNAME", "content": "target.example.net"})
			before := env.emu.Records(testZone)

			resp := env.do(http.MethodPost, recordsPath(testZone), tt.body)
			assert.Equal(t, http.StatusBadRequest, resp.status)
			var body struct {
				Message string              `json:"message"`
				Errors  map[string][]string `json:"errors"`
			}
			resp.decode(t, &body)
			assert.Equal(t, "Validation failed", body.Message)
			assert.Equal(t, tt.errs, body.Errors)
			assert.Equal(t, before, env.emu.Records(testZone))
		})
	}
}

func TestUpdateRecordValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		target string // name of the record to update: www, alias or mail
		body   map[string]any
		errs   map[string][]string
	}{
		{"type cannot change", "www", map[string]any{"type": "AAAA", "content": "2001:db8::1"},
			map[string][]string{"record_type": {"cannot be changed"}}},
		{"bad content", "www", map[string]any{"content": "not-an-ip"},
			map[string][]string{"content": {"must be a valid IPv4 address"}}},
		{"empty content", "www", map[string]any{"content": ""},
			map[string][]string{"content": {"can't be blank"}}},
		{"bad name", "www", map[string]any{"name": "-_- ok?"},
			map[string][]string{"name": {"is invalid"}}},
		{"low ttl", "www", map[string]any{"ttl": 59},
			map[string][]string{"ttl": {"must be greater than or equal to 60"}}},
		{"becomes a duplicate", "www", map[string]any{"content": "192.0.2.2"},
			map[string][]string{"base": {"Matching record already exists for this zone"}}},
		{"moves next to a CNAME", "www", map[string]any{"name": "alias"},
			map[string][]string{"base": {"A CNAME record already exists with the same name"}}},
		{"CNAME moves next to an A", "alias", map[string]any{"name": "www"},
			map[string][]string{"base": {"A CNAME record cannot coexist with other records with the same name"}}},
		{"CNAME moves to the apex", "alias", map[string]any{"name": ""},
			map[string][]string{"base": {"CNAME records cannot be added to the zone apex, use an ALIAS record instead"}}},
		{"MX priority out of range", "mail", map[string]any{"priority": 70000},
			map[string][]string{"priority": {"must be between 0 and 65535"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := newEnv(t, Options{})
			targets := map[string]recordJSON{
				"www":   env.mustCreate(map[string]any{"name": "www", "type": "A", "content": "192.0.2.1"}),
				"alias": env.mustCreate(map[string]any{"name": "alias", "type": "CNAME", "content": "target.example.net"}),
				"mail":  env.mustCreate(map[string]any{"name": "", "type": "MX", "content": "mx.example.net", "priority": 10}),
			}
			env.mustCreate(map[string]any{"name": "www", "type": "A", "content": "192.0.2.2"})
			before := env.emu.Records(testZone)

			resp := env.do(http.MethodPatch, fmt.Sprintf("%s/%d", recordsPath(testZone), targets[tt.target].ID), tt.body)
			assert.Equal(t, http.StatusBadRequest, resp.status)
			var body struct {
				Message string              `json:"message"`
				Errors  map[string][]string `json:"errors"`
			}
			resp.decode(t, &body)
			assert.Equal(t, "Validation failed", body.Message)
			assert.Equal(t, tt.errs, body.Errors)
			assert.Equal(t, before, env.emu.Records(testZone))
		})
	}
}

func TestUpdateRecordAllowedChanges(t *testing.T) {
	t.Parallel()
	env := newEnv(t, Options{})
	rec := env.mustCreate(map[string]any{"name": "www", "type": "CNAME", "content": "a.example.net"})
	path := fmt.Sprintf("%s/%d", recordsPath(testZone), rec.ID)

	// Re-sending the same values (and the same type) is not a duplicate of itself.
	same := env.do(http.MethodPatch, path, map[string]any{"name": "www", "type": "cname", "content": "a.example.net"})
	require.Equal(t, http.StatusOK, same.status, "body: %s", same.body)

	moved := env.do(http.MethodPatch, path, map[string]any{"name": "Web", "content": "b.example.net", "ttl": 300, "regions": []string{"AMS"}})
	require.Equal(t, http.StatusOK, moved.status, "body: %s", moved.body)
	got := moved.record(t)
	assert.Equal(t, "web", got.Name)
	assert.Equal(t, "b.example.net", got.Content)
	assert.Equal(t, 300, got.TTL)
	assert.Equal(t, []string{"AMS"}, got.Regions)
	assert.Equal(t, "CNAME", got.Type)
	assert.Nil(t, got.Priority)
}

func TestSystemRecordsAreProtected(t *testing.T) {
	t.Parallel()
	env := newEnv(t, Options{})
	list := env.do(http.MethodGet, recordsPath(testZone)+"?name=", nil).list(t)
	require.Len(t, list.Data, 5)
	soa := list.Data[0]
	assert.Equal(t, recordJSON{
		ID: 4294967297, ZoneID: testZone, Name: "", Type: "SOA", TTL: 3600,
		Content:      fmt.Sprintf("ns1.dnsimple.com admin.dnsimple.com %d 86400 7200 604800 300", testStart.Unix()),
		Regions:      []string{"global"},
		SystemRecord: true, CreatedAt: "2016-01-07T17:45:13Z", UpdatedAt: "2016-01-07T17:45:13Z",
	}, soa)
	for i, ns := range list.Data[1:] {
		assert.Equal(t, "NS", ns.Type)
		assert.Equal(t, fmt.Sprintf("ns%d.dnsimple.com", i+1), ns.Content)
		assert.True(t, ns.SystemRecord)
		assert.Equal(t, 3600, ns.TTL)
	}
	before := env.emu.Records(testZone)

	for _, rec := range list.Data {
		path := fmt.Sprintf("%s/%d", recordsPath(testZone), rec.ID)
		upd := env.do(http.MethodPatch, path, map[string]any{"ttl": 600})
		assert.Equal(t, http.StatusBadRequest, upd.status)
		assert.JSONEq(t, `{"message":"System records cannot be updated"}`, string(upd.body))
		del := env.do(http.MethodDelete, path, nil)
		assert.Equal(t, http.StatusBadRequest, del.status)
		assert.JSONEq(t, `{"message":"System records cannot be deleted"}`, string(del.body))
	}
	batch := env.do(http.MethodPost, "/v2/1010/zones/example.com/batch", map[string]any{
		"updates": []map[string]any{{"id": soa.ID, "ttl": 600}},
		"deletes": []map[string]any{{"id": list.Data[1].ID}},
	})
	assert.Equal(t, http.StatusBadRequest, batch.status)
	assert.JSONEq(t, `{"message":"Validation failed","errors":{
		"updates":[{"index":0,"message":"System records cannot be updated"}],
		"deletes":[{"index":0,"message":"System records cannot be deleted"}]}}`, string(batch.body))
	assert.Equal(t, before, env.emu.Records(testZone))
}

func TestBatchSuccess(t *testing.T) {
	t.Parallel()
	env := newEnv(t, Options{})
	update1 := env.mustCreate(map[string]any{"name": "update1", "type": "A", "content": "3.2.3.4"})
	update2 := env.mustCreate(map[string]any{"name": "update2", "type": "A", "content": "5.2.3.4"})
	delete1 := env.mustCreate(map[string]any{"name": "ab", "type": "A", "content": "3.2.3.4"})
	delete2 := env.mustCreate(map[string]any{"name": "gone", "type": "CNAME", "content": "x.example.net"})
	env.clock.Advance(45 * time.Minute)

	resp := env.do(http.MethodPost, "/v2/1010/zones/example.com/batch", map[string]any{
		// The create of ab/3.2.3.4 is only valid because the delete runs first,
		// and the A at "gone" only because its CNAME is deleted.
		"creates": []map[string]any{
			{"name": "ab", "type": "A", "content": "3.2.3.4", "ttl": 3600},
			{"name": "ab", "type": "A", "content": "4.2.3.4"},
			{"name": "gone", "type": "A", "content": "6.2.3.4"},
		},
		"updates": []map[string]any{
			{"id": update1.ID, "content": "3.2.3.40"},
			{"id": update2.ID, "content": "5.2.3.40"},
		},
		"deletes": []map[string]any{{"id": delete1.ID}, {"id": delete2.ID}},
	})
	require.Equal(t, http.StatusOK, resp.status, "body: %s", resp.body)
	record := func(id int64, name, content, created, updated string) string {
		return fmt.Sprintf(`{"id":%d,"zone_id":"example.com","parent_id":null,"name":%q,"content":%q,"ttl":3600,`+
			`"priority":null,"type":"A","regions":["global"],"system_record":false,"created_at":%q,"updated_at":%q}`,
			id, name, content, created, updated)
	}
	const t0, t1 = "2016-01-07T17:45:13Z", "2016-01-07T18:30:13Z"
	assert.JSONEq(t, `{"data":{"creates":[`+
		record(4294967306, "ab", "3.2.3.4", t1, t1)+","+
		record(4294967307, "ab", "4.2.3.4", t1, t1)+","+
		record(4294967308, "gone", "6.2.3.4", t1, t1)+`],"updates":[`+
		record(update1.ID, "update1", "3.2.3.40", t0, t1)+","+
		record(update2.ID, "update2", "5.2.3.40", t0, t1)+`],"deletes":[`+
		fmt.Sprintf(`{"id":%d},{"id":%d}`, delete1.ID, delete2.ID)+`]}}`, string(resp.body))

	var contents []string
	for _, r := range env.emu.Records(testZone)[5:] {
		contents = append(contents, r.Name+"="+r.Content)
	}
	assert.Equal(t, []string{"update1=3.2.3.40", "update2=5.2.3.40", "ab=3.2.3.4", "ab=4.2.3.4", "gone=6.2.3.4"}, contents)

	empty := env.do(http.MethodPost, "/v2/1010/zones/example.com/batch", map[string]any{})
	require.Equal(t, http.StatusOK, empty.status)
	assert.JSONEq(t, `{"data":{"creates":[],"updates":[],"deletes":[]}}`, string(empty.body))
}

func TestBatchIsAtomic(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body func(a, b recordJSON) map[string]any
		want string
	}{
		{"unsupported create after valid operations", func(a, b recordJSON) map[string]any {
			return map[string]any{
				"creates": []map[string]any{{"name": "ok", "type": "A", "content": "192.0.2.9"}, {"name": "x", "type": "BOGUS", "content": "y"}},
				"updates": []map[string]any{{"id": a.ID, "content": "192.0.2.50"}},
				"deletes": []map[string]any{{"id": b.ID}},
			}
		}, `{"message":"Validation failed","errors":{"creates":[{"index":1,"message":"Validation failed","errors":{"record_type":["unsupported"]}}]}}`},
		{"unknown delete", func(a, _ recordJSON) map[string]any {
			return map[string]any{
				"creates": []map[string]any{{"name": "ok", "type": "A", "content": "192.0.2.9"}},
				"deletes": []map[string]any{{"id": a.ID}, {"id": 67622509}},
			}
		}, `{"message":"Validation failed","errors":{"deletes":[{"index":1,"message":"Record not found ID=67622509"}]}}`},
		{"unknown update", func(_, b recordJSON) map[string]any {
			return map[string]any{
				"updates": []map[string]any{{"id": 99999999, "content": "192.0.2.1"}, {"id": b.ID, "content": "192.0.2.77"}},
			}
		}, `{"message":"Validation failed","errors":{"updates":[{"index":0,"message":"Record not found ID=99999999"}]}}`},
		{"update of a record deleted in the same batch", func(a, _ recordJSON) map[string]any {
			return map[string]any{
				"updates": []map[string]any{{"id": a.ID, "content": "192.0.2.1"}},
				"deletes": []map[string]any{{"id": a.ID}},
			}
		}, fmt.Sprintf(`{"message":"Validation failed","errors":{"updates":[{"index":0,"message":"Record not found ID=%d"}]}}`, 4294967302)},
		{"deleting twice", func(a, _ recordJSON) map[string]any {
			return map[string]any{"deletes": []map[string]any{{"id": a.ID}, {"id": a.ID}}}
		}, `{"message":"Validation failed","errors":{"deletes":[{"index":1,"message":"Record not found ID=4294967302"}]}}`},
		{"creates duplicating each other", func(_, _ recordJSON) map[string]any {
			return map[string]any{"creates": []map[string]any{
				{"name": "n", "type": "TXT", "content": "same"}, {"name": "n", "type": "TXT", "content": "same"},
			}}
		}, `{"message":"Validation failed","errors":{"creates":[{"index":1,"message":"Validation failed","errors":{"base":["Matching record already exists for this zone"]}}]}}`},
		{"create duplicating an update's result", func(a, _ recordJSON) map[string]any {
			return map[string]any{
				"updates": []map[string]any{{"id": a.ID, "content": "192.0.2.33"}},
				"creates": []map[string]any{{"name": "a", "type": "A", "content": "192.0.2.33"}},
			}
		}, `{"message":"Validation failed","errors":{"creates":[{"index":0,"message":"Validation failed","errors":{"base":["Matching record already exists for this zone"]}}]}}`},
		{"CNAME create next to an existing record", func(_, _ recordJSON) map[string]any {
			return map[string]any{"creates": []map[string]any{{"name": "b", "type": "CNAME", "content": "x.example.net"}}}
		}, `{"message":"Validation failed","errors":{"creates":[{"index":0,"message":"Validation failed","errors":{"base":["A CNAME record cannot coexist with other records with the same name"]}}]}}`},
		{"failures in every section", func(a, _ recordJSON) map[string]any {
			return map[string]any{
				"creates": []map[string]any{{"name": "", "type": "CNAME", "content": "x.example.net"}},
				"updates": []map[string]any{{"id": a.ID, "content": "nope", "type": "A"}},
				"deletes": []map[string]any{{"id": 1}},
			}
		}, `{"message":"Validation failed","errors":{
			"creates":[{"index":0,"message":"Validation failed","errors":{"base":["CNAME records cannot be added to the zone apex, use an ALIAS record instead"]}}],
			"updates":[{"index":0,"message":"Validation failed","errors":{"content":["must be a valid IPv4 address"]}}],
			"deletes":[{"index":0,"message":"Record not found ID=1"}]}}`},
		{"missing ids", func(_, _ recordJSON) map[string]any {
			return map[string]any{"updates": []map[string]any{{"content": "x"}}, "deletes": []map[string]any{{}}}
		}, `{"message":"Validation failed","errors":{
			"updates":[{"index":0,"message":"Validation failed","errors":{"id":["can't be blank"]}}],
			"deletes":[{"index":0,"message":"Validation failed","errors":{"id":["can't be blank"]}}]}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := newEnv(t, Options{})
			a := env.mustCreate(map[string]any{"name": "a", "type": "A", "content": "192.0.2.1"})
			b := env.mustCreate(map[string]any{"name": "b", "type": "A", "content": "192.0.2.2"})
			before := env.emu.Records(testZone)

			resp := env.do(http.MethodPost, "/v2/1010/zones/example.com/batch", tt.body(a, b))
			assert.Equal(t, http.StatusBadRequest, resp.status)
			assert.JSONEq(t, tt.want, string(resp.body))
			assert.Equal(t, before, env.emu.Records(testZone), "a refused batch changes nothing")

			// A failed batch allocates no ids.
			next := env.mustCreate(map[string]any{"name": "next", "type": "A", "content": "192.0.2.3"})
			assert.Equal(t, int64(4294967304), next.ID)
		})
	}
}

func TestDistributionChecks(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{PropagationDelay: 5 * time.Second})
	zonePath := "/v2/1010/zones/example.com/distribution"
	distributed := func(path string) bool {
		t.Helper()
		r := e.do(http.MethodGet, path, nil)
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		var body struct {
			Data struct {
				Distributed *bool `json:"distributed"`
			} `json:"data"`
		}
		r.decode(t, &body)
		require.NotNil(t, body.Data.Distributed)
		return *body.Data.Distributed
	}
	assert.True(t, distributed(zonePath), "a zone unchanged since it was made")

	rec := e.mustCreate(map[string]any{"name": "api", "type": "A", "content": "192.0.2.1"})
	recordPath := fmt.Sprintf("%s/%d/distribution", recordsPath(testZone), rec.ID)
	assert.False(t, distributed(recordPath), "just changed")
	assert.False(t, distributed(zonePath))
	e.clock.Advance(5 * time.Second)
	assert.True(t, distributed(recordPath), "after the propagation delay")
	assert.True(t, distributed(zonePath))

	e.do(http.MethodDelete, fmt.Sprintf("%s/%d", recordsPath(testZone), rec.ID), nil)
	assert.False(t, distributed(zonePath), "a deletion spreads too")
	r := e.do(http.MethodGet, recordPath, nil)
	assert.Equal(t, http.StatusNotFound, r.status)

	e.emu.FailDistributionChecks(true)
	r = e.do(http.MethodGet, zonePath, nil)
	assert.Equal(t, http.StatusGatewayTimeout, r.status)
	assert.JSONEq(t, `{"message":"Could not query zone, connection timed out"}`, string(r.body))
}
