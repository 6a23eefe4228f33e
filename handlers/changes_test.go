package handlers_test

// Tests of what makes a change trustworthy before and after: dry runs,
// waiting until every name server serves it, and lookups.

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dns-api/dns-api/upstream/emulator"
)

func (a answer) meta() map[string]any {
	m, _ := a.body["meta"].(map[string]any)
	return m
}

func TestWaitUntilDistributed(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{propagation: 300 * time.Millisecond})
	upsert := func(target, wait string) answer {
		return s.do(request{method: http.MethodPost, path: "/records/A/example.com/api/" + target + "?wait=" + wait, token: aliceToken})
	}

	a := upsert("203.0.113.7", "5s")
	assert.Equal(t, http.StatusCreated, a.status, "distributed within the wait: the write's usual status: %s", a.raw)
	assert.Equal(t, true, a.meta()["distributed"])

	a = upsert("203.0.113.8", "200ms")
	assert.Equal(t, http.StatusAccepted, a.status, "the wait ended first: %s", a.raw)
	assert.Equal(t, false, a.meta()["distributed"])
	assert.Equal(t, "updated", a.action(), "the change is made all the same")
	assert.Equal(t, "203.0.113.8", s.set("example.com", "api", "A")[0].Content)

	a = upsert("203.0.113.8", "5s")
	assert.Equal(t, http.StatusOK, a.status, "an unchanged upsert still waits for the earlier change to spread: %s", a.raw)
	assert.Equal(t, "unchanged", a.action())
	assert.Equal(t, true, a.meta()["distributed"])

	// A check that fails is tried again within the wait, and never turns
	// the change into an error.
	s.emu.FailDistributionChecks(true)
	go func() { time.Sleep(300 * time.Millisecond); s.emu.FailDistributionChecks(false) }()
	a = upsert("203.0.113.9", "5s")
	assert.Equal(t, http.StatusOK, a.status, a.raw)
	assert.Equal(t, true, a.meta()["distributed"])
	s.emu.FailDistributionChecks(true)
	a = upsert("203.0.113.10", "1s")
	assert.Equal(t, http.StatusAccepted, a.status, "failing checks all along: a 202, not an error: %s", a.raw)
	s.emu.FailDistributionChecks(false)

	// Deletions wait on the zone's check.
	s.calls()
	a = s.do(request{method: http.MethodDelete, path: "/records/A/example.com/api?wait=5s", token: aliceToken})
	assert.Equal(t, http.StatusOK, a.status, a.raw)
	assert.Equal(t, true, a.meta()["distributed"])
	var zoneChecks int
	for _, c := range s.calls() {
		if strings.HasSuffix(c, "/zones/example.com/distribution") {
			zoneChecks++
		}
		assert.False(t, strings.Contains(c, "/records/") && strings.HasSuffix(c, "/distribution"),
			"no record check for a deletion: %s", c)
	}
	assert.Positive(t, zoneChecks)

	// Every write takes wait: the JSON create, PATCH, DELETE by id, ACME.
	a = s.do(request{method: http.MethodPost, path: "/records?wait=5s", token: aliceToken,
		body: `{"domain_type":"A","domain":"example.com","subdomain":"json","to":"203.0.113.7"}`})
	require.Equal(t, http.StatusCreated, a.status, a.raw)
	assert.Equal(t, true, a.meta()["distributed"])
	id := strconv.FormatInt(int64(a.data()["id"].(float64)), 10)
	a = s.do(request{method: http.MethodPatch, path: "/records/" + id + "?wait=5s", token: aliceToken, body: `{"to":"203.0.113.8"}`})
	assert.Equal(t, true, a.meta()["distributed"], a.raw)
	a = s.do(request{method: http.MethodDelete, path: "/records/" + id + "?wait=5s", token: aliceToken})
	assert.Equal(t, true, a.meta()["distributed"], a.raw)
	a = s.acme("present?wait=5s", `{"fqdn":"_acme-challenge.api.example.com.","value":"v"}`, "Bearer "+aliceToken)
	assert.Equal(t, http.StatusOK, a.status, a.raw)
	assert.Equal(t, true, a.meta()["distributed"])
	a = s.acme("cleanup?wait=5s", `{"fqdn":"_acme-challenge.api.example.com.","value":"v"}`, "Bearer "+aliceToken)
	assert.Equal(t, true, a.meta()["distributed"], a.raw)
}

