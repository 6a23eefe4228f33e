package handlers_test

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dns-api/dns-api/upstream/emulator"
)

func TestHealth(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	a := s.do(request{method: http.MethodGet, path: "/"})
	assert.Equal(t, http.StatusOK, a.status)
	assert.Equal(t, 0, len(s.emu.Requests()), "the health check does not call DNSimple")
}

func TestProtectedRoutesNeedAToken(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	routes := []request{
		{method: http.MethodGet, path: "/whoami"},
		{method: http.MethodGet, path: "/domains"},
		{method: http.MethodGet, path: "/records"},
		{method: http.MethodPost, path: "/records", body: `{"domain_type":"A","domain":"example.com","subdomain":"api","to":"203.0.113.7"}`},
		{method: http.MethodGet, path: "/records/4294967297"},
		{method: http.MethodPatch, path: "/records/4294967297", body: `{"to":"203.0.113.7"}`},
		{method: http.MethodDelete, path: "/records/4294967297"},
		{method: http.MethodPost, path: "/records/A/example.com/api/203.0.113.7"},
		{method: http.MethodDelete, path: "/records/A/example.com/api"},
	}
	badTokens := map[string]string{
		"no token":     "",
		"garbage":      "not-a-token",
		"wrong key":    strings.TrimSuffix(aliceToken, aliceToken[len(aliceToken)-4:]) + "AAAA",
		"unknown user": token(`{"username":"mallory"}`),
		"expired":      token(`{"username":"alice","exp":1000}`),
		"not yet":      token(`{"username":"alice","nbf":` + strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10) + `}`),
	}
	for _, route := range routes {
		for name, tok := range badTokens {
			r := route
			r.token = tok
			a := s.do(r)
			assert.Equal(t, http.StatusUnauthorized, a.status, "%s %s with %s", r.method, r.path, name)
			assert.Contains(t, a.header.Get("WWW-Authenticate"), "Bearer", "%s %s", r.method, r.path)
		}
	}
	assert.Equal(t, 0, len(s.emu.Requests()), "nothing reaches DNSimple without a valid token")
}

func TestAuthorizationHeaderForms(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	send := func(headers http.Header, query string) int {
		req, err := http.NewRequest(http.MethodGet, s.url+"/whoami"+query, nil)
		require.NoError(t, err)
		req.Header = headers
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, http.StatusOK, send(http.Header{"Authorization": {"Bearer " + aliceToken}}, ""))
	assert.Equal(t, http.StatusOK, send(http.Header{"Authorization": {"bearer " + aliceToken}}, ""))
	assert.Equal(t, http.StatusOK, send(http.Header{"Authorization": {"BEARER " + aliceToken}}, ""))
	assert.Equal(t, http.StatusUnauthorized, send(http.Header{"Authorization": {"Basic " + aliceToken}}, ""))
	assert.Equal(t, http.StatusUnauthorized, send(http.Header{"Authorization": {aliceToken}}, ""))
	assert.Equal(t, http.StatusUnauthorized, send(http.Header{"Authorization": {"Bearer " + aliceToken, "Bearer " + aliceToken}}, ""))
	assert.Equal(t, http.StatusUnauthorized, send(http.Header{}, "?access_token="+aliceToken))
	assert.Equal(t, http.StatusUnauthorized, send(http.Header{"Authorization": {"Bearer " + aliceToken}}, "?token="+aliceToken))
}

func TestUpsertCreatedUpdatedUnchanged(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	upsert := func(target string) answer {
		return s.do(request{method: http.MethodPost, path: "/records/A/example.com/api/" + target, token: aliceToken})
	}

	a := upsert("203.0.113.7")
	require.Equal(t, http.StatusCreated, a.status, a.raw)
	assert.Equal(t, "created", a.action())
	rec := a.data()
	assert.Equal(t, "record", rec["type"])
	assert.Equal(t, "A::example.com::api", rec["domain_key"])
	assert.Equal(t, "A", rec["domain_type"])
	assert.Equal(t, "example.com", rec["domain"])
	assert.Equal(t, "api", rec["subdomain"])
	assert.Equal(t, "api.example.com", rec["fqdn"])
	assert.Equal(t, "203.0.113.7", rec["to"])
	assert.EqualValues(t, 60, rec["ttl"])
	assert.NotEmpty(t, rec["created"])
	assert.NotEmpty(t, rec["updated"])
	id := int64(rec["id"].(float64))
	assert.Greater(t, id, int64(1)<<32, "DNSimple ids are 64-bit")

	s.emu.ResetRequests()
	a = upsert("203.0.113.7")
	require.Equal(t, http.StatusOK, a.status, a.raw)
	assert.Equal(t, "unchanged", a.action())
	assert.Equal(t, 0, s.writes(), "an unchanged upsert writes nothing upstream")
	for _, r := range s.emu.Requests() {
		assert.Contains(t, r.Query, "name=api", "a single-name change uses the name filter: %+v", r)
		assert.Contains(t, r.Query, "type=A", "a single-name change uses the type filter: %+v", r)
	}

	a = upsert("203.0.113.8")
	require.Equal(t, http.StatusOK, a.status, a.raw)
	assert.Equal(t, "updated", a.action())
	assert.Equal(t, "203.0.113.8", a.data()["to"])
	assert.EqualValues(t, id, a.data()["id"], "an update keeps the record")

	got := s.set("example.com", "api", "A")
	require.Len(t, got, 1)
	assert.Equal(t, "203.0.113.8", got[0].Content)
	assert.Equal(t, id, got[0].ID)
}

