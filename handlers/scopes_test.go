package handlers_test

import (
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dns-api/dns-api/upstream/emulator"
)

// The tokens below are built by hand (header, payload, HMAC-SHA256), never
// by the code under test.

// upsertAs is a path upsert with the given token.
func (s *stack) upsertAs(tok, typ, zone, name, target string) answer {
	return s.do(request{method: http.MethodPost, path: fmt.Sprintf("/records/%s/%s/%s/%s", typ, zone, name, target), token: tok})
}

func fqdns(a answer) []string {
	var out []string
	for _, item := range a.list() {
		out = append(out, item.(map[string]any)["domain_type"].(string)+" "+item.(map[string]any)["fqdn"].(string))
	}
	return out
}

func TestScopeClaim(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	rec := s.seed("example.com", emulator.Record{Name: "api", Type: "A", Content: "192.0.2.1"})[0]
	id := strconv.FormatInt(rec.ID, 10)
	readOnly := token(`{"username":"alice","scope":"dns:read"}`)
	writeOnly := token(`{"username":"alice","scope":"dns:write"}`)
	both := token(`{"username":"alice","scope":"dns:read dns:write"}`)

	for _, tok := range []string{readOnly, writeOnly} {
		a := s.do(request{method: http.MethodGet, path: "/whoami", token: tok})
		assert.Equal(t, http.StatusOK, a.status, "any valid token may see itself (an ACME-only token too): %s", a.raw)
	}
	for _, r := range []request{
		{method: http.MethodGet, path: "/domains"},
		{method: http.MethodGet, path: "/records"},
		{method: http.MethodGet, path: "/records/" + id},
	} {
		r.token = readOnly
		assert.Equal(t, http.StatusOK, s.do(r).status, "read-only may %s %s", r.method, r.path)
		r.token = writeOnly
		assert.Equal(t, http.StatusForbidden, s.do(r).status, "write-only may not %s %s", r.method, r.path)
	}
	writes := []request{
		{method: http.MethodPost, path: "/records/A/example.com/new/203.0.113.7"},
		{method: http.MethodPost, path: "/records", body: `{"domain_type":"A","domain":"example.com","subdomain":"json","to":"203.0.113.7"}`},
		{method: http.MethodPatch, path: "/records/" + id, body: `{"to":"203.0.113.9"}`},
		{method: http.MethodDelete, path: "/records/A/example.com/api"},
		{method: http.MethodDelete, path: "/records/" + id},
	}
	for _, r := range writes {
		r.token = readOnly
		a := s.do(r)
		assert.Equal(t, http.StatusForbidden, a.status, "read-only may not %s %s: %s", r.method, r.path, a.raw)
		assert.Contains(t, a.title(), "dns:write")
	}
	assert.Zero(t, s.writes(), "a read-only token wrote nothing")
	for _, r := range writes {
		r.token = writeOnly
		if r.method == http.MethodDelete && r.path == "/records/"+id {
			continue // already deleted by the path delete
		}
		a := s.do(r)
		assert.Less(t, a.status, 300, "write-only may %s %s: %s", r.method, r.path, a.raw)
	}
	assert.Equal(t, http.StatusCreated, s.upsertAs(both, "A", "example.com", "both", "203.0.113.7").status)
}

func TestDomainsClaim(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	org := s.seed("example.org", emulator.Record{Name: "api", Type: "A", Content: "192.0.2.1"})[0]
	s.seed("example.com", emulator.Record{Name: "api", Type: "A", Content: "192.0.2.2"})
	tok := token(`{"username":"alice","domains":["example.com"]}`)

	assert.Equal(t, http.StatusCreated, s.upsertAs(tok, "A", "example.com", "new", "203.0.113.7").status)
	a := s.upsertAs(tok, "A", "example.org", "new", "203.0.113.7")
	assert.Equal(t, http.StatusForbidden, a.status, a.raw)
	assert.Contains(t, a.title(), "example.org")

	a = s.do(request{method: http.MethodGet, path: "/domains", token: tok})
	assert.Equal(t, []any{map[string]any{"id": "example.com", "type": "domain"}}, a.list())
	a = s.do(request{method: http.MethodGet, path: "/records", token: tok})
	assert.Equal(t, []string{"A api.example.com", "A new.example.com"}, fqdns(a))

	// Another zone's record by id is exactly as if it did not exist.
	orgPath := fmt.Sprintf("/records/%d", org.ID)
	for _, r := range []request{
		{method: http.MethodGet, path: orgPath},
		{method: http.MethodPatch, path: orgPath, body: `{"to":"203.0.113.7"}`},
		{method: http.MethodDelete, path: orgPath},
	} {
		r.token = tok
		a := s.do(r)
		missing := s.do(request{method: r.method, path: "/records/999999999999", body: r.body, token: tok})
		assert.Equal(t, http.StatusNotFound, a.status, "%s %s", r.method, r.path)
		assert.Equal(t, missing.status, a.status)
	}
	assert.Len(t, s.set("example.org", "api", "A"), 1)

	a = s.do(request{method: http.MethodGet, path: "/whoami", token: token(`{"username":"alice","domains":["example.net"]}`)})
	assert.Equal(t, http.StatusUnauthorized, a.status, "a token for a zone this service does not manage: %s", a.raw)
}

