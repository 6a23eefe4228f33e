// Package config reads dns-api's settings from the environment, once, into
// one validated value. The variable names are python-dns-api's, so an
// existing Heroku app can switch binaries without touching its config vars.
// Every bad value is reported naming its variable, and secrets are never
// printed.
package config

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"net/url"
	"os"
	"path"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kelseyhightower/envconfig"

	"github.com/dns-api/dns-api/auth"
	"github.com/dns-api/dns-api/records"
)

// Secret is a string that never prints: fmt, logs and JSON see a
// placeholder. Reveal returns the value.
type Secret string

const redacted = "[redacted]"

// String hides the value.
func (s Secret) String() string { return redacted }

// GoString hides the value from %#v.
func (s Secret) GoString() string { return redacted }

// MarshalText hides the value from encoders (JSON, slog).
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// Reveal returns the secret itself, for the one place that needs it.
func (s Secret) Reveal() string { return string(s) }

// Config is every setting of docs/configuration.md, validated.
type Config struct {
	Port            int
	SecretKey       Secret
	ValidUsers      []string
	AccountToken    Secret
	AccountID       string
	Domains         []string
	Blacklist       records.Patterns
	TTL             int
	BaseURL         string
	RevokedTokens   []string
	UpstreamTimeout time.Duration
	RequestTimeout  time.Duration
	TrustedProxies  []netip.Prefix
	// OnHeroku is set when DYNO is: without TRUSTED_PROXIES, the client
	// is then the last X-Forwarded-For entry (Heroku's router's).
	OnHeroku           bool
	MaxConnections     int
	CacheTTL           time.Duration
	AcceptLegacyTokens bool
	// RedisURL, when set, shares the state of every instance.
	RedisURL           Secret
	RedisTLSSkipVerify bool
}

// env is the raw environment as envconfig reads it; its descriptions are
// what `dns-api serve --help` prints (see Usage).
type env struct {
	Port                  string        `envconfig:"PORT" default:"8000" desc:"listen port (Heroku sets it); serve listens on every interface, dev on 127.0.0.1"`
	SecretKey             string        `envconfig:"SECRET_KEY" desc:"HS256 signing key of the tokens, at least 32 bytes (openssl rand -hex 32); required"`
	ValidUsers            string        `envconfig:"VALID_USERS" desc:"comma-separated user names that may hold tokens; removing one revokes all of its tokens; required"`
	AccountToken          string        `envconfig:"DNSIMPLE_ACCOUNT_TOKEN" desc:"the DNSimple account token the service acts with; required by serve"`
	AccountID             string        `envconfig:"DNSIMPLE_ACCOUNT_ID" desc:"DNSimple account id; empty: discovered at start with GET /v2/whoami"`
	Domains               string        `envconfig:"DNSIMPLE_DOMAINS" desc:"comma-separated zones the service may touch; required"`
	BlacklistedSubdomains string        `envconfig:"BLACKLISTED_SUBDOMAINS" desc:"comma-separated names nobody may touch, globs like *.internal allowed"`
	TTL                   string        `envconfig:"DNSIMPLE_DOMAIN_TTL" default:"60" desc:"TTL in seconds of the records the service writes, 60 or more"`
	BaseURL               string        `envconfig:"DNSIMPLE_BASE_URL" default:"https://api.dnsimple.com" desc:"DNSimple API root, without /v2 (https://api.sandbox.dnsimple.com for the sandbox); http only to localhost"`
	RevokedTokens         string        `envconfig:"REVOKED_TOKENS" desc:"comma-separated token ids (jti) that are refused"`
	UpstreamTimeout       time.Duration `envconfig:"UPSTREAM_TIMEOUT" default:"10s" desc:"deadline of one call to DNSimple, at most 2m"`
	RequestTimeout        time.Duration `envconfig:"REQUEST_TIMEOUT" default:"25s" desc:"deadline of a whole request, waits included; below 30s on Heroku"`
	TrustedProxies        string        `envconfig:"TRUSTED_PROXIES" desc:"CIDRs of the proxies in front, whose X-Forwarded-For is believed; empty: none"`
	Dyno                  string        `envconfig:"DYNO" desc:"set by Heroku: without TRUSTED_PROXIES, the client is the address Heroku's router saw"`
	MaxConnections        string        `envconfig:"MAX_CONNECTIONS" default:"1000" desc:"connections open at once; at the cap the longest idle one is closed"`
	CacheTTL              time.Duration `envconfig:"CACHE_TTL" default:"60s" desc:"how long a looked-up record set or zone listing answers repeated requests without asking DNSimple; 0 disables"`
	AcceptLegacyTokens    bool          `envconfig:"ACCEPT_LEGACY_TOKENS" default:"false" desc:"also accept python-dns-api's HS512 tokens"`
	RedisURL              string        `envconfig:"REDIS_URL" desc:"Redis shared by every instance (cache, locks, rate budget); rediss:// for TLS; empty: state is per process"`
	RedisTLSSkipVerify    bool          `envconfig:"REDIS_TLS_SKIP_VERIFY" default:"false" desc:"do not verify the Redis server's certificate (Heroku's are self-signed)"`
}