func TestUpsertOtherTypes(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	cases := []struct{ path, typ, name, want string }{
		{"/records/aaaa/example.com/v6/2001:DB8::7", "AAAA", "v6", "2001:db8::7"},
		{"/records/CNAME/example.org/app/Target.Example.net.", "CNAME", "app", "target.example.net"},
		{"/records/TXT/example.com/_acme-challenge.api/abc%20def%2Fghi", "TXT", "_acme-challenge.api", "abc def/ghi"},
		{"/records/A/Example.COM/Upper./203.0.113.9", "A", "upper", "203.0.113.9"},
	}
	for _, c := range cases {
		a := s.do(request{method: http.MethodPost, path: c.path, token: aliceToken})
		require.Equal(t, http.StatusCreated, a.status, "%s: %s", c.path, a.raw)
		assert.Equal(t, c.want, a.data()["to"], c.path)
		assert.Equal(t, c.typ, a.data()["domain_type"], c.path)
		assert.Equal(t, c.name, a.data()["subdomain"], c.path)
	}
	// The same targets spelled differently are unchanged.
	a := s.do(request{method: http.MethodPost, path: "/records/AAAA/example.com/v6/2001:db8:0::7", token: aliceToken})
	assert.Equal(t, "unchanged", a.action(), a.raw)
	a = s.do(request{method: http.MethodPost, path: "/records/CNAME/example.org/app/target.example.net", token: aliceToken})
	assert.Equal(t, "unchanged", a.action(), a.raw)
}

func TestUpsertRemovesDuplicates(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	seeded := s.seed("example.com",
		emulator.Record{Name: "dup", Type: "A", Content: "192.0.2.1"},
		emulator.Record{Name: "dup", Type: "A", Content: "192.0.2.2"},
		emulator.Record{Name: "dup", Type: "A", Content: "192.0.2.2"},
		emulator.Record{Name: "dup", Type: "TXT", Content: "other type stays"},
	)

	// A target none of them has: the oldest is updated, the rest removed.
	a := s.do(request{method: http.MethodPost, path: "/records/A/example.com/dup/203.0.113.7", token: aliceToken})
	require.Equal(t, http.StatusOK, a.status, a.raw)
	assert.Equal(t, "updated", a.action())
	got := s.set("example.com", "dup", "A")
	require.Len(t, got, 1)
	assert.Equal(t, "203.0.113.7", got[0].Content)
	assert.Equal(t, seeded[0].ID, got[0].ID)
	assert.Len(t, s.set("example.com", "dup", "TXT"), 1, "other types at the name are untouched")

	// A target one of them already has: that one stays, nothing is updated.
	seeded = s.seed("example.com",
		emulator.Record{Name: "dup2", Type: "A", Content: "192.0.2.1"},
		emulator.Record{Name: "dup2", Type: "A", Content: "203.0.113.7"},
	)
	s.emu.ResetRequests()
	a = s.do(request{method: http.MethodPost, path: "/records/A/example.com/dup2/203.0.113.7", token: aliceToken})
	require.Equal(t, http.StatusOK, a.status, a.raw)
	assert.Equal(t, "updated", a.action(), "removing a duplicate is a write")
	got = s.set("example.com", "dup2", "A")
	require.Len(t, got, 1)
	assert.Equal(t, seeded[1].ID, got[0].ID)
	assert.Equal(t, 1, s.writes(), "one change, sent as one batch")
}

func TestConcurrentUpsertsConverge(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/records/A/example.com/race/203.0.113.%d", s.url, 1+i%3), nil)
			req.Header.Set("Authorization", "Bearer "+aliceToken)
			resp, err := http.DefaultClient.Do(req)
			if assert.NoError(t, err) {
				resp.Body.Close()
				assert.Less(t, resp.StatusCode, 300)
			}
		}(i)
	}
	wg.Wait()
	assert.Len(t, s.set("example.com", "race", "A"), 1, "concurrent upserts leave exactly one record")
}

