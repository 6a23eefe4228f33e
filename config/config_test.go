package config

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests change the process environment with t.Setenv, so none of
// them may run in parallel.

// Distinctive secrets, so that a leak anywhere is easy to spot.
const (
	testSecretKey    = "sk-9c1f0e7d-Quux-Frobnicate-4b2a-8e6f1d3c5a7b"
	testAccountToken = "dnsimple-acct-Xyzzy-Plugh-0f9e8d7c6b5a"
)

// variables is the configuration table of docs/configuration.md (less DYNO
// and MAX_CONNECTIONS, below).
var variables = []string{
	"PORT",
	"SECRET_KEY",
	"VALID_USERS",
	"DNSIMPLE_ACCOUNT_TOKEN",
	"DNSIMPLE_ACCOUNT_ID",
	"DNSIMPLE_DOMAINS",
	"BLACKLISTED_SUBDOMAINS",
	"DNSIMPLE_DOMAIN_TTL",
	"DNSIMPLE_BASE_URL",
	"REVOKED_TOKENS",
	"UPSTREAM_TIMEOUT",
	"REQUEST_TIMEOUT",
	"TRUSTED_PROXIES",
	"CACHE_TTL",
	"ACCEPT_LEGACY_TOKENS",
	"REDIS_URL",
	"REDIS_TLS_SKIP_VERIFY",
}

// others are variables the service reads beyond python-dns-api's contract.
var others = []string{"DYNO", "MAX_CONNECTIONS"}

// unset removes a variable for the rest of the test; t.Setenv first, so
// that the old value comes back afterwards.
func unset(t *testing.T, name string) {
	t.Helper()
	t.Setenv(name, "")
	require.NoError(t, os.Unsetenv(name))
}

// baseline sets a valid minimal environment and clears every other
// variable of the table.
func baseline(t *testing.T) {
	t.Helper()
	for _, name := range append(variables, others...) {
		unset(t, name)
	}
	t.Setenv("SECRET_KEY", testSecretKey)
	t.Setenv("VALID_USERS", "alice")
	t.Setenv("DNSIMPLE_DOMAINS", "example.com")
	t.Setenv("DNSIMPLE_ACCOUNT_TOKEN", testAccountToken)
}

// assertNoSecrets checks that s shows neither secret.
func assertNoSecrets(t *testing.T, s string) {
	t.Helper()
	assert.NotContains(t, s, testSecretKey)
	assert.NotContains(t, s, testAccountToken)
	// Not even a recognisable part of them.
	assert.NotContains(t, s, "Frobnicate")
	assert.NotContains(t, s, "Xyzzy")
}

func TestDefaults(t *testing.T) {
	baseline(t)
	c, err := Load()
	require.NoError(t, err)

	assert.Equal(t, 8000, c.Port)
	assert.Equal(t, testSecretKey, c.SecretKey.Reveal())
	assert.Equal(t, []string{"alice"}, c.ValidUsers)
	assert.Equal(t, testAccountToken, c.AccountToken.Reveal())
	assert.Empty(t, c.AccountID)
	assert.Equal(t, []string{"example.com"}, c.Domains)
	assert.Empty(t, c.Blacklist)
	assert.Equal(t, 60, c.TTL)
	assert.Equal(t, "https://api.dnsimple.com", c.BaseURL)
	assert.Empty(t, c.RevokedTokens)
	assert.Equal(t, 10*time.Second, c.UpstreamTimeout)
	assert.Equal(t, 60*time.Second, c.CacheTTL)
	assert.False(t, c.AcceptLegacyTokens)
	assert.NoError(t, c.RequireAccountToken())

	assert.Equal(t, 25*time.Second, c.RequestTimeout)
	assert.Empty(t, c.TrustedProxies, "no proxy is trusted unless named")
	assert.False(t, c.OnHeroku)
	assert.Equal(t, 1000, c.MaxConnections)
}

