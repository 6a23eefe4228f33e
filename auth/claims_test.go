package auth

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dns-api/dns-api/fault"
	"github.com/dns-api/dns-api/records"
)

// signed mints an HS256 token around payload, by hand.
func signed(payload string) string {
	return handMade(`{"alg":"HS256","typ":"JWT"}`, payload, testKey, sha256.New)
}

func TestScopedClaims(t *testing.T) {
	t.Parallel()
	v := newTestVerifier(t)
	check := func(payload string) records.Access {
		t.Helper()
		id, err := v.Verify(signed(payload))
		require.NoError(t, err, payload)
		return id.Access
	}

	full := check(`{"username":"alice"}`)
	assert.Equal(t, records.FullAccess(), full, "absent claims: no restriction beyond the service's")

	a := check(`{"username":"alice","scope":"dns:read"}`)
	assert.True(t, a.Read)
	assert.False(t, a.Write)
	a = check(`{"username":"alice","scope":"dns:write"}`)
	assert.False(t, a.Read)
	assert.True(t, a.Write)
	a = check(`{"username":"alice","scope":" dns:write  dns:read "}`)
	assert.True(t, a.Read && a.Write)

	a = check(`{"username":"alice","domains":["Example.COM."]}`)
	assert.Equal(t, []string{"example.com"}, a.Zones)
	a = check(`{"username":"alice","subdomains":["api","*.Dev"]}`)
	require.Len(t, a.Names, 2)
	assert.Equal(t, "*.dev", a.Names[1].String())
	a = check(`{"username":"alice","types":["a","TXT"]}`)
	assert.Equal(t, []records.Type{records.A, records.TXT}, a.Types)
	a = check(`{"username":"alice","cidrs":["10.0.0.0/8","192.0.2.7","2001:db8::/32","10.1.2.3/8","::ffff:203.0.113.0/120","::ffff:198.51.100.1"]}`)
	assert.Equal(t, []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32"),
		netip.MustParsePrefix("2001:db8::/32"), netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("203.0.113.0/24"), netip.MustParsePrefix("198.51.100.1/32"),
	}, a.Networks, "IPv4-mapped networks are read as IPv4, like client addresses")
}