func TestRecordsListing(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{blacklist: []string{"www"}})
	for i := 0; i < 40; i++ {
		s.seed("example.com", emulator.Record{Name: fmt.Sprintf("host%02d", i), Type: "A", Content: "192.0.2.1"})
	}
	for i := 0; i < 5; i++ {
		s.seed("example.org", emulator.Record{Name: fmt.Sprintf("txt%d", i), Type: "TXT", Content: "hello"})
	}
	// Not listed: the apex, unsupported types, blacklisted names.
	s.seed("example.com",
		emulator.Record{Name: "", Type: "A", Content: "192.0.2.9"},
		emulator.Record{Name: "mail", Type: "MX", Content: "mx.example.com", Priority: 10},
		emulator.Record{Name: "www", Type: "A", Content: "192.0.2.10"},
		emulator.Record{Name: "_acme-challenge.www", Type: "TXT", Content: "x"},
	)

	page := func(query string) answer {
		return s.do(request{method: http.MethodGet, path: "/records" + query, token: aliceToken})
	}
	a := page("")
	require.Equal(t, http.StatusOK, a.status, a.raw)
	require.Len(t, a.list(), 30, "30 per page by default")
	meta := a.body["meta"].(map[string]any)["pagination"].(map[string]any)
	assert.EqualValues(t, 1, meta["number"])
	assert.EqualValues(t, 30, meta["size"])
	assert.EqualValues(t, 45, meta["total"])

	a = page("?page[number]=2")
	require.Len(t, a.list(), 15)
	seen := map[string]bool{}
	for _, q := range []string{"?page[size]=10&page[number]=1", "?page[size]=10&page[number]=2", "?page[size]=10&page[number]=3", "?page[size]=10&page[number]=4", "?page[size]=10&page[number]=5"} {
		for _, item := range page(q).list() {
			rec := item.(map[string]any)
			seen[rec["fqdn"].(string)] = true
			assert.NotEqual(t, "www", rec["subdomain"])
			assert.NotEqual(t, "", rec["subdomain"])
			assert.NotEqual(t, "MX", rec["domain_type"])
		}
	}
	assert.Len(t, seen, 45, "pages of 10 cover every record once")
	assert.Empty(t, page("?page[number]=9").list())
	a = page("?page[size]=100")
	assert.Len(t, a.list(), 45)

	for _, bad := range []string{"?page[size]=9", "?page[size]=101", "?page[number]=0", "?page[number]=x", "?page[size]=-1"} {
		assert.Equal(t, http.StatusBadRequest, page(bad).status, bad)
	}
}

func TestGetPatchDeleteByID(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{blacklist: []string{"www"}})
	recs := s.seed("example.org",
		emulator.Record{Name: "api", Type: "A", Content: "192.0.2.1"},
		emulator.Record{Name: "www", Type: "A", Content: "192.0.2.2"},
	)
	system := s.emu.Records("example.com")[0]
	require.True(t, system.System)
	path := fmt.Sprintf("/records/%d", recs[0].ID)

	a := s.do(request{method: http.MethodGet, path: path, token: aliceToken})
	require.Equal(t, http.StatusOK, a.status, a.raw)
	assert.EqualValues(t, recs[0].ID, a.data()["id"])
	assert.Equal(t, "api.example.org", a.data()["fqdn"])

	for _, hidden := range []int64{recs[1].ID, system.ID, 1 << 40} {
		a = s.do(request{method: http.MethodGet, path: fmt.Sprintf("/records/%d", hidden), token: aliceToken})
		assert.Equal(t, http.StatusNotFound, a.status, "record %d: %s", hidden, a.raw)
	}
	assert.Equal(t, http.StatusBadRequest, s.do(request{method: http.MethodGet, path: "/records/abc", token: aliceToken}).status)
	assert.Equal(t, http.StatusBadRequest, s.do(request{method: http.MethodGet, path: "/records/-5", token: aliceToken}).status)

	a = s.do(request{method: http.MethodPatch, path: path, body: `{"to":"203.0.113.7"}`, token: aliceToken})
	require.Equal(t, http.StatusOK, a.status, a.raw)
	assert.Equal(t, "updated", a.action())
	assert.Equal(t, "203.0.113.7", a.data()["to"])
	s.emu.ResetRequests()
	a = s.do(request{method: http.MethodPatch, path: path, body: `{"to":"203.0.113.7"}`, token: aliceToken})
	assert.Equal(t, "unchanged", a.action())
	assert.Equal(t, 0, s.writes())
	assert.Equal(t, http.StatusBadRequest, s.do(request{method: http.MethodPatch, path: path, body: `{"to":"1.2.3"}`, token: aliceToken}).status)
	assert.Equal(t, http.StatusBadRequest, s.do(request{method: http.MethodPatch, path: path, body: `{}`, token: aliceToken}).status)
	assert.Equal(t, http.StatusNotFound, s.do(request{method: http.MethodPatch, path: fmt.Sprintf("/records/%d", recs[1].ID), body: `{"to":"203.0.113.7"}`, token: aliceToken}).status)

	a = s.do(request{method: http.MethodDelete, path: path, token: aliceToken})
	require.Equal(t, http.StatusOK, a.status, a.raw)
	assert.Equal(t, "deleted", a.action())
	assert.Empty(t, s.set("example.org", "api", "A"))
	assert.Equal(t, http.StatusNotFound, s.do(request{method: http.MethodDelete, path: path, token: aliceToken}).status)
	assert.Equal(t, http.StatusNotFound, s.do(request{method: http.MethodGet, path: path, token: aliceToken}).status)
}