func TestRedis(t *testing.T) {
	baseline(t)
	c, err := Load()
	require.NoError(t, err)
	assert.Empty(t, c.RedisURL, "no Redis: state is per process")
	t.Setenv("REDIS_URL", "rediss://:Frobnicate-pw@redis.example.net:6380")
	t.Setenv("REDIS_TLS_SKIP_VERIFY", "true")
	c, err = Load()
	require.NoError(t, err)
	assert.Equal(t, "rediss://:Frobnicate-pw@redis.example.net:6380", c.RedisURL.Reveal())
	assert.True(t, c.RedisTLSSkipVerify)
	assertNoSecrets(t, c.String())
	assert.Contains(t, c.String(), "redis.example.net:6380")
	t.Setenv("REDIS_URL", "redis://:Frobnicate-pw@redis.example.net:6380?x=1 bad")
	t.Setenv("REDIS_URL", "http://:Frobnicate-pw@h")
	_, err = Load()
	require.Error(t, err)
	assertNoSecrets(t, err.Error())
}

func TestHeroku(t *testing.T) {
	baseline(t)
	t.Setenv("DYNO", "web.1")
	c, err := Load()
	require.NoError(t, err)
	assert.True(t, c.OnHeroku)
	assert.Empty(t, c.TrustedProxies)

	t.Setenv("REQUEST_TIMEOUT", "30s")
	_, err = Load()
	assert.ErrorContains(t, err, "REQUEST_TIMEOUT: must be below Heroku's 30s router limit")
	unset(t, "DYNO")
	c, err = Load()
	require.NoError(t, err, "off Heroku a longer deadline is fine")
	assert.Equal(t, 30*time.Second, c.RequestTimeout)
}

func TestURLsAreNeverPrintedWhole(t *testing.T) {
	for _, value := range []string{
		"https://user:Frobnicate@api.dnsimple.com",
		"https://api.dnsimple.com/?token=Frobnicate",
		"https://api.dnsimple.com/?Frobnicate",
		"http://Frobnicate@10.0.0.1:8080",
		"ftp://u:Frobnicate@x",
		"https://api.dnsimple.com#Frobnicate",
		"https:/user:Frobnicate@api.dnsimple.com",
		"https:////user:Frobnicate@api.dnsimple.com",
	} {
		baseline(t)
		t.Setenv("DNSIMPLE_BASE_URL", value)
		_, err := Load()
		require.Error(t, err, value)
		assert.Contains(t, err.Error(), "DNSIMPLE_BASE_URL")
		assert.NotContains(t, err.Error(), "Frobnicate", value)
	}
	for _, v2 := range []string{"https://api.dnsimple.com/v2/", "https://api.dnsimple.com/V2", "https://api.dnsimple.com/v2//", "https://api.dnsimple.com/v2/.", "https://api.dnsimple.com/v2%2F"} {
		baseline(t)
		t.Setenv("DNSIMPLE_BASE_URL", v2)
		_, err := Load()
		assert.ErrorContains(t, err, "ends in /v2: give the API root without it", v2)
	}
	assert.Equal(t, `"https://REDACTED@host/path?REDACTED"`, RedactURL("https://u:p@host/path?q=1#f"))
}

func TestEverySettingRead(t *testing.T) {
	baseline(t)
	t.Setenv("PORT", "5000")
	t.Setenv("VALID_USERS", "alice,bob")
	t.Setenv("DNSIMPLE_ACCOUNT_ID", "1010")
	t.Setenv("DNSIMPLE_DOMAINS", "example.com,example.org")
	t.Setenv("BLACKLISTED_SUBDOMAINS", "www,*.internal")
	t.Setenv("DNSIMPLE_DOMAIN_TTL", "300")
	t.Setenv("DNSIMPLE_BASE_URL", "https://api.sandbox.dnsimple.com")
	t.Setenv("REVOKED_TOKENS", "jti-1,jti-2")
	t.Setenv("UPSTREAM_TIMEOUT", "3s")
	t.Setenv("REQUEST_TIMEOUT", "20s")
	t.Setenv("TRUSTED_PROXIES", "10.0.0.0/8")
	t.Setenv("MAX_CONNECTIONS", "64")
	t.Setenv("CACHE_TTL", "0")
	t.Setenv("ACCEPT_LEGACY_TOKENS", "true")

	c, err := Load()
	require.NoError(t, err)
	assert.Equal(t, 5000, c.Port)
	assert.Equal(t, []string{"alice", "bob"}, c.ValidUsers)
	assert.Equal(t, "1010", c.AccountID)
	assert.Equal(t, []string{"example.com", "example.org"}, c.Domains)
	require.Len(t, c.Blacklist, 2)
	assert.Equal(t, "www", c.Blacklist[0].String())
	assert.Equal(t, "*.internal", c.Blacklist[1].String())
	assert.True(t, c.Blacklist.Match("db.internal"))
	assert.False(t, c.Blacklist.Match("internal"))
	assert.Equal(t, 300, c.TTL)
	assert.Equal(t, "https://api.sandbox.dnsimple.com", c.BaseURL)
	assert.Equal(t, []string{"jti-1", "jti-2"}, c.RevokedTokens)
	assert.Equal(t, 3*time.Second, c.UpstreamTimeout)
	assert.Equal(t, 20*time.Second, c.RequestTimeout)
	assert.Equal(t, 64, c.MaxConnections)
	assert.Equal(t, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, c.TrustedProxies)
	assert.Zero(t, c.CacheTTL, "0 disables the cache")
	assert.True(t, c.AcceptLegacyTokens)
}