func TestSubdomainsClaim(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{blacklist: []string{"www"}})
	ci := token(`{"username":"alice","domains":["example.com"],"subdomains":["*.preview"]}`)
	cases := []struct {
		typ, name string
		status    int
	}{
		{"A", "pr-1.preview", http.StatusCreated},
		{"A", "a.b.preview", http.StatusCreated},
		{"TXT", "_acme-challenge.pr-1.preview", http.StatusCreated},
		{"A", "preview", http.StatusForbidden},
		{"TXT", "_acme-challenge.preview", http.StatusForbidden},
		{"A", "api", http.StatusForbidden},
		{"A", "preview.api", http.StatusForbidden},
		{"TXT", "_dmarc", http.StatusForbidden},
	}
	for _, c := range cases {
		target := "203.0.113.7"
		if c.typ == "TXT" {
			target = "token"
		}
		a := s.upsertAs(ci, c.typ, "example.com", c.name, target)
		assert.Equal(t, c.status, a.status, "%s %s: %s", c.typ, c.name, a.raw)
	}

	// A name owned by the apex speaks for the zone: only a token without
	// a names limit reaches it, whatever names the token lists.
	apexOwned := token(`{"username":"alice","subdomains":["_acme-challenge","_dmarc","*.preview"]}`)
	assert.Equal(t, http.StatusForbidden, s.upsertAs(apexOwned, "TXT", "example.com", "_acme-challenge", "t").status)
	assert.Equal(t, http.StatusForbidden, s.upsertAs(apexOwned, "TXT", "example.com", "_dmarc", "v=DMARC1").status)
	assert.Equal(t, http.StatusCreated, s.upsertAs(aliceToken, "TXT", "example.com", "_dmarc", "v=DMARC1").status)

	exact := token(`{"username":"alice","subdomains":["api","_dmarc.www2","_acme-challenge.www2"]}`)
	assert.Equal(t, http.StatusCreated, s.upsertAs(exact, "A", "example.com", "api", "203.0.113.7").status)
	assert.Equal(t, http.StatusCreated, s.upsertAs(exact, "TXT", "example.com", "_acme-challenge.api", "t").status, "the owner covers its underscore names")
	assert.Equal(t, http.StatusCreated, s.upsertAs(exact, "TXT", "example.com", "_dmarc.www2", "t").status, "an exact underscore name")
	assert.Equal(t, http.StatusForbidden, s.upsertAs(exact, "TXT", "example.com", "_acme-challenge.www2", "t").status,
		"a challenge name needs the right to the name it proves control of")
	assert.Equal(t, http.StatusForbidden, s.upsertAs(exact, "A", "example.com", "www2", "203.0.113.7").status, "but not its owner")
	assert.Equal(t, http.StatusForbidden, s.upsertAs(exact, "A", "example.com", "api2", "203.0.113.7").status)
	assert.Equal(t, http.StatusForbidden, s.upsertAs(exact, "A", "example.com", "x.api", "203.0.113.7").status)

	// The blacklist wins over a token that names the name.
	www := token(`{"username":"alice","subdomains":["www","*.www"]}`)
	assert.Equal(t, http.StatusForbidden, s.upsertAs(www, "A", "example.com", "www", "203.0.113.7").status)
	assert.Equal(t, http.StatusForbidden, s.upsertAs(www, "TXT", "example.com", "_acme-challenge.www", "t").status)

	// Reads are filtered to the token's names.
	a := s.do(request{method: http.MethodGet, path: "/records", token: ci})
	assert.Equal(t, []string{"TXT _acme-challenge.pr-1.preview.example.com", "A a.b.preview.example.com", "A pr-1.preview.example.com"}, fqdns(a))
	a = s.do(request{method: http.MethodGet, path: "/records", token: apexOwned})
	assert.NotContains(t, fqdns(a), "TXT _dmarc.example.com", "_dmarc is not listed to a token with a names limit")
	assert.Contains(t, fqdns(a), "A pr-1.preview.example.com")
}

