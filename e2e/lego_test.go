package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/go-acme/lego/v5/providers/dns/acmedns"
	"github.com/go-acme/lego/v5/providers/dns/httpreq"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dns-api/dns-api/auth"
)

// challengeValue is the TXT value of a key authorization (RFC 8555 8.4).
func challengeValue(keyAuth string) string {
	digest := sha256.Sum256([]byte(keyAuth))
	return base64.RawURLEncoding.EncodeToString(digest[:])
}

// legoHTTPReq is lego's httpreq provider configured as the README shows:
// HTTPREQ_ENDPOINT is the service's /acme, the token the password.
func legoHTTPReq(t *testing.T, s *service, password, mode string) *httpreq.DNSProvider {
	t.Helper()
	cfg := httpreq.NewDefaultConfig()
	endpoint, err := url.Parse(s.url + "/acme")
	require.NoError(t, err)
	cfg.Endpoint, cfg.Username, cfg.Password, cfg.Mode = endpoint, "lego", password, mode
	p, err := httpreq.NewDNSProviderConfig(cfg)
	require.NoError(t, err)
	return p
}

func TestLegoHTTPReq(t *testing.T) {
	// lego follows a _acme-challenge CNAME unless told not to; there is no
	// DNS server here to ask.
	t.Setenv("LEGO_DISABLE_CNAME_SUPPORT", "true")
	s := startService(t, "www")
	ctx := context.Background()
	tok := token(t, auth.Claims{Name: "acme", Scope: "dns:write", Subdomains: []string{"api"}, Types: []string{"TXT"}})

	for _, mode := range []string{"", "RAW"} {
		p := legoHTTPReq(t, s, tok, mode)
		// A certificate for api.example.com and *.api.example.com: two
		// values at one name at once.
		require.NoError(t, p.Present(ctx, "api.example.com", "t1", "t1.key"), mode)
		require.NoError(t, p.Present(ctx, "api.example.com", "t2", "t2.key"), mode)
		got := s.values("example.com", "_acme-challenge.api", "TXT")
		slices.Sort(got)
		want := []string{challengeValue("t1.key"), challengeValue("t2.key")}
		slices.Sort(want)
		assert.Equal(t, want, got, mode)

		require.NoError(t, p.CleanUp(ctx, "api.example.com", "t1", "t1.key"), mode)
		assert.Equal(t, []string{challengeValue("t2.key")}, s.values("example.com", "_acme-challenge.api", "TXT"), mode)
		require.NoError(t, p.CleanUp(ctx, "api.example.com", "t2", "t2.key"), mode)
		assert.Empty(t, s.values("example.com", "_acme-challenge.api", "TXT"), mode)
	}

	p := legoHTTPReq(t, s, tok, "")
	err := p.Present(ctx, "www.example.com", "t3", "t3.key")
	assert.ErrorContains(t, err, "403", "the token may answer challenges for api only")
	err = legoHTTPReq(t, s, "not-a-token", "").Present(ctx, "api.example.com", "t4", "t4.key")
	assert.ErrorContains(t, err, "401")
	assert.Empty(t, s.values("example.com", "_acme-challenge.www", "TXT"))
}

func TestLegoACMEDNS(t *testing.T) {
	s := startService(t, "www")
	ctx := context.Background()
	tok := token(t, auth.Claims{Name: "acme-dns", Scope: "dns:write", Subdomains: []string{"api"}, Types: []string{"TXT"}})

	// The account file, filled in beforehand as the README shows (lego
	// would call /register for a domain it does not hold): the
	// subdomain is the challenge name itself, the password the token.
	storage := filepath.Join(t.TempDir(), "acme-dns.json")
	account := readmeBlock(t, "cat > acme-dns.json <<'JSON'")
	account = account[strings.Index(account, "\n")+1 : strings.Index(account, "JSON\n")]
	account = replace(t, account, "YOUR_TOKEN", tok, "https://dns.example.com", s.url)
	require.NoError(t, os.WriteFile(storage, []byte(account), 0o600))

	cfg := acmedns.NewDefaultConfig()
	cfg.APIBase, cfg.StoragePath = s.url+"/acme-dns", storage
	p, err := acmedns.NewDNSProviderConfig(cfg)
	require.NoError(t, err)

	for i, keyAuth := range []string{"a.key", "b.key", "c.key"} {
		require.NoError(t, p.Present(ctx, "api.example.com", "t", keyAuth))
		got := s.values("example.com", "_acme-challenge.api", "TXT")
		assert.Contains(t, got, challengeValue(keyAuth))
		assert.Len(t, got, min(i+1, 2), "at most the two newest are kept")
	}
	require.NoError(t, p.CleanUp(ctx, "api.example.com", "t", "c.key"))
}