func TestBadValues(t *testing.T) {
	tests := []struct {
		name     string
		variable string // the variable the error must name
		value    string
		unset    bool // unset the variable instead of setting value
	}{
		{"missing SECRET_KEY", "SECRET_KEY", "", true},
		{"empty SECRET_KEY", "SECRET_KEY", "", false},
		{"31-byte SECRET_KEY", "SECRET_KEY", strings.Repeat("k", 31), false},
		{"SECRET_KEY of spaces", "SECRET_KEY", strings.Repeat(" ", 40), false},
		{"SECRET_KEY padded to length", "SECRET_KEY", "  short-key-with-padding  \t\t\t\t\t\t", false},
		{"missing VALID_USERS", "VALID_USERS", "", true},
		{"empty VALID_USERS", "VALID_USERS", "", false},
		{"blank VALID_USERS", "VALID_USERS", " , ", false},
		{"missing DNSIMPLE_DOMAINS", "DNSIMPLE_DOMAINS", "", true},
		{"blank DNSIMPLE_DOMAINS", "DNSIMPLE_DOMAINS", " ,, ", false},
		{"domain with a space", "DNSIMPLE_DOMAINS", "exa mple.com", false},
		{"domain of one label", "DNSIMPLE_DOMAINS", "localhost", false},
		{"domain with a leading hyphen", "DNSIMPLE_DOMAINS", "-bad.com", false},
		{"domain with a wildcard", "DNSIMPLE_DOMAINS", "*.example.com", false},
		{"domain with a path", "DNSIMPLE_DOMAINS", "example.com/x", false},
		{"domain with an empty label", "DNSIMPLE_DOMAINS", "example..com", false},
		{"one bad domain among good ones", "DNSIMPLE_DOMAINS", "example.com,bad_domain!,example.org", false},
		{"blacklist glob not leading", "BLACKLISTED_SUBDOMAINS", "a.*", false},
		{"blacklist with a space", "BLACKLISTED_SUBDOMAINS", "w w", false},
		{"blacklist glob inside a label", "BLACKLISTED_SUBDOMAINS", "w*w", false},
		{"blacklist with a slash", "BLACKLISTED_SUBDOMAINS", "www,a/b", false},
		{"blacklist entry as a full name", "BLACKLISTED_SUBDOMAINS", "www.example.com", false},
		{"blacklist glob as a full name", "BLACKLISTED_SUBDOMAINS", "*.internal.example.com", false},
		{"TTL not a number", "DNSIMPLE_DOMAIN_TTL", "abc", false},
		{"TTL below the minimum", "DNSIMPLE_DOMAIN_TTL", "30", false},
		{"TTL negative", "DNSIMPLE_DOMAIN_TTL", "-1", false},
		{"TTL with a unit", "DNSIMPLE_DOMAIN_TTL", "60s", false},
		{"UPSTREAM_TIMEOUT zero", "UPSTREAM_TIMEOUT", "0s", false},
		{"UPSTREAM_TIMEOUT not a duration", "UPSTREAM_TIMEOUT", "abc", false},
		{"UPSTREAM_TIMEOUT negative", "UPSTREAM_TIMEOUT", "-1s", false},
		{"UPSTREAM_TIMEOUT too long", "UPSTREAM_TIMEOUT", "10m", false},
		{"CACHE_TTL negative", "CACHE_TTL", "-1s", false},
		{"CACHE_TTL not a duration", "CACHE_TTL", "x", false},
		{"PORT zero", "PORT", "0", false},
		{"PORT too big", "PORT", "70000", false},
		{"PORT a name", "PORT", "http", false},
		{"PORT negative", "PORT", "-80", false},
		{"DNSIMPLE_ACCOUNT_ID not numeric", "DNSIMPLE_ACCOUNT_ID", "12a", false},
		{"DNSIMPLE_ACCOUNT_ID negative", "DNSIMPLE_ACCOUNT_ID", "-12", false},
		{"base URL ftp", "DNSIMPLE_BASE_URL", "ftp://x", false},
		{"base URL http to a remote host", "DNSIMPLE_BASE_URL", "http://api.dnsimple.com", false},
		{"base URL http to a host named like localhost", "DNSIMPLE_BASE_URL", "http://localhost.evil.example", false},
		{"base URL http to a private address", "DNSIMPLE_BASE_URL", "http://10.0.0.1:8080", false},
		{"base URL not a URL", "DNSIMPLE_BASE_URL", "not a url", false},
		{"base URL without a scheme", "DNSIMPLE_BASE_URL", "api.dnsimple.com", false},
		{"base URL with user info", "DNSIMPLE_BASE_URL", "https://user:pass@api.dnsimple.com", false},
		{"base URL with a query", "DNSIMPLE_BASE_URL", "https://api.dnsimple.com?x=1", false},
		{"trusted proxy prefix too long", "TRUSTED_PROXIES", "10.0.0.0/33", false},
		{"trusted proxy not an address", "TRUSTED_PROXIES", "10.0.0.0/8,router", false},
		{"ACCEPT_LEGACY_TOKENS not a boolean", "ACCEPT_LEGACY_TOKENS", "maybe", false},
		{"base URL with /v2", "DNSIMPLE_BASE_URL", "https://api.dnsimple.com/v2", false},
		{"REQUEST_TIMEOUT zero", "REQUEST_TIMEOUT", "0s", false},
		{"REQUEST_TIMEOUT too long", "REQUEST_TIMEOUT", "11m", false},
		{"MAX_CONNECTIONS zero", "MAX_CONNECTIONS", "0", false},
		{"MAX_CONNECTIONS not a number", "MAX_CONNECTIONS", "many", false},
		{"REDIS_URL not redis", "REDIS_URL", "http://h:6379", false},
		{"REDIS_URL without a host", "REDIS_URL", "redis://", false},
		{"REDIS_TLS_SKIP_VERIFY not a boolean", "REDIS_TLS_SKIP_VERIFY", "perhaps", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			baseline(t)
			if tc.unset {
				unset(t, tc.variable)
			} else {
				t.Setenv(tc.variable, tc.value)
			}
			c, err := Load()
			require.Error(t, err, "loaded %v", c)
			msg := err.Error()
			assert.Contains(t, msg, tc.variable, "the error names the variable")
			assert.NotContains(t, msg, "\n", "one line")
			assertNoSecrets(t, msg)
			assert.Zero(t, c.Port, "no half-filled Config on error")
		})
	}
}

