package handlers_test

// Tests for what an outside attacker tried: where a request comes from,
// claims the contract does not know, certificate challenge names,
// DNSimple's own words, and the edges of HTTP itself.

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dns-api/dns-api/upstream/emulator"
)

// whoamiClient is the client address /whoami reports for a request with
// these headers.
func (s *stack) whoamiClient(headers map[string]string) string {
	s.t.Helper()
	a := s.do(request{method: http.MethodGet, path: "/whoami", token: aliceToken, headers: headers})
	require.Equal(s.t, http.StatusOK, a.status, a.raw)
	return a.data()["client"].(string)
}

func TestClientAddress(t *testing.T) {
	t.Parallel()
	xff := func(v string) map[string]string { return map[string]string{"X-Forwarded-For": v} }

	t.Run("no proxy trusted by default", func(t *testing.T) {
		t.Parallel()
		s := newStack(t, stackOptions{})
		for _, h := range []map[string]string{nil, xff("10.1.2.3"), xff("203.0.113.9, 10.1.2.3"),
			{"X-Real-Ip": "10.1.2.3"}, {"Forwarded": "for=10.1.2.3"}} {
			assert.Equal(t, "127.0.0.1", s.whoamiClient(h), "headers %v from loopback change nothing", h)
		}
		a := s.do(request{method: http.MethodPost, path: "/records/A/example.com/x/203.0.113.7",
			token: token(`{"username":"alice","cidrs":["10.0.0.0/8"]}`), headers: xff("10.1.2.3")})
		assert.Equal(t, http.StatusForbidden, a.status, "a header cannot move a client into a network: %s", a.raw)
		assert.Contains(t, s.logs.String(), `"client":"127.0.0.1"`)
		assert.NotContains(t, s.logs.String(), `"client":"10.1.2.3"`)
	})

	t.Run("TRUSTED_PROXIES", func(t *testing.T) {
		t.Parallel()
		s := newStack(t, stackOptions{trustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("10.0.0.0/8")}})
		assert.Equal(t, "127.0.0.1", s.whoamiClient(nil))
		assert.Equal(t, "203.0.113.9", s.whoamiClient(xff("203.0.113.9")))
		assert.Equal(t, "198.51.100.1", s.whoamiClient(xff("192.0.2.66, 198.51.100.1, 10.0.0.5")),
			"read from the right, skipping trusted proxies; what the client wrote further left is not believed")
		assert.Equal(t, "unknown", s.whoamiClient(xff("garbage")), "an entry that is not an address makes the client unknown, never the proxy")
		assert.Equal(t, "unknown", s.whoamiClient(xff("203.0.113.9, garbage")))
		assert.Equal(t, "203.0.113.9", s.whoamiClient(xff("203.0.113.9:4711")), "a port some balancers add is dropped")
		assert.Equal(t, "2001:db8::9", s.whoamiClient(xff("[2001:db8::9]:4711")))
		assert.Equal(t, "10.0.0.7", s.whoamiClient(xff("10.0.0.7, 10.0.0.5")), "every entry trusted: the furthest")
		a := s.do(request{method: http.MethodGet, path: "/domains", token: token(`{"username":"alice","cidrs":["127.0.0.0/8"]}`), headers: xff("junk")})
		assert.Equal(t, http.StatusForbidden, a.status, "garbage from a proxy never lends the client the proxy's own network: %s", a.raw)
	})

	t.Run("Heroku", func(t *testing.T) {
		t.Parallel()
		s := newStack(t, stackOptions{onHeroku: true})
		assert.Equal(t, "203.0.113.9", s.whoamiClient(xff("203.0.113.9")))
		assert.Equal(t, "198.51.100.1", s.whoamiClient(xff("10.1.2.3, 198.51.100.1")),
			"the router appends the address it saw: the last entry, whatever the client sent before it")
		assert.Equal(t, "198.51.100.1", s.whoamiClient(map[string]string{"X-Forwarded-For": "198.51.100.1", "X-Real-Ip": "10.1.2.3"}),
			"X-Real-Ip is never read")
		assert.Equal(t, "unknown", s.whoamiClient(nil), "without the router's entry the address is unknown")
	})
}