func TestCreateByJSON(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	body := `{"domain_type":"cname","domain":"example.com","subdomain":"api","to":"api.example.org"}`
	a := s.do(request{method: http.MethodPost, path: "/records", body: body, token: aliceToken})
	require.Equal(t, http.StatusCreated, a.status, a.raw)
	assert.Equal(t, "CNAME", a.data()["domain_type"])
	assert.Equal(t, "api.example.org", a.data()["to"])

	a = s.do(request{method: http.MethodPost, path: "/records", body: body, token: aliceToken})
	assert.Equal(t, http.StatusConflict, a.status, "the name already has a record: %s", a.raw)

	a = s.do(request{method: http.MethodPost, path: "/records", body: `{"domain_type":"A","domain":"example.com","subdomain":"ttl","to":"192.0.2.1","ttl":3600}`, token: aliceToken})
	require.Equal(t, http.StatusCreated, a.status, a.raw)
	assert.EqualValues(t, 3600, a.data()["ttl"])

	bad := map[string]struct {
		body        string
		contentType string
		status      int
	}{
		"form body":        {`domain_type=A`, "application/x-www-form-urlencoded", http.StatusUnsupportedMediaType},
		"no content type":  {body, "", http.StatusUnsupportedMediaType},
		"xml":              {`<a/>`, "application/xml", http.StatusUnsupportedMediaType},
		"unknown field":    {`{"domain_type":"A","domain":"example.com","subdomain":"x","to":"192.0.2.1","admin":true}`, "application/json", http.StatusBadRequest},
		"malformed":        {`{"domain_type":`, "application/json", http.StatusBadRequest},
		"trailing data":    {body + `{}`, "application/json", http.StatusBadRequest},
		"array":            {`[]`, "application/json", http.StatusBadRequest},
		"wrong type":       {`{"domain_type":"A","domain":"example.com","subdomain":"x","to":1}`, "application/json", http.StatusBadRequest},
		"missing to":       {`{"domain_type":"A","domain":"example.com","subdomain":"x"}`, "application/json", http.StatusBadRequest},
		"ttl too low":      {`{"domain_type":"A","domain":"example.com","subdomain":"x","to":"192.0.2.1","ttl":0}`, "application/json", http.StatusBadRequest},
		"unmanaged domain": {`{"domain_type":"A","domain":"example.net","subdomain":"x","to":"192.0.2.1"}`, "application/json", http.StatusBadRequest},
		"charset is fine":  {`{"domain_type":"A","domain":"example.com","subdomain":"cs","to":"192.0.2.1"}`, "application/json; charset=utf-8", http.StatusCreated},
		"too large":        {`{"domain_type":"A","domain":"example.com","subdomain":"x","to":"` + strings.Repeat("a", 70<<10) + `"}`, "application/json", http.StatusRequestEntityTooLarge},
	}
	for name, c := range bad {
		a := s.do(request{method: http.MethodPost, path: "/records", body: c.body, token: aliceToken,
			headers: map[string]string{"Content-Type": c.contentType}})
		assert.Equal(t, c.status, a.status, "%s: %s", name, a.raw)
	}
}

func TestValidationIsA400BeforeAnyUpstreamCall(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	label64 := strings.Repeat("a", 64)
	long := strings.Join([]string{strings.Repeat("a", 63), strings.Repeat("b", 63), strings.Repeat("c", 63), strings.Repeat("d", 50)}, ".")
	paths := []string{
		"/records/A/example.com/api/1.2.3",
		"/records/A/example.com/api/01.2.3.4",
		"/records/A/example.com/api/256.1.1.1",
		"/records/A/example.com/api/0.0.0.0",
		"/records/A/example.com/api/224.0.0.1",
		"/records/A/example.com/api/16909060",
		"/records/AAAA/example.com/api/::ffff:1.2.3.4",
		"/records/AAAA/example.com/api/1.2.3.4",
		"/records/CNAME/example.com/api/not_a host",
		"/records/A/example.com/" + label64 + "/203.0.113.7",
		"/records/A/example.com/" + long + "/203.0.113.7",
		"/records/A/example.com/@/203.0.113.7",
		"/records/A/example.com/example.com/203.0.113.7",
		"/records/A/example.com/api.example.com/203.0.113.7",
		"/records/A/example.com/../203.0.113.7",
		"/records/A/example.com/a..b/203.0.113.7",
		"/records/A/example.com/a%2Fb/203.0.113.7",
		"/records/A/example.com/a%252Fb/203.0.113.7",
		"/records/A/example.com/*/203.0.113.7",
		"/records/A/example.com/a%20b/203.0.113.7",
		"/records/A/example.com/a_b/203.0.113.7",
		"/records/MX/example.com/api/mx.example.com",
		"/records/A/example.net/api/203.0.113.7",
		"/records/A/com/api/203.0.113.7",
		"/records/A/example.com%2F..%2Fexample.net/api/203.0.113.7",
	}
	for _, p := range paths {
		a := s.do(request{method: http.MethodPost, path: p, token: aliceToken})
		assert.Equal(t, http.StatusBadRequest, a.status, "%s: %s", p, a.raw)
		assert.NotEmpty(t, a.title(), p)
	}
	require.Len(t, long+".example.com", 254)
	assert.Empty(t, s.emu.Requests(), "invalid input never reaches DNSimple")
}