func TestMalformedClaimsAreRefused(t *testing.T) {
	t.Parallel()
	v := newTestVerifier(t)
	cases := map[string]string{
		`{"username":"alice","scope":"dns:admin"}`:                     "dns:admin",
		`{"username":"alice","scope":"dns:read,dns:write"}`:            "scope",
		`{"username":"alice","scope":""}`:                              "empty",
		`{"username":"alice","scope":["dns:read"]}`:                    "scope",
		`{"username":"alice","scope":null}`:                            "scope",
		`{"username":"alice","scope":1}`:                               "scope",
		`{"username":"alice","domains":"example.com"}`:                 "list",
		`{"username":"alice","domains":null}`:                          "list",
		`{"username":"alice","domains":[]}`:                            "empty",
		`{"username":"alice","domains":["example.net"]}`:               "does not manage",
		`{"username":"alice","domains":["example..com"]}`:              "domains",
		`{"username":"alice","domains":[1]}`:                           "list",
		`{"username":"alice","domains":[null]}`:                        "domains",
		`{"username":"alice","subdomains":["a.*"]}`:                    "subdomains",
		`{"username":"alice","subdomains":["**"]}`:                     "subdomains",
		`{"username":"alice","subdomains":{"api":true}}`:               "list",
		`{"username":"alice","subdomains":[]}`:                         "empty",
		`{"username":"alice","types":["MX"]}`:                          "types",
		`{"username":"alice","types":"A"}`:                             "list",
		`{"username":"alice","cidrs":["10.0.0.0/33"]}`:                 "cidrs",
		`{"username":"alice","cidrs":["everywhere"]}`:                  "cidrs",
		`{"username":"alice","cidrs":["fe80::1%eth0"]}`:                "cidrs",
		`{"username":"alice","cidrs":null}`:                            "list",
		`{"username":"alice","name":5}`:                                "name",
		`{"username":"alice","jti":5}`:                                 "jti",
		`{"username":"alice","jti":null}`:                              "jti",
		`{"username":"alice","jti":""}`:                                "jti",
		`{"username":"alice","nbf":1e30}`:                              "nbf",
		`{"username":"alice","exp":9.3e18}`:                            "exp",
		`{"username":"alice","iat":-1}`:                                "iat",
		`{"username":"alice","subdomains":["api"],"subdomains":["*"]}`: "twice",
		`{"username":"alice","subdomains":["api.example.com"]}`:        "full name",
		`{"username":"alice","subdomains":["*.example.org"]}`:          "full name",
		`{"username":"alice","cidrs":["::ffff:10.0.0.0/8"]}`:           "cidrs",
		`{"username":"alice","exp":"9999999999"}`:                      "exp",
		`{"username":"alice","nbf":"0"}`:                               "nbf",
		`{"username":"alice","iat":true}`:                              "iat",
		`{"username":["alice"]}`:                                       "username",
		`{"username":null}`:                                            "username",
		`{"username":"alice","domains":["example.com"],"x":1}`:         `"x" claim, which this service does not know`,
		`{"username":"alice","subdomain":["api"]}`:                     `"subdomain" claim`,
		`{"username":"alice","scopes":"dns:read"}`:                     `"scopes" claim`,
		`{"username":"alice","cidr":["10.0.0.0/8"]}`:                   `"cidr" claim`,
		`{"username":"alice","permissions":{"write":false}}`:           `"permissions" claim`,
		`{"username":"alice","Exp":1}`:                                 "case-sensitive",
		`{"username":"alice","` + strings.Repeat("y", 500) + `":1}`:    "...",
		`{"username":"alice","iss":"a","sub":"b","aud":"c"}`:           "",
		`{"USERNAME":"alice"}`:                                         "case-sensitive",
		`{"username":"alice","Domains":["example.com"]}`:               "case-sensitive",
	}
	for payload, want := range cases {
		_, err := v.Verify(signed(payload))
		if want == "" {
			assert.NoError(t, err, "iss, sub and aud are allowed and ignored: %s", payload)
			continue
		}
		if assert.Error(t, err, payload) {
			assert.True(t, fault.Is(err, fault.Unauthenticated), payload)
			assert.Contains(t, err.Error(), want, payload)
			assert.Less(t, len(err.Error()), 300, "a refusal never repeats a whole claim name")
		}
	}
}

func TestRevocation(t *testing.T) {
	t.Parallel()
	v, err := NewVerifier(Options{Key: []byte(testKey), Users: []string{"alice"}, Zones: testZones, Revoked: []string{"t-2"}})
	require.NoError(t, err)
	_, err = v.Verify(signed(`{"username":"alice","jti":"t-1"}`))
	assert.NoError(t, err)
	id, err := v.Verify(signed(`{"username":"alice","jti":"t-2"}`))
	assert.ErrorContains(t, err, "revoked")
	assert.Equal(t, "alice", id.User, "a correctly signed token's user is known for the audit log")
	assert.Equal(t, "t-2", id.TokenID)
	assert.Equal(t, records.Access{}, id.Access, "and nothing else")
	id, err = v.Verify(signed(`{"username":"bob","jti":"t-1"}`))
	assert.ErrorContains(t, err, "not allowed", "a user removed from VALID_USERS loses every token")
	assert.Equal(t, "bob", id.User)

	id, err = v.Verify(handMade(`{"alg":"HS256","typ":"JWT"}`, `{"username":"alice","jti":"t-1"}`, "another-key-another-key-another-key", sha256.New))
	require.Error(t, err)
	assert.Empty(t, id.User, "a forged token's claims are not repeated")
}

// itsdangerousToken builds a token exactly as python-dns-api's
// token-generator did with itsdangerous's JSONWebSignatureSerializer: its
// compact JSON (no spaces), base64url without padding, and an HMAC keyed by
// the raw secret over "header.payload".
func itsdangerousToken(alg, user, key string) string {
	header, _ := json.Marshal(map[string]string{"alg": alg})
	payload, _ := json.Marshal(map[string]string{"username": user})
	digest := sha256.New
	if alg == "HS512" {
		digest = sha512.New
	}
	return handMade(string(header), string(payload), key, digest)
}

