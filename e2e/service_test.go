package e2e

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dns-api/dns-api/app"
	"github.com/dns-api/dns-api/auth"
	"github.com/dns-api/dns-api/config"
	"github.com/dns-api/dns-api/records"
	"github.com/dns-api/dns-api/upstream/emulator"
)

const (
	testSecret       = "e2e-test-secret-0123456789abcdef0123456789"
	testAccountToken = "e2e-dnsimple-account-token"
)

// service is dns-api as serve runs it, on a loopback port, in front of the
// DNSimple emulator.
type service struct {
	url string
	emu *emulator.Emulator
}

// startService runs the service with zones example.com and example.org and
// the given blacklist.
func startService(t *testing.T, blacklist ...string) *service {
	t.Helper()
	emu, err := emulator.New(emulator.Options{Token: testAccountToken, Zones: []string{"example.com", "example.org"}, RateLimit: 1 << 30})
	require.NoError(t, err)
	upstream := httptest.NewServer(emu)
	t.Cleanup(upstream.Close)
	patterns, err := records.ParsePatterns(blacklist)
	require.NoError(t, err)
	cfg := config.Config{
		SecretKey:       config.Secret(testSecret),
		ValidUsers:      []string{"alice"},
		AccountToken:    config.Secret(testAccountToken),
		Domains:         []string{"example.com", "example.org"},
		Blacklist:       patterns,
		TTL:             60,
		BaseURL:         upstream.URL,
		UpstreamTimeout: 5 * time.Second,
		RequestTimeout:  25 * time.Second, // the default: the README's certbot hook waits 20s
		MaxConnections:  100,
	}
	svc, err := app.New(context.Background(), cfg, app.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Serve(ctx, l) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	s := &service{url: "http://" + l.Addr().String(), emu: emu}
	require.Eventually(t, func() bool {
		resp, err := http.Get(s.url + "/")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == http.StatusOK
	}, 10*time.Second, 20*time.Millisecond)
	return s
}

// token mints a token for alice with the given claims beyond username.
func token(t *testing.T, claims auth.Claims) string {
	t.Helper()
	claims.Username = "alice"
	tok, err := auth.Sign([]byte(testSecret), claims)
	require.NoError(t, err)
	return tok
}

// values are the contents of a zone's records of one type at one name.
func (s *service) values(zone, name, typ string) []string {
	var out []string
	for _, r := range s.emu.Records(zone) {
		if r.Name == name && r.Type == typ {
			if v, err := strconv.Unquote(r.Content); typ == "TXT" && err == nil {
				r.Content = v // stored quoted, as DNSimple does
			}
			out = append(out, r.Content)
		}
	}
	return out
}

// program finds a program the test runs, from a Debian package. Off CI a
// missing one skips the test, naming the package; on CI (CI=true, which
// .ci/run sets after installing them) it fails it.
func program(t *testing.T, name, debianPackage string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not installed: .ci/run must install Debian's %s package", name, debianPackage)
	}
	t.Skipf("%s is not installed; install Debian's %s package to run this test (.ci/run does)", name, debianPackage)
	return ""
}

// hostPort is the service's address without its scheme.
func (s *service) hostPort() string { return strings.TrimPrefix(s.url, "http://") }