func TestBlacklistCannotBeBypassed(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{blacklist: []string{"www", "*.internal"}})
	paths := []string{
		"/records/A/example.com/www/203.0.113.7",
		"/records/A/example.com/WWW/203.0.113.7",
		"/records/A/example.com/www./203.0.113.7",
		"/records/A/example.com/w%77w/203.0.113.7",
		"/records/A/example.com/%57%57%57/203.0.113.7",
		"/records/TXT/example.com/_acme-challenge.www/token",
		"/records/CNAME/example.com/_acme-challenge.www/elsewhere.example.net",
		"/records/TXT/example.com/_a._b.www/token",
		"/records/A/example.com/db.internal/203.0.113.7",
		"/records/A/example.com/a.b.internal/203.0.113.7",
		"/records/TXT/example.com/_acme-challenge.db.internal/token",
		"/records/A/example.org/www/203.0.113.7",
		// Challenge names whose wildcard certificate would cover a
		// blacklisted name: *.example.com covers www, *.internal covers
		// db.internal.
		"/records/TXT/example.com/_acme-challenge/token",
		"/records/CNAME/example.com/_acme-challenge/elsewhere.example.net",
		"/records/TXT/example.com/_acct._acme-challenge/token",
		"/records/TXT/example.com/_validation-persist/token",
		"/records/TXT/example.com/_acme-challenge.internal/token",
		"/records/CNAME/example.com/_validation-persist.internal/elsewhere.example.net",
	}
	for _, p := range paths {
		a := s.do(request{method: http.MethodPost, path: p, token: aliceToken})
		assert.Equal(t, http.StatusForbidden, a.status, "%s: %s", p, a.raw)
	}
	a := s.do(request{method: http.MethodDelete, path: "/records/A/example.com/WWW", token: aliceToken})
	assert.Equal(t, http.StatusForbidden, a.status, a.raw)
	body := `{"domain_type":"A","domain":"example.com","subdomain":"Www.","to":"203.0.113.7"}`
	a = s.do(request{method: http.MethodPost, path: "/records", body: body, token: aliceToken})
	assert.Equal(t, http.StatusForbidden, a.status, a.raw)
	assert.Empty(t, s.emu.Requests(), "a blacklisted name never reaches DNSimple")

	// Names near the blacklist are fine.
	for _, p := range []string{
		"/records/A/example.com/www2/203.0.113.7", "/records/A/example.com/internal/203.0.113.7",
		"/records/TXT/example.com/_dmarc/v=DMARC1", "/records/TXT/example.com/_acme-challenge.api/token",
		"/records/TXT/example.com/_acme-challenge.x.api/token", "/records/TXT/example.org/_acme-challenge.www2/token",
	} {
		a := s.do(request{method: http.MethodPost, path: p, token: aliceToken})
		assert.Equal(t, http.StatusCreated, a.status, "%s: %s", p, a.raw)
	}
}

func TestDeleteSet(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	s.seed("example.com",
		emulator.Record{Name: "_acme-challenge.api", Type: "TXT", Content: "one"},
		emulator.Record{Name: "_acme-challenge.api", Type: "TXT", Content: "two"},
		emulator.Record{Name: "_acme-challenge.api", Type: "CNAME", Content: "x.example.net"},
	)
	a := s.do(request{method: http.MethodDelete, path: "/records/txt/example.com/_acme-challenge.api", token: aliceToken})
	require.Equal(t, http.StatusOK, a.status, a.raw)
	assert.Len(t, a.list(), 2)
	assert.Equal(t, "deleted", a.action())
	assert.Empty(t, s.set("example.com", "_acme-challenge.api", "TXT"))
	assert.Len(t, s.set("example.com", "_acme-challenge.api", "CNAME"), 1, "only the named type goes")

	a = s.do(request{method: http.MethodDelete, path: "/records/TXT/example.com/_acme-challenge.api", token: aliceToken})
	assert.Equal(t, http.StatusNotFound, a.status, a.raw)
}

func TestConflictsAt409(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	s.seed("example.com", emulator.Record{Name: "both", Type: "A", Content: "192.0.2.1"})
	a := s.do(request{method: http.MethodPost, path: "/records/CNAME/example.com/both/target.example.net", token: aliceToken})
	assert.Equal(t, http.StatusConflict, a.status, "DNSimple refuses a CNAME beside other records: %s", a.raw)
	assert.Contains(t, a.title(), "DNSimple refused")
	s.seed("example.com", emulator.Record{Name: "alias", Type: "CNAME", Content: "target.example.net"})
	a = s.do(request{method: http.MethodPost, path: "/records/TXT/example.com/alias/hello", token: aliceToken})
	assert.Equal(t, http.StatusConflict, a.status, a.raw)
}