func TestWaitIsBounded(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{timeout: time.Second}) // a 3s request deadline
	for _, wait := range []string{"10s", "1h", "-1s", "soon", "5"} {
		a := s.do(request{method: http.MethodPost, path: "/records/A/example.com/api/203.0.113.7?wait=" + wait, token: aliceToken})
		assert.Equal(t, http.StatusBadRequest, a.status, "%s: %s", wait, a.raw)
	}
	a := s.do(request{method: http.MethodPost, path: "/records/A/example.com/api/203.0.113.7?wait=10s", token: aliceToken})
	assert.Contains(t, a.title(), "at most 2s", "the refusal says the limit")
	assert.Zero(t, s.writes())
	for _, none := range []string{"0", "0s"} {
		a = s.do(request{method: http.MethodPost, path: "/records/A/example.com/api/203.0.113.7?wait=" + none, token: aliceToken})
		assert.Less(t, a.status, 300, "wait=%s is no wait: %s", none, a.raw)
		assert.NotContains(t, a.meta(), "distributed")
	}
}

func TestDryRun(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{blacklist: []string{"www"}})
	s.seed("example.com",
		emulator.Record{Name: "dup", Type: "A", Content: "192.0.2.1"},
		emulator.Record{Name: "dup", Type: "A", Content: "192.0.2.2"},
		emulator.Record{Name: "one", Type: "A", Content: "192.0.2.3"})
	one := s.set("example.com", "one", "A")[0]
	oneID := strconv.FormatInt(one.ID, 10)
	writes := []struct {
		name   string
		req    request
		action string
		plan   []string // "op to"
	}{
		{"upsert creating", request{method: http.MethodPost, path: "/records/A/example.com/new/203.0.113.7"}, "created", []string{"create 203.0.113.7"}},
		{"upsert converging", request{method: http.MethodPost, path: "/records/A/example.com/dup/192.0.2.2"}, "updated", []string{"delete 192.0.2.1"}},
		{"upsert updating", request{method: http.MethodPost, path: "/records/A/example.com/one/203.0.113.9"}, "updated", []string{"update 203.0.113.9"}},
		{"upsert unchanged", request{method: http.MethodPost, path: "/records/A/example.com/one/192.0.2.3"}, "unchanged", nil},
		{"JSON create", request{method: http.MethodPost, path: "/records", body: `{"domain_type":"TXT","domain":"example.org","subdomain":"hello","to":"hi there"}`}, "created", []string{"create hi there"}},
		{"PATCH", request{method: http.MethodPatch, path: "/records/" + oneID, body: `{"to":"203.0.113.10"}`}, "updated", []string{"update 203.0.113.10"}},
		{"DELETE by id", request{method: http.MethodDelete, path: "/records/" + oneID}, "deleted", []string{"delete 192.0.2.3"}},
		{"DELETE by path", request{method: http.MethodDelete, path: "/records/A/example.com/dup"}, "deleted", []string{"delete 192.0.2.1", "delete 192.0.2.2"}},
	}
	before := s.emu.Records("example.com")
	beforeOrg := s.emu.Records("example.org")
	for _, w := range writes {
		r := w.req
		r.token = aliceToken
		r.path += "?dry_run=true"
		s.calls()
		a := s.do(r)
		require.Equal(t, http.StatusOK, a.status, "%s: %s", w.name, a.raw)
		assert.Equal(t, true, a.meta()["dry_run"], w.name)
		assert.Equal(t, w.action, a.action(), w.name)
		var plan []string
		for _, op := range a.meta()["plan"].([]any) {
			op := op.(map[string]any)
			plan = append(plan, op["op"].(string)+" "+op["record"].(map[string]any)["to"].(string))
		}
		assert.Equal(t, w.plan, plan, w.name)
		for _, c := range s.calls() {
			assert.True(t, strings.HasPrefix(c, "GET "), "%s: a dry run sends no write: %s", w.name, c)
		}
	}
	assert.Equal(t, before, s.emu.Records("example.com"), "the zone is byte for byte as it was")
	assert.Equal(t, beforeOrg, s.emu.Records("example.org"))
	assert.Contains(t, s.logs.String(), `"dry_run":true`, "the audit log marks dry runs")

	// The plan is what the real write then does.
	a := s.do(request{method: http.MethodPost, path: "/records/A/example.com/dup/192.0.2.2?dry_run=1", token: aliceToken})
	planned := a.meta()["plan"].([]any)[0].(map[string]any)["record"].(map[string]any)["id"]
	s.calls()
	a = s.do(request{method: http.MethodPost, path: "/records/A/example.com/dup/192.0.2.2", token: aliceToken})
	require.Equal(t, http.StatusOK, a.status)
	calls := s.calls()
	require.Len(t, calls, 2, "a fresh lookup, then the write")
	assert.Equal(t, fmt.Sprintf("DELETE /v2/1010/zones/example.com/records/%.0f", planned), calls[1])

	// Refusals are the real write's refusals.
	for _, r := range []request{
		{method: http.MethodPost, path: "/records/A/example.com/www/203.0.113.7?dry_run=true", token: aliceToken},
		{method: http.MethodPost, path: "/records/A/example.com/x/203.0.113.7?dry_run=true", token: token(`{"username":"alice","scope":"dns:read"}`)},
	} {
		assert.Equal(t, http.StatusForbidden, s.do(r).status)
	}
	a = s.do(request{method: http.MethodPost, path: "/records?dry_run=true", token: aliceToken,
		body: `{"domain_type":"A","domain":"example.com","subdomain":"dup","to":"203.0.113.7"}`})
	assert.Equal(t, http.StatusConflict, a.status)
	for _, bad := range []string{"maybe", "yes!"} {
		assert.Equal(t, http.StatusBadRequest, s.do(request{method: http.MethodPost, path: "/records/A/example.com/x/203.0.113.7?dry_run=" + bad, token: aliceToken}).status)
	}
	// Not on the client protocols, which would otherwise write.
	a = s.acme("present?dry_run=true", `{"fqdn":"_acme-challenge.api.example.com.","value":"v"}`, "Bearer "+aliceToken)
	assert.Equal(t, http.StatusBadRequest, a.status, a.raw)
	assert.Empty(t, s.txtValues("example.com", "_acme-challenge.api"))
}