func TestTypesClaim(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	s.seed("example.com",
		emulator.Record{Name: "api", Type: "A", Content: "192.0.2.1"},
		emulator.Record{Name: "api", Type: "TXT", Content: "hello"},
	)
	acme := token(`{"username":"alice","types":["TXT"]}`)
	assert.Equal(t, http.StatusCreated, s.upsertAs(acme, "txt", "example.com", "_acme-challenge.x", "t").status)
	a := s.upsertAs(acme, "A", "example.com", "x", "203.0.113.7")
	assert.Equal(t, http.StatusForbidden, a.status)
	assert.Contains(t, a.title(), "A records")
	a = s.do(request{method: http.MethodGet, path: "/records", token: acme})
	assert.Equal(t, []string{"TXT _acme-challenge.x.example.com", "TXT api.example.com"}, fqdns(a))
}

func TestCIDRsClaimAndClientAddress(t *testing.T) {
	t.Parallel()
	here := token(`{"username":"alice","cidrs":["127.0.0.0/8","::1/128"]}`)
	elsewhere := token(`{"username":"alice","cidrs":["10.0.0.0/8"]}`)

	direct := newStack(t, stackOptions{}) // no trusted proxy: X-Forwarded-For is never believed
	assert.Equal(t, http.StatusCreated, direct.upsertAs(here, "A", "example.com", "home", "203.0.113.7").status)
	a := direct.upsertAs(elsewhere, "A", "example.com", "home", "203.0.113.8")
	assert.Equal(t, http.StatusForbidden, a.status, a.raw)
	assert.Contains(t, a.title(), "127.0.0.1")
	spoofed := direct.do(request{method: http.MethodPost, path: "/records/A/example.com/home/203.0.113.8", token: elsewhere,
		headers: map[string]string{"X-Forwarded-For": "10.1.2.3", "X-Real-Ip": "10.1.2.3"}})
	assert.Equal(t, http.StatusForbidden, spoofed.status, "a header cannot move the client into a network")

	proxied := newStack(t, stackOptions{trustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	viaProxy := func(xff string) int {
		return proxied.do(request{method: http.MethodPost, path: "/records/A/example.com/home/203.0.113.9", token: elsewhere,
			headers: map[string]string{"X-Forwarded-For": xff}}).status
	}
	assert.Equal(t, http.StatusCreated, viaProxy("10.1.2.3"), "behind a trusted proxy, its X-Forwarded-For is the client")
	assert.Equal(t, http.StatusForbidden, viaProxy("10.1.2.3, 203.0.113.5"), "the nearest untrusted hop is the client")
	assert.Equal(t, http.StatusForbidden, viaProxy("not-an-ip"), "garbage falls back to the connection")
	a = proxied.do(request{method: http.MethodGet, path: "/whoami", token: here, headers: map[string]string{"X-Forwarded-For": "10.9.9.9"}})
	assert.Equal(t, http.StatusForbidden, a.status, "the token may not be used from 10.9.9.9, even for /whoami")
}

func TestExpiryAndRevocation(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{revoked: []string{"leaked-1"}})
	past, future := time.Now().Add(-time.Minute).Unix(), time.Now().Add(time.Hour).Unix()
	cases := map[string]int{
		`{"username":"alice","exp":` + strconv.FormatInt(future, 10) + `}`: http.StatusOK,
		`{"username":"alice","exp":` + strconv.FormatInt(past, 10) + `}`:   http.StatusUnauthorized,
		`{"username":"alice","jti":"fine-1"}`:                              http.StatusOK,
		`{"username":"alice","jti":"leaked-1"}`:                            http.StatusUnauthorized,
		`{"username":"carol","jti":"fine-2"}`:                              http.StatusUnauthorized,
	}
	for payload, status := range cases {
		a := s.do(request{method: http.MethodGet, path: "/whoami", token: token(payload)})
		assert.Equal(t, status, a.status, "%s: %s", payload, a.raw)
	}
}

func TestUnauthenticatedVersusForbidden(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{blacklist: []string{"www"}})
	forged := token(`{"username":"alice"}`)
	forged = forged[:len(forged)-2] + "xx"
	a := s.upsertAs(forged, "A", "example.com", "www", "203.0.113.7")
	assert.Equal(t, http.StatusUnauthorized, a.status, "a bad token is a 401 whatever it asks for")
	assert.NotEmpty(t, a.header.Get("WWW-Authenticate"))
	a = s.upsertAs(token(`{"username":"alice","scope":"dns:read"}`), "A", "example.com", "api", "203.0.113.7")
	assert.Equal(t, http.StatusForbidden, a.status, "a good token without the permission is a 403")
	assert.Empty(t, a.header.Get("WWW-Authenticate"))
}

