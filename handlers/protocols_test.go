package handlers_test

// End-to-end tests of the client protocols: ACME httpreq (lego,
// acme.sh's acmeproxy), acme-dns and dyndns2, every answer code, and the
// same rules as everywhere else.

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// txtValues are the TXT values at a name in the emulator, sorted.
func (s *stack) txtValues(zone, name string) []string {
	var out []string
	for _, r := range s.set(zone, name, "TXT") {
		v, err := strconv.Unquote(r.Content) // stored quoted, as DNSimple does
		require.NoError(s.t, err, r.Content)
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}

func basic(user, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
}

// acme sends a present or cleanup as lego's httpreq provider does.
func (s *stack) acme(action, body, authorization string) answer {
	s.t.Helper()
	return s.do(request{method: http.MethodPost, path: "/acme/" + action, body: body,
		headers: map[string]string{"Authorization": authorization, "Accept": "application/json"}})
}

func TestACMEPresentAndCleanup(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{blacklist: []string{"www"}})
	name := "_acme-challenge.api"
	one := `{"fqdn":"_acme-challenge.api.example.com.","value":"value-one"}` + "\n"
	two := `{"fqdn":"_acme-challenge.api.example.com.","value":"value-two"}` + "\n"

	a := s.acme("present", one, "Bearer "+aliceToken)
	require.Equal(t, http.StatusOK, a.status, a.raw)
	assert.Contains(t, a.raw, `"value-one"`, "acme.sh looks for the value, quoted, in the answer")
	assert.Equal(t, "_acme-challenge.api.example.com.", a.data()["fqdn"])
	assert.Equal(t, "created", a.action())

	// A certificate for api and *.api: two values at one name at once,
	// and Basic with the token as the password, as lego sends it.
	a = s.acme("present", two, basic("lego", aliceToken))
	require.Equal(t, http.StatusOK, a.status, a.raw)
	assert.Equal(t, []string{"value-one", "value-two"}, s.txtValues("example.com", name))

	a = s.acme("present", two, basic("lego", aliceToken))
	assert.Equal(t, http.StatusOK, a.status, "a repeated present is idempotent: %s", a.raw)
	assert.Equal(t, "unchanged", a.action())
	assert.Len(t, s.set("example.com", name, "TXT"), 2)

	a = s.acme("cleanup", one, basic("", aliceToken))
	require.Equal(t, http.StatusOK, a.status, a.raw)
	assert.Contains(t, a.raw, `"value-one"`, "acme.sh checks the cleanup answer the same way")
	assert.Equal(t, []string{"value-two"}, s.txtValues("example.com", name), "cleanup removes only its own value")
	a = s.acme("cleanup", one, basic("lego", aliceToken))
	assert.Equal(t, http.StatusOK, a.status, "an unknown value is a no-op: %s", a.raw)
	assert.Equal(t, "unchanged", a.action())
	assert.Equal(t, []string{"value-two"}, s.txtValues("example.com", name))

	// acme.sh's spelling: spaces after the colons.
	a = s.acme("present", `{"fqdn": "_acme-challenge.api.example.com.", "value": "value-three"}`, basic("acme.sh", aliceToken))
	require.Equal(t, http.StatusOK, a.status, a.raw)
	assert.Equal(t, []string{"value-three", "value-two"}, s.txtValues("example.com", name))
}

func TestACMERawMode(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	keyAuth := "token-abc.thumbprint-xyz"
	digest := sha256.Sum256([]byte(keyAuth))
	want := base64.RawURLEncoding.EncodeToString(digest[:])
	for _, domain := range []string{"api.example.com", "*.api.example.com"} {
		a := s.acme("present", fmt.Sprintf(`{"domain":%q,"token":"token-abc","keyAuth":%q}`, domain, keyAuth), basic("lego", aliceToken))
		require.Equal(t, http.StatusOK, a.status, a.raw)
		assert.Equal(t, want, a.data()["value"])
	}
	assert.Equal(t, []string{want}, s.txtValues("example.com", "_acme-challenge.api"), "a wildcard's challenge is its base name's")
	a := s.acme("cleanup", fmt.Sprintf(`{"domain":"api.example.com","token":"token-abc","keyAuth":%q}`, keyAuth), basic("lego", aliceToken))
	require.Equal(t, http.StatusOK, a.status, a.raw)
	assert.Empty(t, s.txtValues("example.com", "_acme-challenge.api"))
}