func TestErrorsNeverShowTheSecretKey(t *testing.T) {
	// A key that is too short is still a secret: the error must not echo it.
	baseline(t)
	short := "Frobnicate-short-key-0123456789" // 31 bytes
	require.Len(t, short, 31)
	t.Setenv("SECRET_KEY", short)
	_, err := Load()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "SECRET_KEY")
	assert.NotContains(t, err.Error(), short)
}

func TestConfigNeverPrintsSecrets(t *testing.T) {
	baseline(t)
	t.Setenv("BLACKLISTED_SUBDOMAINS", "www,*.internal")
	t.Setenv("REVOKED_TOKENS", "jti-1")
	c, err := Load()
	require.NoError(t, err)

	jsonValue, err := json.Marshal(c)
	require.NoError(t, err)
	jsonPointer, err := json.Marshal(&c)
	require.NoError(t, err)
	jsonIndent, err := json.MarshalIndent(map[string]any{"config": c}, "", "  ")
	require.NoError(t, err)

	forms := map[string]string{
		"String":        c.String(),
		"GoString":      c.GoString(),
		"%v":            fmt.Sprintf("%v", c),
		"%+v":           fmt.Sprintf("%+v", c),
		"%#v":           fmt.Sprintf("%#v", c),
		"Sprint":        fmt.Sprint(c),
		"%s in a map":   fmt.Sprintf("%s", map[string]Config{"c": c}),
		"%q":            fmt.Sprintf("%q", c),
		"%v pointer":    fmt.Sprintf("%v", &c),
		"%+v pointer":   fmt.Sprintf("%+v", &c),
		"%#v pointer":   fmt.Sprintf("%#v", &c),
		"%v in a slice": fmt.Sprintf("%v", []Config{c}),
		"%+v in struct": fmt.Sprintf("%+v", struct{ C Config }{c}),
		"%#v in struct": fmt.Sprintf("%#v", struct{ C Config }{c}),
		"%v key":        fmt.Sprintf("%v", c.SecretKey),
		"%#v key":       fmt.Sprintf("%#v", c.SecretKey),
		"%v token":      fmt.Sprintf("%+v", c.AccountToken),
		"%#v token":     fmt.Sprintf("%#v", c.AccountToken),
		"json":          string(jsonValue),
		"json pointer":  string(jsonPointer),
		"json nested":   string(jsonIndent),
	}
	for name, s := range forms {
		t.Run(name, func(t *testing.T) {
			assertNoSecrets(t, s)
		})
	}
	assert.Contains(t, c.String(), "SECRET_KEY=[redacted]")
	assert.Contains(t, c.String(), "DNSIMPLE_ACCOUNT_TOKEN=[redacted]")
	assert.Contains(t, c.String(), "DNSIMPLE_DOMAINS=example.com", "the rest is shown")

	// The values are still there for the code that needs them.
	assert.Equal(t, testSecretKey, c.SecretKey.Reveal())
	assert.Equal(t, testAccountToken, c.AccountToken.Reveal())
}