func TestUnknownRoutesAndMethods(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	for _, r := range []request{
		{method: http.MethodGet, path: "/nope"},
		{method: http.MethodGet, path: "/v2/whoami"},
		{method: http.MethodGet, path: "/records/"},
		{method: http.MethodPost, path: "/records/A/example.com/api/1.2.3.4/extra"},
		{method: http.MethodPost, path: "/records/TXT/example.com/api/a/b"},
		{method: http.MethodGet, path: "/records/123/extra"},
	} {
		r.token = aliceToken
		a := s.do(r)
		assert.Equal(t, http.StatusNotFound, a.status, "%s %s: %s", r.method, r.path, a.raw)
	}
	a := s.do(request{method: http.MethodPut, path: "/records", token: aliceToken})
	assert.Equal(t, http.StatusMethodNotAllowed, a.status, a.raw)
	assert.Contains(t, a.header.Get("Allow"), "GET")
	a = s.do(request{method: http.MethodPost, path: "/whoami"})
	assert.Equal(t, http.StatusMethodNotAllowed, a.status, a.raw)
	a = s.do(request{method: http.MethodGet, path: "/records/A/example.com/api/1.2.3.4", token: aliceToken})
	assert.Equal(t, http.StatusMethodNotAllowed, a.status, a.raw)
}

func TestWhoamiAndDomains(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{blacklist: []string{"www", "*.internal"}})
	tok := token(`{"username":"bob","jti":"t-1","name":"laptop","exp":4102444800}`)
	a := s.do(request{method: http.MethodGet, path: "/whoami", token: tok})
	require.Equal(t, http.StatusOK, a.status, a.raw)
	assert.Equal(t, "bob", a.data()["id"])
	assert.Equal(t, "user", a.data()["type"])
	tokInfo := a.data()["token"].(map[string]any)
	assert.Equal(t, "t-1", tokInfo["id"])
	assert.Equal(t, "laptop", tokInfo["name"])
	assert.Equal(t, "2100-01-01T00:00:00Z", tokInfo["expires_at"])

	a = s.do(request{method: http.MethodGet, path: "/domains", token: aliceToken})
	require.Equal(t, http.StatusOK, a.status, a.raw)
	want := []any{
		map[string]any{"id": "example.com", "type": "domain"},
		map[string]any{"id": "example.org", "type": "domain"},
		map[string]any{"id": "www", "type": "blacklisted_subdomain"},
		map[string]any{"id": "*.internal", "type": "blacklisted_subdomain"},
	}
	assert.Equal(t, want, a.list())
}