func TestHerokuLastEntryOnly(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{onHeroku: true})
	inside := token(`{"username":"alice","cidrs":["10.0.0.0/8"]}`)
	try := func(headers map[string]string) int {
		return s.do(request{method: http.MethodGet, path: "/domains", token: inside, headers: headers}).status
	}
	assert.Equal(t, http.StatusOK, try(map[string]string{"X-Forwarded-For": "10.1.2.3"}))
	assert.Equal(t, http.StatusForbidden, try(map[string]string{"X-Forwarded-For": "10.1.2.3, 203.0.113.9"}),
		"a client cannot put itself in front of what the router appended")
	assert.Equal(t, http.StatusForbidden, try(map[string]string{"X-Forwarded-For": "10.1.2.3, junk"}))
	assert.Equal(t, http.StatusForbidden, try(nil), "no header: no known address, in no network")
}

func TestMisspeltAndUnknownClaimsAreRefused(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	for payload, claim := range map[string]string{
		`{"username":"alice","subdomain":["api"]}`:           "subdomain",
		`{"username":"alice","scopes":"dns:read"}`:           "scopes",
		`{"username":"alice","cidr":["10.0.0.0/8"]}`:         "cidr",
		`{"username":"alice","domain":["example.com"]}`:      "domain",
		`{"username":"alice","type":["TXT"]}`:                "type",
		`{"username":"alice","permissions":{"write":false}}`: "permissions",
		`{"username":"alice","Subdomains":["api"]}`:          "Subdomains",
	} {
		a := s.do(request{method: http.MethodPost, path: "/records/A/example.com/x/203.0.113.7", token: token(payload)})
		assert.Equal(t, http.StatusUnauthorized, a.status, "%s: %s", payload, a.raw)
		assert.Contains(t, a.title(), `"`+claim+`"`, "the refusal names the claim")
	}
	a := s.do(request{method: http.MethodGet, path: "/whoami", token: token(`{"username":"alice","iss":"ci","sub":"job","aud":"dns-api"}`)})
	assert.Equal(t, http.StatusOK, a.status, "iss, sub and aud are allowed and ignored: %s", a.raw)
	a = s.do(request{method: http.MethodGet, path: "/whoami", token: signWith(`{"alg":"HS256","typ":"JWT","crit":["exp"]}`, `{"username":"alice","exp":4102444800}`, testSecret)})
	assert.Equal(t, http.StatusUnauthorized, a.status, a.raw)
	assert.Contains(t, a.title(), "crit")
	assert.Zero(t, s.writes())
}

func TestChallengeNames(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{blacklist: []string{"www", "*.internal"}})
	apiOnly := token(`{"username":"alice","subdomains":["api"]}`)
	cases := []struct {
		tok, typ, name string
		status         int
	}{
		{aliceToken, "TXT", "_acme-challenge", http.StatusForbidden},                                               // *.example.com covers www
		{aliceToken, "CNAME", "_acme-challenge", http.StatusForbidden},                                             // a delegation is as good
		{aliceToken, "TXT", "_x._acme-challenge", http.StatusForbidden},                                            // dns-account-01
		{aliceToken, "TXT", "_validation-persist", http.StatusForbidden},                                           // dns-persist-01
		{aliceToken, "TXT", "_acme-challenge.internal", http.StatusForbidden},                                      // *.internal covers db.internal
		{aliceToken, "TXT", "_acme-challenge.db.internal", http.StatusForbidden},                                   // owner blacklisted
		{aliceToken, "TXT", "_acme-challenge.www", http.StatusForbidden},                                           // owner blacklisted
		{aliceToken, "TXT", "_acme-challenge.api", http.StatusCreated},                                             // *.api covers nothing blacklisted
		{aliceToken, "TXT", "_dmarc", http.StatusCreated},                                                          // not a challenge name
		{apiOnly, "TXT", "_acme-challenge.api", http.StatusOK},                                                     // its own name (unchanged)
		{apiOnly, "CNAME", "_acme-challenge.api", http.StatusConflict},                                             // (a TXT is already there)
		{apiOnly, "TXT", "_acme-challenge.x.api", http.StatusForbidden},                                            // below it: not its name
		{apiOnly, "TXT", "_acme-challenge.other", http.StatusForbidden},                                            // another name
		{token(`{"username":"alice","subdomains":["*.api"]}`), "TXT", "_acme-challenge.api", http.StatusForbidden}, // above its names
	}
	for _, c := range cases {
		target := "token-value"
		if c.typ == "CNAME" {
			target = "challenges.example.net"
		}
		a := s.do(request{method: http.MethodPost, path: "/records/" + c.typ + "/example.com/" + c.name + "/" + target, token: c.tok})
		assert.Equal(t, c.status, a.status, "%s %s: %s", c.typ, c.name, a.raw)
	}
	// The same rule guards every endpoint: the JSON create and deletion.
	a := s.do(request{method: http.MethodPost, path: "/records", token: aliceToken,
		body: `{"domain_type":"TXT","domain":"example.org","subdomain":"_acme-challenge","to":"v"}`})
	assert.Equal(t, http.StatusForbidden, a.status, a.raw)
	assert.Contains(t, a.title(), "*.example.org")
	// Reading a challenge record is harmless; changing one by id is the
	// same refusal, a 403, since the caller can see it.
	rec := s.seed("example.com", emulator.Record{Name: "_acme-challenge", Type: "TXT", Content: "old"})[0]
	id := strconv.FormatInt(rec.ID, 10)
	a = s.do(request{method: http.MethodGet, path: "/records/" + id, token: aliceToken})
	assert.Equal(t, http.StatusOK, a.status, a.raw)
	a = s.do(request{method: http.MethodPatch, path: "/records/" + id, token: aliceToken, body: `{"to":"new"}`})
	assert.Equal(t, http.StatusForbidden, a.status, a.raw)
	a = s.do(request{method: http.MethodDelete, path: "/records/" + id, token: aliceToken})
	assert.Equal(t, http.StatusForbidden, a.status, a.raw)
	assert.Len(t, s.set("example.com", "_acme-challenge", "TXT"), 1)
}

