package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"hash"
	"strings"
	"testing"
	"time"

	"github.com/dns-api/dns-api/fault"
	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var testNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

const testKey = "0123456789abcdef0123456789abcdef-test-key"

var testZones = []string{"example.com", "example.org"}

// handMade builds a compact JWS exactly as the spec says, independently of
// the library under test: base64url(header) "." base64url(payload) "."
// base64url(HMAC(key, signing input)).
func handMade(header, payload, key string, h func() hash.Hash) string {
	enc := base64.RawURLEncoding
	input := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload))
	if h == nil {
		return input + "."
	}
	mac := hmac.New(h, []byte(key))
	mac.Write([]byte(input))
	return input + "." + enc.EncodeToString(mac.Sum(nil))
}

func newTestVerifier(t *testing.T) *Verifier {
	t.Helper()
	v, err := NewVerifier(Options{Key: []byte(testKey), Users: []string{"alice", "bob"}, Zones: testZones,
		Revoked: []string{"gone"}, Now: func() time.Time { return testNow }})
	require.NoError(t, err)
	return v
}

func TestVerify(t *testing.T) {
	t.Parallel()
	v := newTestVerifier(t)
	hs256 := `{"alg":"HS256","typ":"JWT"}`
	past, future := testNow.Add(-time.Hour).Unix(), testNow.Add(time.Hour).Unix()
	num := func(n int64) string { return strings.TrimSpace(jwtNumber(n)) }
	valid := handMade(hs256, `{"username":"alice"}`, testKey, sha256.New)
	parts := strings.Split(valid, ".")
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"username":"bob"}`)) + "." + parts[2]

	tests := []struct {
		name  string
		token string
		user  string // "" means refused
	}{
		{"hand-made HS256", valid, "alice"},
		{"no typ header", handMade(`{"alg":"HS256"}`, `{"username":"bob","iat":`+num(past)+`}`, testKey, sha256.New), "bob"},
		{"python-dns-api's HS256 shape is an ordinary token", handMade(`{"alg":"HS256"}`, `{"username":"bob"}`, testKey, sha256.New), "bob"},
		{"registered claims iss, sub and aud are ignored", handMade(hs256, `{"username":"alice","iss":"me","sub":"x","aud":["a","b"]}`, testKey, sha256.New), "alice"},
		{"crit header", handMade(`{"alg":"HS256","crit":["exp"]}`, `{"username":"alice","exp":`+num(future)+`}`, testKey, sha256.New), ""},
		{"crit b64 header", handMade(`{"alg":"HS256","b64":false,"crit":["b64"]}`, `{"username":"alice"}`, testKey, sha256.New), ""},
		{"exp in the future", handMade(hs256, `{"username":"alice","exp":`+num(future)+`}`, testKey, sha256.New), "alice"},
		{"nbf in the past", handMade(hs256, `{"username":"alice","nbf":`+num(past)+`}`, testKey, sha256.New), "alice"},
		{"every known claim", handMade(hs256, `{"username":"alice","name":"ci","jti":"t1","iat":`+num(past)+`}`, testKey, sha256.New), "alice"},

		{"expired", handMade(hs256, `{"username":"alice","exp":`+num(past)+`}`, testKey, sha256.New), ""},
		{"exp zero", handMade(hs256, `{"username":"alice","exp":0}`, testKey, sha256.New), ""},
		{"not yet valid", handMade(hs256, `{"username":"alice","nbf":`+num(future)+`}`, testKey, sha256.New), ""},
		{"exp as a string", handMade(hs256, `{"username":"alice","exp":"never"}`, testKey, sha256.New), ""},
		{"alg none", handMade(`{"alg":"none","typ":"JWT"}`, `{"username":"alice"}`, testKey, nil), ""},
		{"alg None", handMade(`{"alg":"None"}`, `{"username":"alice"}`, testKey, nil), ""},
		{"alg hs256 lower case", handMade(`{"alg":"hs256"}`, `{"username":"alice"}`, testKey, sha256.New), ""},
		{"HS512 with the right key", handMade(`{"alg":"HS512","typ":"JWT"}`, `{"username":"alice"}`, testKey, sha512.New), ""},
		{"RS256 header, HMAC signature", handMade(`{"alg":"RS256","typ":"JWT"}`, `{"username":"alice"}`, testKey, sha256.New), ""},
		{"no alg", handMade(`{"typ":"JWT"}`, `{"username":"alice"}`, testKey, sha256.New), ""},
		{"wrong key", handMade(hs256, `{"username":"alice"}`, testKey+"x", sha256.New), ""},
		{"tampered payload", tampered, ""},
		{"signature stripped", parts[0] + "." + parts[1] + ".", ""},
		{"no username", handMade(hs256, `{"sub":"alice"}`, testKey, sha256.New), ""},
		{"empty username", handMade(hs256, `{"username":""}`, testKey, sha256.New), ""},
		{"username a number", handMade(hs256, `{"username":5}`, testKey, sha256.New), ""},
		{"unknown user", handMade(hs256, `{"username":"mallory"}`, testKey, sha256.New), ""},
		{"user differs in case", handMade(hs256, `{"username":"Alice"}`, testKey, sha256.New), ""},
		{"payload not JSON", handMade(hs256, `username=alice`, testKey, sha256.New), ""},
		{"payload an array", handMade(hs256, `["alice"]`, testKey, sha256.New), ""},
		{"empty", "", ""},
		{"one part", "abc", ""},
		{"two parts", "abc.def", ""},
		{"four parts", valid + ".x", ""},
		{"bad base64", "!!!.???.***", ""},
		{"too long", handMade(hs256, `{"username":"alice","pad":"`+strings.Repeat("x", 9000)+`"}`, testKey, sha256.New), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			id, err := v.Verify(tt.token)
			if tt.user == "" {
				require.Error(t, err)
				assert.True(t, fault.Is(err, fault.Unauthenticated))
				assert.NotContains(t, err.Error(), testKey)
				if tt.token != "" {
					assert.NotContains(t, err.Error(), tt.token)
				}
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.user, id.User)
			assert.True(t, id.Access.Read && id.Access.Write, "an unscoped token has full access")
		})
	}
}

func jwtNumber(n int64) string {
	b, _ := jwt.NewNumericDate(time.Unix(n, 0)).MarshalJSON()
	return string(b)
}

func TestVerifyReasons(t *testing.T) {
	t.Parallel()
	v := newTestVerifier(t)
	hs256 := `{"alg":"HS256","typ":"JWT"}`
	reasons := map[string]string{
		handMade(hs256, `{"username":"alice","exp":1}`, testKey, sha256.New):                                           "expired",
		handMade(hs256, `{"username":"alice","nbf":9999999999}`, testKey, sha256.New):                                  "not valid yet",
		handMade(hs256, `{"username":"alice"}`, "another-key-another-key-another-key", sha256.New):                     "signature",
		handMade(`{"alg":"HS512","typ":"JWT"}`, `{"username":"alice"}`, testKey, sha512.New):                           "signature",
		handMade(`{"alg":"HS512"}`, `{"username":"alice"}`, testKey, sha512.New):                                       "ACCEPT_LEGACY_TOKENS",
		handMade(hs256, `{"username":"alice","jti":"gone"}`, testKey, sha256.New):                                      "revoked",
		handMade(hs256, `{"username":"carol"}`, testKey, sha256.New):                                                   "not allowed",
		handMade(`{"alg":"HS256","crit":["x"]}`, `{"username":"alice"}`, testKey, sha256.New):                          "crit",
		handMade(hs256, `{"username":"alice","subdomain":["api"]}`, "another-key-another-key-another-key", sha256.New): "signature",
		"x.y": "malformed",
	}
	for token, want := range reasons {
		_, err := v.Verify(token)
		require.Error(t, err)
		assert.Contains(t, err.Error(), want)
	}
}

func TestSignRoundTrip(t *testing.T) {
	t.Parallel()
	v := newTestVerifier(t)
	token, err := Sign([]byte(testKey), Claims{
		Username: "bob",
		Name:     "laptop",
		RegisteredClaims: jwt.RegisteredClaims{
			ID:        "tok-1",
			IssuedAt:  jwt.NewNumericDate(testNow.Add(-time.Minute)),
			ExpiresAt: jwt.NewNumericDate(testNow.Add(time.Hour)),
		},
	})
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(token, base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))+"."))
	id, err := v.Verify(token)
	require.NoError(t, err)
	assert.Equal(t, "bob", id.User)
	assert.Equal(t, "tok-1", id.TokenID)
	assert.Equal(t, "laptop", id.Name)
	assert.Equal(t, testNow.Add(time.Hour).Unix(), id.ExpiresAt.Unix())

	_, err = Sign([]byte("short"), Claims{Username: "bob"})
	assert.Error(t, err)
	_, err = Sign([]byte(testKey), Claims{})
	assert.Error(t, err)
}

func TestNewVerifierRefusesWeakSetup(t *testing.T) {
	t.Parallel()
	_, err := NewVerifier(Options{Key: []byte("too-short"), Users: []string{"alice"}})
	assert.Error(t, err)
	_, err = NewVerifier(Options{Key: []byte(testKey)})
	assert.Error(t, err)
}

func FuzzVerify(f *testing.F) {
	hs256 := `{"alg":"HS256","typ":"JWT"}`
	f.Add(handMade(hs256, `{"username":"alice"}`, testKey, sha256.New))
	f.Add(handMade(`{"alg":"none"}`, `{"username":"alice"}`, testKey, nil))
	f.Add(handMade(hs256, `{"username":"alice","exp":"x"}`, testKey, sha256.New))
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, token string) {
		v, err := NewVerifier(Options{Key: []byte(testKey), Users: []string{"alice"}, Zones: testZones, Now: func() time.Time { return testNow }})
		if err != nil {
			t.Fatal(err)
		}
		id, err := v.Verify(token)
		if err != nil {
			if !fault.Is(err, fault.Unauthenticated) {
				t.Fatalf("Verify: error of the wrong kind: %v", err)
			}
			return
		}
		// Anything accepted must really be an HS256 token signed with the key.
		parts := strings.Split(token, ".")
		if len(parts) != 3 || id.User != "alice" {
			t.Fatalf("Verify accepted %q as %+v", token, id)
		}
		header, _ := base64.RawURLEncoding.DecodeString(parts[0])
		if !strings.Contains(string(header), `"HS256"`) {
			t.Fatalf("Verify accepted a token whose header is %s", header)
		}
		mac := hmac.New(sha256.New, []byte(testKey))
		mac.Write([]byte(parts[0] + "." + parts[1]))
		sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
		if !hmac.Equal(sig, mac.Sum(nil)) {
			t.Fatalf("Verify accepted a token with a wrong signature")
		}
	})
}

func BenchmarkVerify(b *testing.B) {
	v, err := NewVerifier(Options{Key: []byte(testKey), Users: []string{"alice"}, Zones: testZones})
	if err != nil {
		b.Fatal(err)
	}
	token := handMade(`{"alg":"HS256","typ":"JWT"}`, `{"username":"alice","jti":"t1"}`, testKey, sha256.New)
	for b.Loop() {
		if _, err := v.Verify(token); err != nil {
			b.Fatal(err)
		}
	}
}