func TestACMERefusals(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{blacklist: []string{"www"}})
	apiOnly := token(`{"username":"alice","subdomains":["api"]}`)
	present := func(fqdn, tok string) answer {
		return s.acme("present", fmt.Sprintf(`{"fqdn":%q,"value":"v"}`, fqdn), "Bearer "+tok)
	}
	for _, c := range []struct {
		fqdn, tok string
		status    int
	}{
		{"_acme-challenge.api.example.com.", apiOnly, http.StatusOK},
		{"_acme-challenge.x.api.example.com.", apiOnly, http.StatusForbidden},
		{"_acme-challenge.other.example.com.", apiOnly, http.StatusForbidden},
		{"_acme-challenge.example.com.", apiOnly, http.StatusForbidden},
		{"_acme-challenge.example.com.", aliceToken, http.StatusForbidden}, // *.example.com covers www
		{"_acme-challenge.www.example.com.", aliceToken, http.StatusForbidden},
		{"_acme-challenge.api.example.com.", token(`{"username":"alice","scope":"dns:read"}`), http.StatusForbidden},
		{"_acme-challenge.api.example.com.", token(`{"username":"alice","types":["A"]}`), http.StatusForbidden},
		{"_acme-challenge.api.example.net.", aliceToken, http.StatusBadRequest},
		{"example.com.", aliceToken, http.StatusBadRequest},
		{"_acme-challenge.a b.example.com.", aliceToken, http.StatusBadRequest},
	} {
		a := present(c.fqdn, c.tok)
		assert.Equal(t, c.status, a.status, "%s: %s", c.fqdn, a.raw)
	}
	for name, authorization := range map[string]string{
		"none":           "",
		"empty password": basic("lego", ""),
		"wrong password": basic("lego", "not-a-token"),
		"other scheme":   "Digest x",
	} {
		a := s.acme("present", `{"fqdn":"_acme-challenge.api.example.com.","value":"v2"}`, authorization)
		assert.Equal(t, http.StatusUnauthorized, a.status, "%s: %s", name, a.raw)
		assert.Equal(t, `Bearer realm="dns-api", Basic realm="dns-api"`, a.header.Get("WWW-Authenticate"))
		if name != "wrong password" {
			assert.Contains(t, a.title(), "HTTP Basic", "the refusal says how this endpoint takes a token")
		}
	}
	for _, body := range []string{
		`{"fqdn":"_acme-challenge.api.example.com."}`,
		`{"fqdn":"_acme-challenge.api.example.com.","value":"v","domain":"api.example.com"}`,
		`{"fqdn":"_acme-challenge.api.example.com.","value":"bad\u0001value"}`,
		`{"domain":"api.example.com","token":"t"}`,
		`{"fqdn":"_acme-challenge.api.example.com.","value":"v","extra":1}`,
	} {
		a := s.acme("present", body, "Bearer "+aliceToken)
		assert.Equal(t, http.StatusBadRequest, a.status, "%s: %s", body, a.raw)
	}
	assert.Equal(t, []string{"v"}, s.txtValues("example.com", "_acme-challenge.api"), "only the allowed present wrote")
}

func TestACMEParallelPresentsAreAllKept(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	var wg sync.WaitGroup
	var want []string
	for i := range 12 {
		value := fmt.Sprintf("value-%02d", i)
		want = append(want, value)
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := s.send(request{method: http.MethodPost, path: "/acme/present", token: aliceToken,
				body: fmt.Sprintf(`{"fqdn":"_acme-challenge.race.example.com.","value":%q}`, value)})
			assert.Equal(t, http.StatusOK, a.status, a.raw)
		}()
	}
	wg.Wait()
	assert.Equal(t, want, s.txtValues("example.com", "_acme-challenge.race"))
}

// acmeDNS sends an update as goacmedns does (acme.sh sends the same JSON
// with a form's Content-Type).
func (s *stack) acmeDNS(body, key, contentType string) answer {
	s.t.Helper()
	headers := map[string]string{"X-Api-User": "7f2b2c0e-any-user", "Content-Type": contentType}
	if key != "" {
		headers["X-Api-Key"] = key
	}
	return s.send(request{method: http.MethodPost, path: "/acme-dns/update", body: body, headers: headers})
}