// Usage writes every variable the service reads, with its default and
// meaning, from env's tags. (envconfig's own Usage goes through
// text/template, whose calls of methods by name keep the linker from
// dropping unused code: 13 MB more binary for a help text.)
func Usage(w io.Writer) error {
	t := reflect.TypeFor[env]()
	for i := range t.NumField() {
		tag := t.Field(i).Tag
		line := "  " + tag.Get("envconfig")
		if def := tag.Get("default"); def != "" {
			line += " (default " + def + ")"
		}
		if _, err := fmt.Fprintf(w, "%s\n      %s\n", line, tag.Get("desc")); err != nil {
			return err
		}
	}
	return nil
}

// Bounds of the timeouts. Heroku's router gives up on a request after 30
// seconds, so there a request must end before that.
const (
	maxUpstreamTimeout = 2 * time.Minute
	maxRequestTimeout  = 10 * time.Minute
	herokuRouterLimit  = 30 * time.Second
)

// maxMaxConnections bounds MAX_CONNECTIONS well below what a process may
// open.
const maxMaxConnections = 100000

// Load reads and validates the environment. The error is one line naming
// the variable at fault.
func Load() (Config, error) {
	e, err := readEnv()
	if err != nil {
		return Config{}, err
	}
	return e.validate()
}

// Dev is what `dns-api dev` sets itself: its embedded emulator, and what a
// local demo needs and the environment does not say.
type Dev struct {
	// BaseURL and AccountToken are the emulator's; Domains its zones.
	BaseURL, AccountToken string
	Domains               []string
	// Secret, User and Blacklist are used when SECRET_KEY, VALID_USERS
	// and BLACKLISTED_SUBDOMAINS are not set.
	Secret, User, Blacklist string
}

// LoadDev reads the environment as Load does, for `dns-api dev`: every
// service variable that is set counts (a SECRET_KEY to mint tokens with,
// VALID_USERS, a blacklist, timeouts...), but DNSimple is always the
// embedded emulator with its own zones, and nothing leaves the machine.
func LoadDev(d Dev) (Config, error) {
	e, err := readEnv()
	if err != nil {
		return Config{}, err
	}
	for _, def := range []struct {
		name  string
		field *string
		value string
	}{
		{"SECRET_KEY", &e.SecretKey, d.Secret},
		{"VALID_USERS", &e.ValidUsers, d.User},
		{"BLACKLISTED_SUBDOMAINS", &e.BlacklistedSubdomains, d.Blacklist},
	} {
		if _, set := os.LookupEnv(def.name); !set {
			*def.field = def.value
		}
	}
	e.BaseURL, e.AccountToken, e.AccountID, e.Domains = d.BaseURL, d.AccountToken, "", strings.Join(d.Domains, ",")
	return e.validate()
}

// readEnv reads the environment into env.
func readEnv() (env, error) {
	var e env
	if err := envconfig.Process("", &e); err != nil {
		var perr *envconfig.ParseError
		if errors.As(err, &perr) {
			// ParseError's own text repeats the value; none of the
			// variables parsed here is secret, but keep it short.
			return env{}, fmt.Errorf("%s: %q is not a valid %s", perr.KeyName, perr.Value, kindOf(perr.TypeName))
		}
		return env{}, err
	}
	return e, nil
}

func kindOf(typeName string) string {
	switch typeName {
	case "time.Duration", "Duration":
		return "duration (like 10s or 1m)"
	case "bool":
		return "boolean (true or false)"
	}
	return typeName
}