func TestUpstreamWordsStayUpstream(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	s.setFault(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodGet {
			return false
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"message":"Validation failed for https://internal.dnsimple.test/hook?token=%s","errors":{"content":["is https://evil.example/x %s"],"<script>":["x"]}}`,
			testAccountToken, testAccountToken)
		return true
	})
	a := s.do(request{method: http.MethodPost, path: "/records/A/example.com/api/203.0.113.7", token: aliceToken})
	assert.Equal(t, http.StatusConflict, a.status, a.raw)
	assert.Contains(t, a.title(), "DNSimple refused the change")
	assert.Contains(t, a.title(), "content", "field names may be repeated")
	for _, leak := range []string{"https://", "internal.dnsimple.test", "evil.example", "<script>", "Validation failed"} {
		assert.NotContains(t, a.raw, leak)
	}
	assert.NotContains(t, s.logs.String(), testAccountToken, "nor does the account token reach the log")

	// Field names are repeated only when they are fields of a record.
	s.setFault(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodGet {
			return false
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"message":"x","errors":{"sekrit_value":["bad"],"name":["bad"]}}`)
		return true
	})
	a = s.do(request{method: http.MethodPost, path: "/records/A/example.com/api2/203.0.113.7", token: aliceToken})
	assert.Equal(t, http.StatusConflict, a.status, a.raw)
	assert.Contains(t, a.title(), "(it objected to: name)")
	assert.NotContains(t, a.raw, "sekrit")

	// A huge message from DNSimple does not make huge log lines.
	s.setFault(func(w http.ResponseWriter, r *http.Request) bool {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprintf(w, `{"message":"%s"}`, strings.Repeat("x", 200000))
		return true
	})
	s.do(request{method: http.MethodPost, path: "/records/A/example.com/api3/203.0.113.7", token: aliceToken})
	for _, line := range strings.Split(s.logs.String(), "\n") {
		assert.Less(t, len(line), 4000)
	}
}

