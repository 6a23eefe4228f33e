package e2e

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dns-api/dns-api/auth"
)

// TestIssuanceWithCertbot obtains a certificate for a name and its
// wildcard from pebble with certbot's manual hooks, exactly as the README
// prints them, calling dns-api with curl.
func TestIssuanceWithCertbot(t *testing.T) {
	certbot := program(t, "certbot", "certbot")
	program(t, "curl", "curl")
	s := startService(t, "www")
	ca := startPebble(t, s.dnsResponder(t))
	dir := t.TempDir()
	for name, marker := range map[string]string{"dns-api-auth-hook": "# dns-api-auth-hook:", "dns-api-cleanup-hook": "# dns-api-cleanup-hook:"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(readmeBlock(t, marker)), 0o700))
	}
	tok := token(t, auth.Claims{Name: "certbot", Scope: "dns:write", Subdomains: []string{"api"}, Types: []string{"TXT"}})

	cmd := exec.Command(certbot, "certonly", "--manual", "--preferred-challenges", "dns",
		"--manual-auth-hook", "./dns-api-auth-hook", "--manual-cleanup-hook", "./dns-api-cleanup-hook",
		"-d", "api.example.com", "-d", "*.api.example.com",
		// What a test needs beyond the README's line: no questions, the
		// test CA, and directories of its own.
		"--non-interactive", "--agree-tos", "--register-unsafely-without-email", "--server", ca.directory,
		"--config-dir", filepath.Join(dir, "config"), "--work-dir", filepath.Join(dir, "work"), "--logs-dir", filepath.Join(dir, "logs"))
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "DNS_API_URL="+s.url, "DNS_API_TOKEN="+tok, "REQUESTS_CA_BUNDLE="+ca.certFile)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)

	raw, err := os.ReadFile(filepath.Join(dir, "config", "live", "api.example.com", "cert.pem"))
	require.NoError(t, err, "%s", out)
	block, _ := pem.Decode(raw)
	require.NotNil(t, block)
	cert, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"api.example.com", "*.api.example.com"}, cert.DNSNames)
	assert.Empty(t, s.values("example.com", "_acme-challenge.api", "TXT"), "no challenge value is left behind")
}