func TestUpstreamFailures(t *testing.T) {
	t.Parallel()
	answerWith := func(status int, contentType, body string, header map[string]string) func(http.ResponseWriter, *http.Request) bool {
		return func(w http.ResponseWriter, r *http.Request) bool {
			for k, v := range header {
				w.Header().Set(k, v)
			}
			w.Header().Set("Content-Type", contentType)
			w.WriteHeader(status)
			fmt.Fprint(w, body)
			return true
		}
	}
	reset := time.Now().Add(90 * time.Second).Unix()
	cases := []struct {
		name   string
		fault  func(http.ResponseWriter, *http.Request) bool
		status int
	}{
		{"500", answerWith(500, "application/json", `{"message":"Internal Server Error"}`, nil), http.StatusBadGateway},
		{"nginx 502 page", answerWith(502, "text/html", "<html><body><h1>502 Bad Gateway</h1></body></html>", nil), http.StatusBadGateway},
		{"garbage", answerWith(200, "application/json", `{"data": [{"id": "not a number"`, nil), http.StatusBadGateway},
		{"html 200", answerWith(200, "text/html", `<html>maintenance</html>`, nil), http.StatusBadGateway},
		{"account token refused", answerWith(401, "application/json", `{"message":"Authentication failed"}`, nil), http.StatusBadGateway},
		{"rate limited", answerWith(429, "application/json", `{"message":"quota exceeded"}`,
			map[string]string{"X-RateLimit-Limit": "2400", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": strconv.FormatInt(reset, 10)}), http.StatusServiceUnavailable},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := newStack(t, stackOptions{})
			s.setFault(c.fault)
			a := s.do(request{method: http.MethodPost, path: "/records/A/example.com/api/203.0.113.7", token: aliceToken})
			assert.Equal(t, c.status, a.status, a.raw)
			assert.NotContains(t, a.raw, "dnsimple-go")
			assert.NotContains(t, a.raw, "/v2/")
			if c.status == http.StatusServiceUnavailable {
				retry, err := strconv.Atoi(a.header.Get("Retry-After"))
				require.NoError(t, err, "Retry-After is a number of seconds")
				assert.InDelta(t, time.Until(time.Unix(reset, 0)).Seconds(), retry, 2, "until the reset DNSimple named")
			}
			a = s.do(request{method: http.MethodGet, path: "/records", token: aliceToken})
			assert.Equal(t, c.status, a.status, a.raw)
		})
	}

	// Too slow: see TestUpstreamFaultTable, "slow beyond the deadline".
}

func TestFailedWriteLeavesZoneAsItWas(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	s.seed("example.com",
		emulator.Record{Name: "keep", Type: "A", Content: "192.0.2.1"},
		emulator.Record{Name: "keep", Type: "A", Content: "192.0.2.2"},
		emulator.Record{Name: "one", Type: "A", Content: "192.0.2.3"},
	)
	before := s.emu.Records("example.com")
	s.setFault(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodGet {
			return false
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprint(w, `{"message":"Internal Server Error"}`)
		return true
	})
	for _, p := range []string{
		"/records/A/example.com/keep/203.0.113.7", // update + delete, one batch
		"/records/A/example.com/one/203.0.113.7",  // one update
		"/records/A/example.com/new/203.0.113.7",  // one create
	} {
		a := s.do(request{method: http.MethodPost, path: p, token: aliceToken})
		assert.Equal(t, http.StatusBadGateway, a.status, "%s: %s", p, a.raw)
	}
	a := s.do(request{method: http.MethodDelete, path: "/records/A/example.com/keep", token: aliceToken})
	assert.Equal(t, http.StatusBadGateway, a.status, a.raw)
	assert.Equal(t, before, s.emu.Records("example.com"), "the zone is exactly as it was")

	// An atomic batch refused half-way through by DNSimple itself changes
	// nothing either: make the second operation invalid at the emulator.
	s.setFault(nil)
	s.seed("example.com", emulator.Record{Name: "conflict", Type: "A", Content: "192.0.2.1"},
		emulator.Record{Name: "conflict", Type: "A", Content: "192.0.2.2"},
		emulator.Record{Name: "conflict", Type: "CNAME", Content: "x.example.net"})
	before = s.emu.Records("example.com")
	a = s.do(request{method: http.MethodPost, path: "/records/A/example.com/conflict/203.0.113.7", token: aliceToken})
	assert.Equal(t, http.StatusConflict, a.status, a.raw)
	assert.Equal(t, before, s.emu.Records("example.com"), "a refused batch changes nothing")
}

func TestLogsNeverHoldSecrets(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	s.do(request{method: http.MethodPost, path: "/records/A/example.com/api/203.0.113.7", token: aliceToken})
	s.do(request{method: http.MethodGet, path: "/whoami", token: "forged." + aliceToken})
	s.do(request{method: http.MethodGet, path: "/whoami?access_token=" + aliceToken})
	s.setFault(func(w http.ResponseWriter, r *http.Request) bool {
		w.WriteHeader(http.StatusUnauthorized)
		return true
	})
	s.do(request{method: http.MethodGet, path: "/records", token: aliceToken})
	logs := s.logs.String()
	require.NotEmpty(t, logs)
	assert.Contains(t, logs, `"status":201`)
	assert.Contains(t, logs, `"user":"alice"`)
	for _, secret := range []string{aliceToken, strings.Split(aliceToken, ".")[2], testSecret, testAccountToken} {
		assert.NotContains(t, logs, secret)
	}
}

func TestPathSegmentsAreDecodedOnce(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{blacklist: []string{"www"}})
	cases := []struct {
		path   string
		status int
		to     string
	}{
		{"/records/TXT/example.com/once/a%2520b", http.StatusCreated, "a%20b"},
		{"/records/TXT/example.com/pct/100%25", http.StatusCreated, "100%"},
		{"/records/TXT/example.com/slash/a%2Fb", http.StatusCreated, "a/b"},
		{"/records/A/example%252Ecom/dd/203.0.113.7", http.StatusBadRequest, ""},
		{"/records/A/example.com/w%2577w/203.0.113.7", http.StatusBadRequest, ""},
		{"/records/A/example.com/w%77w/203.0.113.7", http.StatusForbidden, ""},
		{"/records/A/example.com/%61pi/203.0.113.7", http.StatusCreated, "203.0.113.7"},
	}
	for _, c := range cases {
		a := s.do(request{method: http.MethodPost, path: c.path, token: aliceToken})
		assert.Equal(t, c.status, a.status, "%s: %s", c.path, a.raw)
		if c.to != "" {
			assert.Equal(t, c.to, a.data()["to"], c.path)
		}
	}
}

func TestBodyLimitIs64KiB(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	// A JSON body of exactly n bytes: the padding is in a TXT value that is
	// refused for its length, so only the status tells the limit apart.
	body := func(n int) string {
		head := `{"domain_type":"TXT","domain":"example.com","subdomain":"big","to":"`
		return head + strings.Repeat("x", n-len(head)-2) + `"}`
	}
	a := s.do(request{method: http.MethodPost, path: "/records", body: body(64 << 10), token: aliceToken})
	assert.Equal(t, http.StatusBadRequest, a.status, "64 KiB is within the limit: %.200s", a.raw)
	a = s.do(request{method: http.MethodPost, path: "/records", body: body(64<<10 + 1), token: aliceToken})
	assert.Equal(t, http.StatusRequestEntityTooLarge, a.status, "%.200s", a.raw)

	// A chunked body over the limit is refused even where no body is read.
	req, err := http.NewRequest(http.MethodPost, s.url+"/records/A/example.com/chunked/203.0.113.7",
		io.MultiReader(strings.NewReader(strings.Repeat("x", 70<<10))))
	require.NoError(t, err)
	req.ContentLength = -1
	req.Header.Set("Authorization", "Bearer "+aliceToken)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
	assert.Empty(t, s.set("example.com", "chunked", "A"), "nothing written")
}