func TestACMEDNSUpdate(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{blacklist: []string{"www"}})
	update := func(value string) string {
		return fmt.Sprintf(`{"subdomain":"_acme-challenge.api.example.com","txt":%q}`, value) + "\n"
	}
	a := s.acmeDNS(update("first"), "", "application/json")
	assert.Equal(t, http.StatusUnauthorized, a.status)
	assert.Contains(t, a.raw, "X-Api-Key")
	assert.NotEmpty(t, a.header.Get("WWW-Authenticate"))
	a = s.acmeDNS(update("first"), aliceToken, "application/json")
	require.Equal(t, http.StatusOK, a.status, a.raw)
	assert.JSONEq(t, `{"txt":"first"}`, a.raw)
	a = s.acmeDNS(update("second"), aliceToken, "application/x-www-form-urlencoded")
	require.Equal(t, http.StatusOK, a.status, "acme.sh's Content-Type: %s", a.raw)
	assert.Contains(t, a.raw, `"second"`)
	a = s.acmeDNS(update("third"), aliceToken, "text/plain")
	require.Equal(t, http.StatusOK, a.status, a.raw)
	assert.Equal(t, []string{"second", "third"}, s.txtValues("example.com", "_acme-challenge.api"), "the two newest are kept, as acme-dns does")

	for name, c := range map[string]struct {
		body, key string
		status    int
	}{
		"no key":          {update("x"), "", http.StatusUnauthorized},
		"bad key":         {update("x"), "nope", http.StatusUnauthorized},
		"blacklisted":     {`{"subdomain":"_acme-challenge.www.example.com","txt":"x"}`, aliceToken, http.StatusForbidden},
		"apex":            {`{"subdomain":"_acme-challenge.example.com","txt":"x"}`, aliceToken, http.StatusForbidden},
		"outside a token": {update("x"), token(`{"username":"alice","subdomains":["other"]}`), http.StatusForbidden},
		"unmanaged":       {`{"subdomain":"_acme-challenge.api.example.net","txt":"x"}`, aliceToken, http.StatusBadRequest},
		"no txt":          {`{"subdomain":"_acme-challenge.api.example.com"}`, aliceToken, http.StatusBadRequest},
		"not JSON":        {`subdomain=x&txt=y`, aliceToken, http.StatusBadRequest},
	} {
		a := s.acmeDNS(c.body, c.key, "application/json")
		assert.Equal(t, c.status, a.status, "%s: %s", name, a.raw)
		assert.True(t, strings.HasPrefix(a.raw, `{"error":"`), "%s: acme-dns's error shape: %s", name, a.raw)
	}
	a = s.send(request{method: http.MethodPost, path: "/acme-dns/update", body: update("x"), token: aliceToken})
	assert.Equal(t, http.StatusUnauthorized, a.status, "acme-dns takes the token in X-Api-Key only: %s", a.raw)
	assert.Equal(t, []string{"second", "third"}, s.txtValues("example.com", "_acme-challenge.api"))
}

// nic sends a dyndns2 update as ddclient does.
func (s *stack) nic(query, authorization string) answer {
	s.t.Helper()
	headers := map[string]string{"User-Agent": "ddclient/3.10.0"}
	if authorization != "" {
		headers["Authorization"] = authorization
	}
	a := s.send(request{method: http.MethodGet, path: "/nic/update?system=dyndns&" + query, headers: headers})
	if a.status == http.StatusOK || a.status == http.StatusUnauthorized {
		assert.Equal(s.t, "text/plain; charset=UTF-8", a.header.Get("Content-Type"))
		assert.NotEmpty(s.t, a.header.Get("Content-Length"), "ddclient 3.10 reads no chunked answers")
	}
	return a
}