// TestEveryProtectedRouteChecksPermissions walks the router's own table,
// so a route added later without the permission check fails here: a token
// that may not be used from this client must be refused by every route
// but the health check, each in its protocol's words.
func TestEveryProtectedRouteChecksPermissions(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	rec := s.seed("example.com", emulator.Record{Name: "api", Type: "A", Content: "192.0.2.1"})[0]
	params := map[string]string{
		":id": strconv.FormatInt(rec.ID, 10), ":type": "A", ":domain": "example.com", ":subdomain": "api", ":to": "203.0.113.7",
	}
	challenge := `{"fqdn":"_acme-challenge.api.example.com.","value":"v"}`
	bodies := map[string]string{
		"POST /records":         `{"domain_type":"A","domain":"example.com","subdomain":"walk","to":"203.0.113.7"}`,
		"PATCH /records/:id":    `{"to":"203.0.113.7"}`,
		"POST /acme/present":    challenge,
		"POST /acme/cleanup":    challenge,
		"POST /acme-dns/update": `{"subdomain":"_acme-challenge.api.example.com","txt":"v"}`,
		"GET /nic/update":       "",
		"POST /nic/update":      "",
	}
	queries := map[string]string{"/nic/update": "?hostname=api.example.com&myip=203.0.113.7"}
	// How each protocol carries a token, and answers a refusal.
	type protocol struct {
		carry           func(r *request, tok string)
		forbidden       func(a answer) bool
		unauthenticated func(a answer) bool
	}
	envelope := protocol{
		carry:           func(r *request, tok string) { r.token = tok },
		forbidden:       func(a answer) bool { return a.status == http.StatusForbidden },
		unauthenticated: func(a answer) bool { return a.status == http.StatusUnauthorized },
	}
	protocols := map[string]protocol{
		"/acme-dns/update": {
			carry: func(r *request, tok string) {
				r.headers = map[string]string{"X-Api-User": "anyone", "X-Api-Key": tok, "Content-Type": "application/json"}
			},
			forbidden: func(a answer) bool {
				return a.status == http.StatusForbidden && strings.HasPrefix(a.raw, `{"error":`)
			},
			unauthenticated: func(a answer) bool {
				return a.status == http.StatusUnauthorized && strings.HasPrefix(a.raw, `{"error":`)
			},
		},
		"/nic/update": {
			carry: func(r *request, tok string) {
				r.headers = map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte("router:"+tok))}
			},
			forbidden:       func(a answer) bool { return a.status == http.StatusOK && a.raw == "nohost\n" },
			unauthenticated: func(a answer) bool { return a.status == http.StatusUnauthorized && a.raw == "badauth\n" },
		},
	}
	public := map[string]bool{"GET /": true, "HEAD /": true, "GET /openapi.json": true}
	outside := token(`{"username":"alice","cidrs":["192.0.2.0/24"]}`)
	readOnly := token(`{"username":"alice","scope":"dns:read"}`)
	e, ok := s.app.Handler().(*echo.Echo)
	require.True(t, ok)

	walked := 0
	for _, route := range e.Routes() {
		key := route.Method + " " + route.Path
		if public[key] || strings.HasPrefix(route.Path, "/*") || route.Method == echo.RouteNotFound {
			continue
		}
		path := route.Path
		for name, value := range params {
			path = strings.ReplaceAll(path, name, value)
		}
		require.NotContains(t, path, ":", "TestEveryProtectedRouteChecksPermissions needs a value for a parameter of %s", key)
		p, ok := protocols[route.Path]
		if !ok {
			p = envelope
		}
		walked++
		ask := func(tok string) answer {
			r := request{method: route.Method, path: path + queries[route.Path], body: bodies[key]}
			if tok != "" {
				p.carry(&r, tok)
			}
			if r.body != "" && r.headers == nil {
				r.headers = map[string]string{"Content-Type": "application/json"}
			}
			return s.send(r)
		}
		a := ask(outside)
		assert.True(t, p.forbidden(a), "%s must go through the permission check: %d %s", key, a.status, a.raw)
		a = ask("")
		assert.True(t, p.unauthenticated(a), "%s must need a token: %d %s", key, a.status, a.raw)
		if route.Method != http.MethodGet || route.Path == "/nic/update" {
			a = ask(readOnly)
			assert.True(t, p.forbidden(a), "%s changes records: it must need dns:write: %d %s", key, a.status, a.raw)
		}
	}
	assert.GreaterOrEqual(t, walked, 14)
	assert.Zero(t, s.writes(), "no refused request wrote anything")
}