func TestOptionsIsRefusedWithTheEnvelope(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	a := s.do(request{method: http.MethodOptions, path: "/records", token: aliceToken})
	assert.Equal(t, http.StatusMethodNotAllowed, a.status, a.raw)
	assert.Equal(t, "GET, POST", a.header.Get("Allow"))
	a = s.do(request{method: http.MethodOptions, path: "/nope"})
	assert.Equal(t, http.StatusNotFound, a.status, a.raw)
	a = s.do(request{method: http.MethodPut, path: "/records/1"})
	assert.Equal(t, http.StatusMethodNotAllowed, a.status, a.raw)
	assert.Equal(t, "DELETE, GET, PATCH", a.header.Get("Allow"))
}

func TestJSONBodiesAreStrict(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	for name, body := range map[string]string{
		"key in other case": `{"domain_type":"A","domain":"example.com","subdomain":"k","to":"203.0.113.7","TO":"203.0.113.8"}`,
		"duplicate key":     `{"domain_type":"A","domain":"example.com","subdomain":"k","to":"203.0.113.7","to":"203.0.113.8"}`,
		"null value":        `{"domain_type":"A","domain":"example.com","subdomain":"k","to":null}`,
		"ttl as a string":   `{"domain_type":"A","domain":"example.com","subdomain":"k","to":"203.0.113.7","ttl":"60"}`,
		"ttl as a float":    `{"domain_type":"A","domain":"example.com","subdomain":"k","to":"203.0.113.7","ttl":60.5}`,
	} {
		a := s.do(request{method: http.MethodPost, path: "/records", body: body, token: aliceToken})
		assert.Equal(t, http.StatusBadRequest, a.status, "%s: %s", name, a.raw)
	}
	req, _ := http.NewRequest(http.MethodPost, s.url+"/records",
		strings.NewReader(`{"domain_type":"A","domain":"example.com","subdomain":"k","to":"203.0.113.7"}`))
	req.Header.Set("Authorization", "Bearer "+aliceToken)
	req.Header.Add("Content-Type", "application/json")
	req.Header.Add("Content-Type", "text/plain")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnsupportedMediaType, resp.StatusCode, "two Content-Type headers")
	assert.Empty(t, s.set("example.com", "k", "A"))
}

func TestMalformedUpstreamAnswersAreNeverTakenAtFaceValue(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	s.seed("example.com", emulator.Record{Name: "dup", Type: "A", Content: "192.0.2.5"})
	// A listing without data must not read as "no records" (which would
	// make the upsert create a duplicate).
	s.setFault(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method != http.MethodGet {
			return false
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{}`)
		return true
	})
	a := s.do(request{method: http.MethodPost, path: "/records/A/example.com/dup/192.0.2.9", token: aliceToken})
	assert.Equal(t, http.StatusBadGateway, a.status, a.raw)
	assert.Len(t, s.set("example.com", "dup", "A"), 1)

	// A 400 from DNSimple on a read is a failure of DNSimple's, not a conflict.
	s.setFault(func(w http.ResponseWriter, r *http.Request) bool {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"message":"Invalid sort"}`)
		return true
	})
	a = s.do(request{method: http.MethodGet, path: "/records", token: aliceToken})
	assert.Equal(t, http.StatusBadGateway, a.status, a.raw)
}

func TestTitlesDoNotEchoHugeInput(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	huge := strings.Repeat("a", 20000)
	for _, p := range []string{
		"/records/A/example.com/" + huge + "/203.0.113.7",
		"/records/A/example.com/api/" + huge,
		"/records/" + huge + "/example.com/api/203.0.113.7",
		"/records/A/" + huge + ".com/api/203.0.113.7",
	} {
		a := s.do(request{method: http.MethodPost, path: p, token: aliceToken})
		assert.Equal(t, http.StatusBadRequest, a.status)
		assert.Less(t, len(a.raw), 400, "%.300s", a.raw)
	}
}

func TestRecordsTheServiceCouldNotWriteAreNotReachable(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{blacklist: []string{"*.internal"}})
	odd := s.seed("example.com",
		emulator.Record{Name: "*", Type: "A", Content: "192.0.2.1"},
		emulator.Record{Name: "*.dev", Type: "A", Content: "192.0.2.2"},
		emulator.Record{Name: "sel._domainkey", Type: "TXT", Content: "v=DKIM1"},
	)
	s.seed("example.com", emulator.Record{Name: "ok", Type: "A", Content: "192.0.2.3"})
	a := s.do(request{method: http.MethodGet, path: "/records", token: aliceToken})
	assert.Equal(t, []string{"A ok.example.com"}, fqdns(a))
	for _, rec := range odd {
		path := fmt.Sprintf("/records/%d", rec.ID)
		assert.Equal(t, http.StatusNotFound, s.do(request{method: http.MethodGet, path: path, token: aliceToken}).status, rec.Name)
		assert.Equal(t, http.StatusNotFound, s.do(request{method: http.MethodPatch, path: path, body: `{"to":"203.0.113.7"}`, token: aliceToken}).status, rec.Name)
	}
	// Only ASCII letters fold: the Kelvin sign is not a k.
	a = s.do(request{method: http.MethodPost, path: "/records/A/example.com/%E2%84%AAey/203.0.113.7", token: aliceToken})
	assert.Equal(t, http.StatusBadRequest, a.status, a.raw)
}