func TestNormalisation(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		check func(t *testing.T, c Config)
	}{
		{
			name: "domains lower-cased, trailing dot dropped, duplicates removed",
			env:  map[string]string{"DNSIMPLE_DOMAINS": " Example.COM. , example.com,EXAMPLE.org ,, example.org."},
			check: func(t *testing.T, c Config) {
				assert.Equal(t, []string{"example.com", "example.org"}, c.Domains)
			},
		},
		{
			name: "users trimmed, empty entries dropped",
			env:  map[string]string{"VALID_USERS": " alice , bob,,carol , "},
			check: func(t *testing.T, c Config) {
				assert.Equal(t, []string{"alice", "bob", "carol"}, c.ValidUsers)
			},
		},
		{
			name: "revoked tokens trimmed",
			env:  map[string]string{"REVOKED_TOKENS": " jti-1 ,, jti-2 "},
			check: func(t *testing.T, c Config) {
				assert.Equal(t, []string{"jti-1", "jti-2"}, c.RevokedTokens)
			},
		},
		{
			name: "blacklist trimmed, lower-cased, trailing dot dropped",
			env:  map[string]string{"BLACKLISTED_SUBDOMAINS": " WWW , *.Internal. ,mail"},
			check: func(t *testing.T, c Config) {
				var got []string
				for _, p := range c.Blacklist {
					got = append(got, p.String())
				}
				assert.Equal(t, []string{"www", "*.internal", "mail"}, got)
				assert.True(t, c.Blacklist.Match("www"))
				assert.True(t, c.Blacklist.Match("a.b.internal"))
			},
		},
		{
			name: "empty blacklist entries are ignored",
			env:  map[string]string{"BLACKLISTED_SUBDOMAINS": " , "},
			check: func(t *testing.T, c Config) {
				assert.Empty(t, c.Blacklist)
			},
		},
		{
			name: "base URL trailing slash dropped",
			env:  map[string]string{"DNSIMPLE_BASE_URL": "https://api.sandbox.dnsimple.com/"},
			check: func(t *testing.T, c Config) {
				assert.Equal(t, "https://api.sandbox.dnsimple.com", c.BaseURL)
			},
		},
		{
			name: "base URL trimmed",
			env:  map[string]string{"DNSIMPLE_BASE_URL": "  https://api.dnsimple.com  "},
			check: func(t *testing.T, c Config) {
				assert.Equal(t, "https://api.dnsimple.com", c.BaseURL)
			},
		},
		{
			name: "http to a loopback IPv4 emulator",
			env:  map[string]string{"DNSIMPLE_BASE_URL": "http://127.0.0.1:8089/"},
			check: func(t *testing.T, c Config) {
				assert.Equal(t, "http://127.0.0.1:8089", c.BaseURL)
			},
		},
		{
			name: "http to a loopback IPv6 emulator",
			env:  map[string]string{"DNSIMPLE_BASE_URL": "http://[::1]:8089"},
			check: func(t *testing.T, c Config) {
				assert.Equal(t, "http://[::1]:8089", c.BaseURL)
			},
		},
		{
			name: "http to localhost",
			env:  map[string]string{"DNSIMPLE_BASE_URL": "http://localhost:8089"},
			check: func(t *testing.T, c Config) {
				assert.Equal(t, "http://localhost:8089", c.BaseURL)
			},
		},
		{
			name: "trusted proxies trimmed, masked, bare addresses as hosts",
			env:  map[string]string{"TRUSTED_PROXIES": " 10.1.2.3/8 , 192.0.2.7,2001:db8::1 "},
			check: func(t *testing.T, c Config) {
				assert.Equal(t, []netip.Prefix{
					netip.MustParsePrefix("10.0.0.0/8"),
					netip.MustParsePrefix("192.0.2.7/32"),
					netip.MustParsePrefix("2001:db8::1/128"),
				}, c.TrustedProxies)
			},
		},
		{
			name: "account id trimmed",
			env:  map[string]string{"DNSIMPLE_ACCOUNT_ID": " 1010 "},
			check: func(t *testing.T, c Config) {
				assert.Equal(t, "1010", c.AccountID)
			},
		},
		{
			name: "account token trimmed",
			env:  map[string]string{"DNSIMPLE_ACCOUNT_TOKEN": " " + testAccountToken + "\n"},
			check: func(t *testing.T, c Config) {
				assert.Equal(t, testAccountToken, c.AccountToken.Reveal())
			},
		},
		{
			name: "port and TTL trimmed",
			env:  map[string]string{"PORT": " 8080 ", "DNSIMPLE_DOMAIN_TTL": " 120 "},
			check: func(t *testing.T, c Config) {
				assert.Equal(t, 8080, c.Port)
				assert.Equal(t, 120, c.TTL)
			},
		},
		{
			name: "a 32-byte key is enough",
			env:  map[string]string{"SECRET_KEY": strings.Repeat("k", 32)},
			check: func(t *testing.T, c Config) {
				assert.Equal(t, strings.Repeat("k", 32), c.SecretKey.Reveal())
			},
		},
		{
			name: "limits of the ranges",
			env:  map[string]string{"PORT": "65535", "UPSTREAM_TIMEOUT": "2m", "DNSIMPLE_DOMAIN_TTL": "60", "CACHE_TTL": "1h"},
			check: func(t *testing.T, c Config) {
				assert.Equal(t, 65535, c.Port)
				assert.Equal(t, 2*time.Minute, c.UpstreamTimeout)
				assert.Equal(t, 60, c.TTL)
				assert.Equal(t, time.Hour, c.CacheTTL)
			},
		},
		{
			name: "ACCEPT_LEGACY_TOKENS false",
			env:  map[string]string{"ACCEPT_LEGACY_TOKENS": "false"},
			check: func(t *testing.T, c Config) {
				assert.False(t, c.AcceptLegacyTokens)
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			baseline(t)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			c, err := Load()
			require.NoError(t, err)
			tc.check(t, c)
		})
	}
}

func TestRequireAccountToken(t *testing.T) {
	t.Run("unset", func(t *testing.T) {
		baseline(t)
		unset(t, "DNSIMPLE_ACCOUNT_TOKEN")
		c, err := Load()
		require.NoError(t, err, "the token generator runs without the account token")
		err = c.RequireAccountToken()
		require.Error(t, err)
		assert.Contains(t, err.Error(), "DNSIMPLE_ACCOUNT_TOKEN")
	})
	t.Run("blank", func(t *testing.T) {
		baseline(t)
		t.Setenv("DNSIMPLE_ACCOUNT_TOKEN", "   ")
		c, err := Load()
		require.NoError(t, err)
		err = c.RequireAccountToken()
		require.Error(t, err)
		assert.Contains(t, err.Error(), "DNSIMPLE_ACCOUNT_TOKEN")
	})
	t.Run("set", func(t *testing.T) {
		baseline(t)
		c, err := Load()
		require.NoError(t, err)
		assert.NoError(t, c.RequireAccountToken())
	})
}