func TestNonsenseFromUpstreamIsA502(t *testing.T) {
	t.Parallel()
	t.Run("a created record named *", func(t *testing.T) {
		t.Parallel()
		s := newStack(t, stackOptions{})
		s.setFault(func(w http.ResponseWriter, r *http.Request) bool {
			if r.Method != http.MethodPost {
				return false
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusCreated)
			fmt.Fprint(w, `{"data":{"id":4294967999,"zone_id":"example.com","parent_id":null,"name":"*","content":"203.0.113.7","ttl":60,"priority":null,"type":"A","regions":["global"],"system_record":false,"created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z"}}`)
			return true
		})
		a := s.do(request{method: http.MethodPost, path: "/records/A/example.com/api/203.0.113.7", token: aliceToken})
		assert.Equal(t, http.StatusBadGateway, a.status, a.raw)
		a = s.do(request{method: http.MethodPost, path: "/records", token: aliceToken,
			body: `{"domain_type":"A","domain":"example.com","subdomain":"json","to":"203.0.113.7"}`})
		assert.Equal(t, http.StatusBadGateway, a.status, a.raw)
	})
	t.Run("a lookup that answers another name", func(t *testing.T) {
		t.Parallel()
		s := newStack(t, stackOptions{})
		s.seed("example.com", emulator.Record{Name: "other", Type: "A", Content: "192.0.2.1"})
		s.setFault(func(w http.ResponseWriter, r *http.Request) bool {
			if r.Method == http.MethodGet && r.URL.Query().Get("name") == "api" {
				// The filter is ignored: the whole zone comes back.
				r.URL.RawQuery = "page=1&per_page=100&sort=id:asc"
			}
			return false
		})
		a := s.do(request{method: http.MethodPost, path: "/records/A/example.com/api/203.0.113.7", token: aliceToken})
		assert.Equal(t, http.StatusBadGateway, a.status, a.raw)
		assert.Equal(t, 0, s.writes(), "an answer that cannot be trusted is never acted on")
	})
	t.Run("a listing that never ends", func(t *testing.T) {
		t.Parallel()
		s := newStack(t, stackOptions{})
		var calls atomic.Int32
		s.setFault(func(w http.ResponseWriter, r *http.Request) bool {
			calls.Add(1)
			page, _ := strconv.Atoi(r.URL.Query().Get("page"))
			w.Header().Set("Content-Type", "application/json")
			var recs []string
			for i := range 100 {
				recs = append(recs, fmt.Sprintf(`{"id":%d,"zone_id":"example.com","name":"h","content":"v","ttl":60,"type":"TXT","system_record":false}`, page*1000+i))
			}
			fmt.Fprintf(w, `{"data":[%s],"pagination":{"current_page":%d,"per_page":100,"total_entries":%d,"total_pages":%d}}`,
				strings.Join(recs, ","), page, (page+1)*100, page+1)
			return true
		})
		a := s.do(request{method: http.MethodGet, path: "/records", token: aliceToken})
		assert.Equal(t, http.StatusBadGateway, a.status, a.raw)
		assert.LessOrEqual(t, calls.Load(), int32(6), "a few pages of each of the two zones")
	})
}

func TestRecordIDsAreDigitsOnly(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	rec := s.seed("example.com", emulator.Record{Name: "api", Type: "A", Content: "192.0.2.1"})[0]
	id := strconv.FormatInt(rec.ID, 10)
	assert.Equal(t, http.StatusOK, s.do(request{method: http.MethodGet, path: "/records/" + id, token: aliceToken}).status)
	s.emu.ResetRequests()
	for _, bad := range []string{"+" + id, "0" + id, "%2B" + id, "00", "0", "-" + id, id + ".0", "0x10", "1e9", "%20" + id, "١٢"} {
		for _, method := range []string{http.MethodGet, http.MethodDelete} {
			a := s.do(request{method: method, path: "/records/" + bad, token: aliceToken})
			assert.Contains(t, []int{http.StatusBadRequest, http.StatusNotFound}, a.status, "%s %s: %s", method, bad, a.raw)
		}
	}
	assert.Empty(t, s.emu.Requests(), "no id of another spelling reaches DNSimple")
}

// rawExchange writes a raw request on a new connection and returns the
// status line and whether the server then closed the connection.
func rawExchange(t *testing.T, url, raw string) (status string, closed bool) {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	require.NoError(t, err)
	defer c.Close()
	_, err = io.WriteString(c, raw)
	require.NoError(t, err)
	require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
	r := bufio.NewReader(c)
	resp, err := http.ReadResponse(r, nil)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	_, err = r.ReadByte()
	return resp.Status, err == io.EOF
}