func (e env) validate() (Config, error) {
	var c Config
	var err error
	if c.Port, err = ParsePort(e.Port); err != nil {
		return Config{}, fmt.Errorf("PORT: %w", err)
	}
	// Surrounding whitespace is counted out: a key of spaces is no key.
	switch n := len(strings.TrimSpace(e.SecretKey)); {
	case n == 0:
		return Config{}, errors.New("SECRET_KEY is required (generate one with: openssl rand -hex 32)")
	case n < auth.MinKeyLength:
		return Config{}, fmt.Errorf("SECRET_KEY must be at least %d bytes; it has %d", auth.MinKeyLength, n)
	}
	c.SecretKey = Secret(e.SecretKey)
	if c.ValidUsers = list(e.ValidUsers); len(c.ValidUsers) == 0 {
		return Config{}, errors.New("VALID_USERS is required: a comma-separated list of user names")
	}
	c.AccountToken = Secret(strings.TrimSpace(e.AccountToken))
	if c.AccountID = strings.TrimSpace(e.AccountID); !allDigits(c.AccountID) {
		return Config{}, fmt.Errorf("DNSIMPLE_ACCOUNT_ID: %q is not a numeric account id", c.AccountID)
	}
	if c.Domains, err = parseDomains(e.Domains); err != nil {
		return Config{}, fmt.Errorf("DNSIMPLE_DOMAINS: %w", err)
	}
	if c.Blacklist, err = parseBlacklist(e.BlacklistedSubdomains, c.Domains); err != nil {
		return Config{}, fmt.Errorf("BLACKLISTED_SUBDOMAINS: %w", err)
	}
	if c.TTL, err = parseTTL(e.TTL); err != nil {
		return Config{}, fmt.Errorf("DNSIMPLE_DOMAIN_TTL: %w", err)
	}
	if c.BaseURL, err = parseBaseURL(e.BaseURL); err != nil {
		return Config{}, fmt.Errorf("DNSIMPLE_BASE_URL: %w", err)
	}
	c.RevokedTokens = list(e.RevokedTokens)
	if e.UpstreamTimeout <= 0 || e.UpstreamTimeout > maxUpstreamTimeout {
		return Config{}, fmt.Errorf("UPSTREAM_TIMEOUT: must be above 0 and at most %s; %s is not", maxUpstreamTimeout, e.UpstreamTimeout)
	}
	c.UpstreamTimeout = e.UpstreamTimeout
	c.OnHeroku = strings.TrimSpace(e.Dyno) != ""
	switch {
	case e.RequestTimeout <= 0 || e.RequestTimeout > maxRequestTimeout:
		return Config{}, fmt.Errorf("REQUEST_TIMEOUT: must be above 0 and at most %s; %s is not", maxRequestTimeout, e.RequestTimeout)
	case c.OnHeroku && e.RequestTimeout >= herokuRouterLimit:
		return Config{}, fmt.Errorf("REQUEST_TIMEOUT: must be below Heroku's %s router limit; %s is not", herokuRouterLimit, e.RequestTimeout)
	}
	c.RequestTimeout = e.RequestTimeout
	if c.TrustedProxies, err = parsePrefixes(e.TrustedProxies); err != nil {
		return Config{}, fmt.Errorf("TRUSTED_PROXIES: %w", err)
	}
	if c.MaxConnections, err = strconv.Atoi(strings.TrimSpace(e.MaxConnections)); err != nil || c.MaxConnections < 1 || c.MaxConnections > maxMaxConnections {
		return Config{}, fmt.Errorf("MAX_CONNECTIONS: %q is not a number from 1 to %d", e.MaxConnections, maxMaxConnections)
	}
	if e.CacheTTL < 0 {
		return Config{}, fmt.Errorf("CACHE_TTL: must not be negative; %s is", e.CacheTTL)
	}
	c.CacheTTL = e.CacheTTL
	c.AcceptLegacyTokens = e.AcceptLegacyTokens
	if c.RedisURL, err = parseRedisURL(e.RedisURL); err != nil {
		return Config{}, fmt.Errorf("REDIS_URL: %w", err)
	}
	c.RedisTLSSkipVerify = e.RedisTLSSkipVerify
	return c, nil
}

// RequireAccountToken reports the one setting only the service needs (the
// token generator does not talk to DNSimple).
func (c Config) RequireAccountToken() error {
	if c.AccountToken == "" {
		return errors.New("DNSIMPLE_ACCOUNT_TOKEN is required: an account access token from DNSimple's Access Tokens page")
	}
	return nil
}

// String renders the configuration with its secrets hidden.
func (c Config) String() string {
	return fmt.Sprintf("PORT=%d SECRET_KEY=%s VALID_USERS=%s DNSIMPLE_ACCOUNT_TOKEN=%s DNSIMPLE_ACCOUNT_ID=%s "+
		"DNSIMPLE_DOMAINS=%s BLACKLISTED_SUBDOMAINS=%s DNSIMPLE_DOMAIN_TTL=%d DNSIMPLE_BASE_URL=%s "+
		"REVOKED_TOKENS=%d UPSTREAM_TIMEOUT=%s REQUEST_TIMEOUT=%s TRUSTED_PROXIES=%s MAX_CONNECTIONS=%d CACHE_TTL=%s ACCEPT_LEGACY_TOKENS=%t "+
		"REDIS_URL=%s REDIS_TLS_SKIP_VERIFY=%t",
		c.Port, c.SecretKey, strings.Join(c.ValidUsers, ","), c.AccountToken, c.AccountID,
		strings.Join(c.Domains, ","), c.Blacklist, c.TTL, c.BaseURL,
		len(c.RevokedTokens), c.UpstreamTimeout, c.RequestTimeout, c.TrustedProxies, c.MaxConnections, c.CacheTTL, c.AcceptLegacyTokens,
		c.redisText(), c.RedisTLSSkipVerify)
}