func TestLookupsAndFilters(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{blacklist: []string{"www"}})
	s.seed("example.com",
		emulator.Record{Name: "api", Type: "A", Content: "192.0.2.1"},
		emulator.Record{Name: "api", Type: "AAAA", Content: "2001:db8::1"},
		emulator.Record{Name: "web", Type: "A", Content: "192.0.2.2"},
		emulator.Record{Name: "www", Type: "A", Content: "192.0.2.3"})
	s.seed("example.org", emulator.Record{Name: "api", Type: "A", Content: "192.0.2.4"})
	s.calls()

	a := s.do(request{method: http.MethodGet, path: "/records/A/example.com/api", token: aliceToken})
	require.Equal(t, http.StatusOK, a.status, a.raw)
	require.Len(t, a.list(), 1)
	assert.Equal(t, "192.0.2.1", a.list()[0].(map[string]any)["to"])
	calls := s.calls()
	require.Len(t, calls, 1)
	assert.Contains(t, calls[0], "/zones/example.com/records?")
	assert.Contains(t, calls[0], "name=api")
	assert.Contains(t, calls[0], "type=A")
	assert.Equal(t, http.StatusNotFound, s.do(request{method: http.MethodGet, path: "/records/CNAME/example.com/api", token: aliceToken}).status)
	assert.Equal(t, http.StatusForbidden, s.do(request{method: http.MethodGet, path: "/records/A/example.com/www", token: aliceToken}).status)
	assert.Equal(t, http.StatusBadRequest, s.do(request{method: http.MethodGet, path: "/records/MX/example.com/api", token: aliceToken}).status)
	assert.Equal(t, http.StatusForbidden, s.do(request{method: http.MethodGet, path: "/records/A/example.com/api",
		token: token(`{"username":"alice","scope":"dns:write"}`)}).status, "a lookup is a read")

	list := func(query string) []string {
		a := s.do(request{method: http.MethodGet, path: "/records?" + query, token: aliceToken})
		require.Equal(t, http.StatusOK, a.status, "%s: %s", query, a.raw)
		return fqdns(a)
	}
	s.calls()
	assert.Equal(t, []string{"A api.example.com", "AAAA api.example.com"}, list("domain=example.com&subdomain=api"))
	calls = s.calls()
	require.Len(t, calls, 1, "one zone, one name: %v", calls)
	assert.Contains(t, calls[0], "name=api")
	assert.Equal(t, []string{"A api.example.com"}, list("domain=example.com&subdomain=api&type=a"))
	assert.Equal(t, []string{"A api.example.com", "A api.example.org"}, list("subdomain=api&type=A"))
	assert.Equal(t, []string{"A api.example.com", "A web.example.com", "A api.example.org"}, list("type=A"))
	assert.Equal(t, []string{"A api.example.org"}, list("domain=example.org"))
	for _, bad := range []string{"type=MX", "domain=example.net", "subdomain=a%20b", "subdomain=*"} {
		a := s.do(request{method: http.MethodGet, path: "/records?" + bad, token: aliceToken})
		assert.Equal(t, http.StatusBadRequest, a.status, "%s: %s", bad, a.raw)
	}
}