func TestContentLengthWithTransferEncodingIsRefused(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	body := `{"domain_type":"A","domain":"example.com","subdomain":"smuggled","to":"203.0.113.7"}`
	chunked := fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(body), body)
	for name, headers := range map[string]string{
		"both":                    "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n",
		"both, other order":       "transfer-encoding: chunked\r\ncontent-length: 4\r\n",
		"both, bare line feeds":   "Content-Length: 4\nTransfer-Encoding: chunked\n",
		"both, odd case and more": "X-A: 1\r\nCONTENT-LENGTH: 4\r\nx-b: 2\r\nTransfer-ENCODING: chunked\r\n",
	} {
		raw := "POST /records HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + aliceToken +
			"\r\nContent-Type: application/json\r\n" + headers + "\r\n" + chunked
		status, closed := rawExchange(t, s.url, raw)
		assert.True(t, strings.HasPrefix(status, "400"), "%s: %s", name, status)
		assert.True(t, closed, "%s: the connection is closed after the answer", name)
	}
	assert.Empty(t, s.set("example.com", "smuggled", "A"), "nothing was created")

	// A chunked body alone, and a length alone, are fine.
	status, _ := rawExchange(t, s.url, "POST /records HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "+aliceToken+
		"\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"+chunked)
	assert.True(t, strings.HasPrefix(status, "201"), status)
	status, _ = rawExchange(t, s.url, "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
	assert.True(t, strings.HasPrefix(status, "200"), status)
}

func TestUnreadBodiesDoNotHoldConnections(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	// A client that announces a body and sends it slowly: without a token,
	// on an unknown route, or to the health check, it is answered at once
	// and its connection closed, rather than held while the body trickles.
	for _, target := range []string{"POST /records", "POST /nope", "GET /", "POST /records/A/example.com/x/203.0.113.7"} {
		c, err := net.Dial("tcp", strings.TrimPrefix(s.url, "http://"))
		require.NoError(t, err)
		_, err = io.WriteString(c, target+" HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n\r\n{\"a\":")
		require.NoError(t, err)
		require.NoError(t, c.SetReadDeadline(time.Now().Add(10*time.Second)))
		r := bufio.NewReader(c)
		resp, err := http.ReadResponse(r, nil)
		require.NoError(t, err, target)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		assert.True(t, resp.Close, "%s: Connection: close", target)
		_, err = r.ReadByte()
		assert.ErrorIs(t, err, io.EOF, target)
		c.Close()
	}
}

func TestMalformedEscapesGetTheEnvelope(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	for path, status := range map[string]string{
		"/records/A/example.com/a%zzb/203.0.113.7": "400",
		"/records/a%zz":                         "400",
		"/whoami%zz":                            "404",
		"/records/A/example.com/a%/203.0.113.7": "400",
	} {
		c, err := net.Dial("tcp", strings.TrimPrefix(s.url, "http://"))
		require.NoError(t, err)
		method := "POST"
		if strings.HasPrefix(path, "/whoami") || path == "/records/a%zz" {
			method = "GET"
		}
		fmt.Fprintf(c, "%s %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nConnection: close\r\n\r\n", method, path, aliceToken)
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		require.NoError(t, err, path)
		body, _ := io.ReadAll(resp.Body)
		c.Close()
		assert.True(t, strings.HasPrefix(resp.Status, status), "%s: %s", path, resp.Status)
		assert.Contains(t, string(body), `"meta":{"status":`+status, "%s: the JSON envelope: %s", path, body)
	}
	assert.Empty(t, s.emu.Requests())
}

// /whoami keeps its answers per token and client address: a repeat is
// served from the first, and never another token's or another client's.
func TestWhoamiAnswersAreTheirOwn(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{trustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	whoami := func(tok, client string) answer {
		return s.send(request{method: http.MethodGet, path: "/whoami", token: tok, headers: map[string]string{"X-Forwarded-For": client}})
	}
	wide := token(`{"username":"alice","jti":"same-id"}`)
	narrow := token(`{"username":"alice","jti":"same-id","scope":"dns:read","types":["TXT"]}`)
	for range 2 { // the second round comes from the cache
		a := whoami(wide, "198.51.100.1")
		require.Equal(t, http.StatusOK, a.status, a.raw)
		assert.Contains(t, a.raw, `"scope":["dns:read","dns:write"]`)
		assert.Contains(t, a.raw, `"client":"198.51.100.1"`)
		a = whoami(narrow, "198.51.100.1")
		assert.Contains(t, a.raw, `"scope":["dns:read"]`, "another token with the same id has its own answer")
		assert.Contains(t, a.raw, `"types":["TXT"]`)
		a = whoami(wide, "198.51.100.2")
		assert.Contains(t, a.raw, `"client":"198.51.100.2"`, "another client has its own")
		assert.Equal(t, "application/json", a.header.Get("Content-Type"))
	}
}