func TestLegacyTokens(t *testing.T) {
	t.Parallel()
	legacy, err := NewVerifier(Options{Key: []byte(testKey), Users: []string{"alice"}, Zones: testZones, AcceptLegacy: true})
	require.NoError(t, err)
	modernOnly := newTestVerifier(t)

	// Before itsdangerous 1.0, python-dns-api's tokens were HS256: those
	// are ordinary tokens, legacy mode or not.
	for _, v := range []*Verifier{legacy, modernOnly} {
		id, err := v.Verify(itsdangerousToken("HS256", "alice", testKey))
		require.NoError(t, err)
		assert.Equal(t, "alice", id.User)
		assert.False(t, id.Legacy)
		assert.Equal(t, records.FullAccess(), id.Access)
	}

	// From 1.0 they were HS512: accepted only in legacy mode.
	token := itsdangerousToken("HS512", "alice", testKey)
	require.True(t, strings.HasPrefix(token, "eyJhbGciOiJIUzUxMiJ9."), token)
	id, err := legacy.Verify(token)
	require.NoError(t, err)
	assert.Equal(t, "alice", id.User)
	assert.True(t, id.Legacy)
	assert.Equal(t, records.FullAccess(), id.Access, "legacy tokens keep the full access they had")
	assert.True(t, id.ExpiresAt.IsZero())

	_, err = modernOnly.Verify(token)
	assert.ErrorContains(t, err, "ACCEPT_LEGACY_TOKENS", "off by default")

	_, err = legacy.Verify(itsdangerousToken("HS512", "alice", testKey+"-other"))
	assert.ErrorContains(t, err, "signature", "wrong key")
	_, err = legacy.Verify(itsdangerousToken("HS512", "mallory", testKey))
	assert.ErrorContains(t, err, "not allowed", "VALID_USERS still applies")

	parts := strings.Split(token, ".")
	bob := base64.RawURLEncoding.EncodeToString([]byte(`{"username":"bob"}`))
	_, err = legacy.Verify(parts[0] + "." + bob + "." + parts[2])
	assert.ErrorContains(t, err, "signature", "tampered payload")

	// Only the exact shape is legacy: anything more goes the JWT way,
	// where HS512 and alg none are refused.
	for _, token := range []string{
		handMade(`{"alg":"HS512","iat":1}`, `{"username":"alice"}`, testKey, sha512.New),
		handMade(`{"alg":"HS512"}`, `{"username":"alice","scope":"dns:write"}`, testKey, sha512.New),
		handMade(`{"alg":"none"}`, `{"username":"alice"}`, testKey, nil),
		handMade(`{"alg":"HS384"}`, `{"username":"alice"}`, testKey, sha512.New),
	} {
		_, err := legacy.Verify(token)
		assert.Error(t, err, token)
	}
}

func FuzzClaims(f *testing.F) {
	for _, seed := range []string{
		`{"username":"alice"}`,
		`{"username":"alice","scope":"dns:read","domains":["example.com"],"subdomains":["*.dev"],"types":["A"],"cidrs":["10.0.0.0/8"]}`,
		`{"username":"alice","domains":null}`,
		`{"username":"alice","scope":""}`,
		`{"username":"alice","exp":"1"}`,
	} {
		f.Add(seed)
	}
	v, err := NewVerifier(Options{Key: []byte(testKey), Users: []string{"alice"}, Zones: testZones,
		Now: func() time.Time { return testNow }})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, payload string) {
		id, err := v.Verify(signed(payload))
		if err != nil {
			if !fault.Is(err, fault.Unauthenticated) {
				t.Fatalf("error of the wrong kind: %v", err)
			}
			return
		}
		// Never a silent widening: every scoped claim present in the
		// payload shows up as a restriction.
		var claims map[string]json.RawMessage
		if json.Unmarshal([]byte(payload), &claims) != nil {
			t.Fatalf("accepted a payload that is not a JSON object: %q", payload)
		}
		a := id.Access
		present := func(k string) bool { _, ok := claims[k]; return ok }
		switch {
		case present("domains") && a.Zones == nil,
			present("subdomains") && a.Names == nil,
			present("types") && a.Types == nil,
			present("cidrs") && a.Networks == nil,
			present("scope") && a.Read && a.Write && !strings.Contains(string(claims["scope"]), records.ScopeRead):
			t.Fatalf("claims %s widened to %+v", payload, a)
		}
		for _, z := range a.Zones {
			if z != "example.com" && z != "example.org" {
				t.Fatalf("claims %s reach unmanaged zone %q", payload, z)
			}
		}
	})
}