// A query string that does not parse is refused, never half-read: a
// preview whose dry_run was dropped would be a real change.
func TestMalformedQueryIsRefused(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	s.calls()
	for _, r := range []request{
		{method: http.MethodPost, path: "/records/A/example.com/dq/203.0.113.1?dry_run=true%", token: aliceToken},
		{method: http.MethodPost, path: "/records/A/example.com/dq/203.0.113.1?dry_run=true;x=1", token: aliceToken},
		{method: http.MethodGet, path: "/records?domain=%zz", token: aliceToken},
		{method: http.MethodGet, path: "/records?type=A&subdomain=%2", token: aliceToken},
	} {
		a := s.send(r)
		assert.Equal(t, http.StatusBadRequest, a.status, "%s %s: %s", r.method, r.path, a.raw)
		assert.Contains(t, a.raw, "the query string is malformed", r.path)
	}
	assert.Empty(t, s.calls(), "nothing asked of DNSimple, nothing written")
}

// A dry run is refused where DNSimple would refuse the real write: a
// CNAME beside other records of its name, or a record beside a CNAME.
func TestDryRunKnowsTheCNAMERule(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	s.seed("example.com", emulator.Record{Name: "both", Type: "MX", Content: "mail.example.com", Priority: 10},
		emulator.Record{Name: "alias", Type: "CNAME", Content: "target.example.net"})
	for _, path := range []string{"/records/CNAME/example.com/both/x.example.net", "/records/A/example.com/alias/203.0.113.7"} {
		dry := s.do(request{method: http.MethodPost, path: path + "?dry_run=true", token: aliceToken})
		real := s.do(request{method: http.MethodPost, path: path, token: aliceToken})
		assert.Equal(t, http.StatusConflict, real.status, real.raw)
		assert.Equal(t, real.status, dry.status, "the preview is refused as the write is: %s", dry.raw)
		assert.Contains(t, dry.raw, "a CNAME cannot share its name with other records")
	}
	dry := s.do(request{method: http.MethodPost, path: "/records/CNAME/example.com/alone/x.example.net?dry_run=true", token: aliceToken})
	assert.Equal(t, http.StatusOK, dry.status, dry.raw)
}

// acme-dns and dyndns2 take wait too: their answers have no room to say
// how it ended, so they come once DNSimple's name servers serve the change
// (or the wait is over).
func TestClientProtocolsWait(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{propagation: 300 * time.Millisecond})
	polls := func() int {
		n := 0
		for _, c := range s.calls() {
			if strings.Contains(c, "/distribution") {
				n++
			}
		}
		return n
	}
	s.calls()
	a := s.send(request{method: http.MethodPost, path: "/acme-dns/update?wait=5s", body: `{"subdomain":"_acme-challenge.api.example.com","txt":"v"}`,
		headers: map[string]string{"X-Api-User": "u", "X-Api-Key": aliceToken, "Content-Type": "application/json"}})
	require.Equal(t, http.StatusOK, a.status, a.raw)
	assert.Positive(t, polls(), "acme-dns: the distribution was checked")
	s.calls()
	a = s.send(request{method: http.MethodGet, path: "/nic/update?hostname=home.example.com&myip=203.0.113.7&wait=5s",
		headers: map[string]string{"Authorization": basic("router", aliceToken)}})
	require.Equal(t, "good 203.0.113.7\n", a.raw)
	assert.Positive(t, polls(), "dyndns2: the distribution was checked")
	a = s.send(request{method: http.MethodGet, path: "/nic/update?hostname=home.example.com&myip=203.0.113.7&wait=forever",
		headers: map[string]string{"Authorization": basic("router", aliceToken)}})
	assert.Equal(t, http.StatusBadRequest, a.status, "a bad wait is refused, saying why: %s", a.raw)
	assert.Contains(t, a.raw, "wait must be a duration")
}