// redisText is REDIS_URL for String: never its password.
func (c Config) redisText() string {
	if c.RedisURL == "" {
		return ""
	}
	return RedactURL(c.RedisURL.Reveal())
}

// GoString keeps %#v from printing the secrets' fields by way of the struct.
func (c Config) GoString() string { return c.String() }

// list splits a comma-separated value, trimming spaces and dropping empty
// entries.
func list(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// parseBlacklist reads the blacklist. Entries are names relative to the
// zones; one written as a full name (www.example.com) would never match
// anything, so it is refused rather than silently protecting nothing.
func parseBlacklist(s string, zones []string) (records.Patterns, error) {
	patterns, err := records.ParsePatterns(list(s))
	if err != nil {
		return nil, err
	}
	for _, p := range patterns {
		for _, zone := range zones {
			if text := p.String(); text == zone || strings.HasSuffix(text, "."+zone) {
				return nil, fmt.Errorf("%q is a full name; give names relative to the zone, like %q",
					text, strings.TrimSuffix(strings.TrimSuffix(text, zone), "."))
			}
		}
	}
	return patterns, nil
}

// ParsePort reads a TCP port number, as PORT holds it.
func ParsePort(s string) (int, error) {
	port, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || port < 1 || port > 65535 {
		return 0, fmt.Errorf("%q is not a port number from 1 to 65535", s)
	}
	return port, nil
}

func parseTTL(s string) (int, error) {
	ttl, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("%q is not a number of seconds", s)
	}
	if err := records.CheckTTL(ttl); err != nil {
		return 0, err
	}
	return ttl, nil
}

func parseDomains(s string) ([]string, error) {
	entries := list(s)
	if len(entries) == 0 {
		return nil, errors.New("required: a comma-separated list of zones, like example.com,example.org")
	}
	var zones []string
	for _, entry := range entries {
		zone, err := records.ParseZone(entry)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(zones, zone) {
			zones = append(zones, zone)
		}
	}
	return zones, nil
}

// parseBaseURL accepts an absolute https URL, or http to a loopback host
// (a local emulator): the account token must not cross a network in clear.
// It is the API root: the client adds /v2 itself.
func parseBaseURL(s string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.Opaque != "" {
		return "", fmt.Errorf("%s is not an API root like https://api.dnsimple.com (no user, query or fragment)", RedactURL(s))
	}
	switch u.Scheme {
	case "https":
	case "http":
		host := u.Hostname()
		addr, err := netip.ParseAddr(host)
		if host != "localhost" && (err != nil || !addr.IsLoopback()) {
			return "", fmt.Errorf("%s: http is allowed only to localhost; use https", RedactURL(s))
		}
	default:
		return "", fmt.Errorf("%s is not an http(s) URL", RedactURL(s))
	}
	root := strings.TrimSuffix(u.String(), "/")
	if strings.EqualFold(path.Base(path.Clean("/"+u.Path)), "v2") {
		return "", fmt.Errorf("%s ends in /v2: give the API root without it, like https://api.dnsimple.com", RedactURL(s))
	}
	return root, nil
}

// parseRedisURL accepts redis:// and rediss:// (TLS) URLs, empty for none.
// It holds the password: it is a Secret.
func parseRedisURL(s string) (Secret, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
		return "", fmt.Errorf("%s is not a redis:// or rediss:// URL", RedactURL(s))
	}
	return Secret(s), nil
}

// RedactURL renders a URL from the environment for a message: its scheme,
// host and path, with any user info and query replaced, so that a password
// or token in them is never printed. What does not parse as a URL is not
// repeated at all.
func RedactURL(s string) string {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return "the value"
	}
	if u.User != nil {
		u.User = url.User("REDACTED")
	}
	if u.RawQuery != "" || u.ForceQuery {
		u.RawQuery, u.ForceQuery = "REDACTED", false
	}
	u.Fragment, u.RawFragment = "", ""
	if u.Opaque != "" || u.Host == "" {
		// Without a host, user info may hide in the path.
		return "the value"
	}
	return strconv.Quote(u.String())
}

// parsePrefixes reads CIDRs; a bare address counts as a single host.
func parsePrefixes(s string) ([]netip.Prefix, error) {
	var prefixes []netip.Prefix
	for _, entry := range list(s) {
		if prefix, err := netip.ParsePrefix(entry); err == nil {
			prefixes = append(prefixes, prefix.Masked())
			continue
		}
		addr, err := netip.ParseAddr(entry)
		if err != nil {
			return nil, fmt.Errorf("%q is not a CIDR like 10.0.0.0/8 or an IP address", entry)
		}
		prefixes = append(prefixes, netip.PrefixFrom(addr, addr.BitLen()))
	}
	return prefixes, nil
}