func TestLegacyTokensEndToEnd(t *testing.T) {
	t.Parallel()
	// python-dns-api's tokens, as itsdangerous built them: header
	// {"alg": ...} only, payload {"username": ...} only, HMAC with the raw
	// secret. Before itsdangerous 1.0 they were HS256: ordinary tokens.
	early := handSigned(`{"alg":"HS256"}`, `{"username":"alice"}`)
	late := signWithHash(`{"alg":"HS512"}`, `{"username":"alice"}`, testSecret, sha512.New)

	off := newStack(t, stackOptions{})
	a := off.do(request{method: http.MethodGet, path: "/whoami", token: early})
	require.Equal(t, http.StatusOK, a.status, "the minimal HS256 token is an ordinary token: %s", a.raw)
	assert.Equal(t, false, a.data()["token"].(map[string]any)["legacy"])
	a = off.do(request{method: http.MethodGet, path: "/whoami", token: late})
	assert.Equal(t, http.StatusUnauthorized, a.status, "HS512 is off by default: %s", a.raw)
	assert.Contains(t, a.title(), "ACCEPT_LEGACY_TOKENS")

	on := newStack(t, stackOptions{acceptLegacy: true, blacklist: []string{"www"}})
	a = on.do(request{method: http.MethodGet, path: "/whoami", token: late})
	require.Equal(t, http.StatusOK, a.status, a.raw)
	assert.Equal(t, true, a.data()["token"].(map[string]any)["legacy"])
	assert.Equal(t, http.StatusCreated, on.upsertAs(late, "A", "example.com", "old", "203.0.113.7").status)
	assert.Equal(t, http.StatusForbidden, on.upsertAs(late, "A", "example.com", "www", "203.0.113.7").status, "the blacklist still applies")
	assert.Equal(t, http.StatusUnauthorized, on.do(request{method: http.MethodGet, path: "/whoami",
		token: signWithHash(`{"alg":"HS512"}`, `{"username":"carol"}`, testSecret, sha512.New)}).status, "VALID_USERS still applies")
	assert.Equal(t, http.StatusUnauthorized, on.do(request{method: http.MethodGet, path: "/whoami",
		token: signWithHash(`{"alg":"HS512","typ":"JWT"}`, `{"username":"alice"}`, testSecret, sha512.New)}).status,
		"only python-dns-api's exact shape may be HS512")
}

func TestWhoamiShowsEffectivePermissions(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{blacklist: []string{"www"}})
	tok := token(`{"username":"alice","jti":"ci-7","name":"preview deploys","scope":"dns:write dns:read","domains":["example.org"],"subdomains":["*.preview"],"types":["A","CNAME"],"cidrs":["127.0.0.0/8"]}`)
	a := s.do(request{method: http.MethodGet, path: "/whoami", token: tok})
	require.Equal(t, http.StatusOK, a.status, a.raw)
	assert.NotContains(t, a.raw, tok)
	var got struct {
		Data struct {
			Username    string
			Client      string
			Token       map[string]any
			Permissions map[string][]string
		}
	}
	require.NoError(t, json.Unmarshal([]byte(a.raw), &got))
	assert.Equal(t, "alice", got.Data.Username)
	assert.Equal(t, "127.0.0.1", got.Data.Client)
	assert.Equal(t, "ci-7", got.Data.Token["id"])
	assert.Equal(t, "preview deploys", got.Data.Token["name"])
	assert.Equal(t, map[string][]string{
		"scope":                  {"dns:read", "dns:write"},
		"domains":                {"example.org"},
		"subdomains":             {"*.preview"},
		"types":                  {"A", "CNAME"},
		"cidrs":                  {"127.0.0.0/8"},
		"blacklisted_subdomains": {"www"},
	}, got.Data.Permissions)
}