func TestDyndns2(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{blacklist: []string{"www"}})
	auth := basic("router", aliceToken)

	a := s.nic("hostname=home.example.com&myip=203.0.113.7", auth)
	assert.Equal(t, http.StatusOK, a.status)
	assert.Equal(t, "good 203.0.113.7\n", a.raw)
	a = s.nic("hostname=home.example.com&myip=203.0.113.7", auth)
	assert.Equal(t, "nochg 203.0.113.7\n", a.raw)
	writes := s.writes()
	a = s.nic("hostname=home.example.com&myip=203.0.113.8", "Bearer "+aliceToken)
	assert.Equal(t, "good 203.0.113.8\n", a.raw, "a Bearer token works too")
	assert.Equal(t, writes+1, s.writes())

	// Several hosts, IPv4 and IPv6 comma-joined as ddclient 3.11 sends them.
	a = s.nic("hostname=home.example.com,nas.example.org&myip=203.0.113.8,2001:db8::8", auth)
	assert.Equal(t, "good 203.0.113.8,2001:db8::8\ngood 203.0.113.8,2001:db8::8\n", a.raw)
	assert.Len(t, s.set("example.org", "nas", "AAAA"), 1)
	a = s.nic("hostname=v6.example.com&myipv6=2001:db8::9", auth)
	assert.Equal(t, "good 2001:db8::9\n", a.raw)
	a = s.nic("hostname=desec.example.com&ip=203.0.113.9&ipv6=2001:db8::9", auth)
	assert.Equal(t, "good 203.0.113.9,2001:db8::9\n", a.raw, "deSEC's parameters")

	// No address: the caller's own.
	a = s.nic("hostname=self.example.com", auth)
	assert.Equal(t, "good 127.0.0.1\n", a.raw)

	// One line per host, in order, whatever each answers.
	a = s.nic("hostname=ok.example.com,www.example.com,x.example.net,not_a_host,example.com&myip=203.0.113.7", auth)
	assert.Equal(t, "good 203.0.113.7\nnohost\nnohost\nnotfqdn\nnohost\n", a.raw)
	a = s.nic("hostname=ok.example.com&myip=300.1.1.1", auth)
	assert.Equal(t, "dnserr\n", a.raw)
	a = s.nic("hostname=ok.example.com&myip=203.0.113.1,203.0.113.2", auth)
	assert.Equal(t, "dnserr\n", a.raw, "two IPv4 addresses for one host")
	a = s.nic("myip=203.0.113.7", auth)
	assert.Equal(t, "numhost\n", a.raw)
	for _, unusable := range []string{"0.0.0.0", "224.0.0.1", "255.255.255.255", "::", "ff02::1", "fe80::1%25eth0", "010.0.0.1"} {
		a = s.nic("hostname=ok.example.com&myip="+unusable, auth)
		assert.Equal(t, "dnserr\n", a.raw, "an address no record can hold: %s", unusable)
	}
	a = s.nic("hostname=ok.example.com&hostname=ok2.example.com&myip=203.0.113.7", auth)
	assert.Equal(t, "nochg 203.0.113.7\ngood 203.0.113.7\n", a.raw, "hostname given twice")

	// A host is not half updated for want of a permission.
	aOnly := basic("router", token(`{"username":"alice","types":["A"]}`))
	a = s.nic("hostname=partial.example.com&myip=203.0.113.7,2001:db8::7", aOnly)
	assert.Equal(t, "nohost\n", a.raw)
	assert.Empty(t, s.set("example.com", "partial", "A"))

	// Tokens limited to names, and bad credentials.
	a = s.nic("hostname=home.example.com,other.example.com&myip=203.0.113.9", basic("router", token(`{"username":"alice","subdomains":["home"]}`)))
	assert.Equal(t, "good 203.0.113.9\nnohost\n", a.raw)
	for _, authorization := range []string{"", basic("router", "bad"), basic("router", "")} {
		a = s.nic("hostname=home.example.com&myip=203.0.113.10", authorization)
		assert.Equal(t, http.StatusUnauthorized, a.status)
		assert.Equal(t, "badauth\n", a.raw)
		assert.Equal(t, `Basic realm="dns-api"`, a.header.Get("WWW-Authenticate"))
	}

	// DNSimple failing.
	s.setFault(func(w http.ResponseWriter, r *http.Request) bool {
		w.WriteHeader(http.StatusInternalServerError)
		return true
	})
	a = s.nic("hostname=home.example.com&myip=203.0.113.11", auth)
	assert.Equal(t, http.StatusServiceUnavailable, a.status, "inadyn retries a 5xx later; a 200 it cannot read stops it")
	assert.NotEmpty(t, a.header.Get("Retry-After"))
	assert.Equal(t, "dnserr\n", a.raw)
	a = s.nic("hostname=home.example.com,www.example.com&myip=203.0.113.11", auth)
	assert.Equal(t, http.StatusOK, a.status, "one host answered for itself")
	assert.Equal(t, "dnserr\nnohost\n", a.raw)

	// POST with a form body, as some routers send it.
	s.setFault(nil)
	a = s.send(request{method: http.MethodPost, path: "/nic/update", body: "hostname=form.example.com&myip=203.0.113.12",
		headers: map[string]string{"Authorization": auth, "Content-Type": "application/x-www-form-urlencoded"}})
	assert.Equal(t, "good 203.0.113.12\n", a.raw)
	a = s.send(request{method: http.MethodPost, path: "/nic/update", body: "hostname=" + strings.Repeat("x", 70000),
		headers: map[string]string{"Authorization": auth, "Content-Type": "application/x-www-form-urlencoded"}})
	assert.Equal(t, http.StatusRequestEntityTooLarge, a.status, a.raw)
}