func TestAuditLog(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{blacklist: []string{"www"}})
	tok := token(`{"username":"alice","jti":"audit-1"}`)
	s.upsertAs(tok, "A", "example.com", "api", "203.0.113.7")
	s.upsertAs(tok, "A", "example.com", "api", "203.0.113.7")
	s.upsertAs(tok, "A", "example.com", "www", "203.0.113.7")
	s.upsertAs(token(`{"username":"alice","scope":"dns:read"}`), "A", "example.com", "api", "203.0.113.8")
	s.do(request{method: http.MethodDelete, path: "/records/A/example.com/api", token: tok})
	s.do(request{method: http.MethodGet, path: "/records", token: "forged"})

	var audits []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(s.logs.String()), "\n") {
		var entry map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &entry), line)
		if entry["msg"] == "audit" {
			audits = append(audits, entry)
		}
	}
	outcome := func(e map[string]any) string { return fmt.Sprint(e["action"], " ", e["record"], " ", e["outcome"]) }
	var got []string
	for _, e := range audits {
		got = append(got, outcome(e))
	}
	assert.Equal(t, []string{
		"upsert A api.example.com created",
		"upsert A api.example.com unchanged",
		"upsert A www.example.com refused",
		"upsert A api.example.com refused",
		"delete-set A api.example.com deleted",
		"authenticate GET /records refused",
	}, got)
	assert.Equal(t, "alice", audits[0]["user"])
	assert.Equal(t, "none (no valid token)", audits[5]["user"], "a forged token's claims are not repeated")
	assert.NotContains(t, audits[5], "token_id", "no empty fields for a request without a token")
	assert.Equal(t, "audit-1", audits[0]["token_id"])
	assert.Equal(t, "127.0.0.1", audits[0]["client"])
	assert.Contains(t, audits[2]["reason"], "blacklisted")
	assert.Equal(t, "127.0.0.1", audits[5]["client"])
	assert.NotContains(t, s.logs.String(), tok)
}

// handSigned signs a header and payload with the test secret, by hand.
func handSigned(header, payload string) string {
	return signWith(header, payload, testSecret)
}

func TestAuditLogRefusalsBehindNotFound(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{revoked: []string{"gone-1"}})
	www := s.seed("example.com", emulator.Record{Name: "www", Type: "A", Content: "192.0.2.1"})[0]
	tok := token(`{"username":"alice","jti":"scoped-1","subdomains":["api"]}`)
	path := fmt.Sprintf("/records/%d", www.ID)
	// A record the token does not reach is a 404 to the caller, and a
	// refusal, with its reason, in the audit log.
	assert.Equal(t, http.StatusNotFound, s.do(request{method: http.MethodGet, path: path, token: tok}).status)
	assert.Equal(t, http.StatusNotFound, s.do(request{method: http.MethodPatch, path: path, body: `{"to":"203.0.113.7"}`, token: tok}).status)
	assert.Equal(t, http.StatusNotFound, s.do(request{method: http.MethodDelete, path: path, token: tok}).status)
	assert.Equal(t, http.StatusUnauthorized, s.do(request{method: http.MethodGet, path: "/whoami",
		token: token(`{"username":"bob","jti":"gone-1"}`)}).status)

	var got []string
	for _, line := range strings.Split(strings.TrimSpace(s.logs.String()), "\n") {
		var e map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &e))
		if e["msg"] == "audit" {
			got = append(got, fmt.Sprint(e["user"], " ", e["token_id"], " ", e["action"], " ", e["outcome"], " ", e["reason"]))
		}
	}
	assert.Equal(t, []string{
		"alice scoped-1 get refused this token may not read www.example.com",
		"alice scoped-1 update refused this token may not change www.example.com",
		"alice scoped-1 delete refused this token may not change www.example.com",
		"bob gone-1 authenticate refused the token has been revoked",
	}, got)
	assert.Len(t, s.set("example.com", "www", "A"), 1)
}
