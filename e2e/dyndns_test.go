package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dns-api/dns-api/auth"
)

// runClient runs a client program to completion (bounded: a client that
// waits to retry is stopped) and returns what it printed.
func runClient(t *testing.T, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	t.Logf("%s %v:\n%s", filepath.Base(name), args, out)
	return string(out), err
}

// writeFile writes a private file in dir.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	return path
}

func TestDdclient(t *testing.T) {
	ddclient := program(t, "ddclient", "ddclient")
	s := startService(t, "www")
	dir := t.TempDir()
	conf := func(password, ip string, hosts ...string) string {
		// The README's configuration, with plain http to the local
		// service and a given address (no web lookup here).
		body := replace(t, readmeBlock(t, "# /etc/ddclient.conf"),
			"use=web", "use=ip, ip="+ip, "ssl=yes", "ssl=no", "server=dns.example.com", "server="+s.hostPort(),
			"YOUR_TOKEN", password, "home.example.com\n", strings.Join(hosts, "\n")+"\n")
		return writeFile(t, dir, "ddclient.conf", body)
	}
	run := func(file string) (string, error) {
		return runClient(t, ddclient, "-daemon=0", "-foreground", "-verbose", "-noquiet", "-force",
			"-file", file, "-cache", filepath.Join(dir, "ddclient.cache"))
	}
	tok := token(t, auth.Claims{Name: "router", Scope: "dns:write", Subdomains: []string{"home", "nas"}})

	out, err := run(conf(tok, "192.0.2.10", "home.example.com,nas.example.org"))
	require.NoError(t, err)
	assert.Contains(t, out, "SUCCESS:  updating home.example.com: good: IP address set to 192.0.2.10")
	assert.Contains(t, out, "SUCCESS:  updating nas.example.org: good: IP address set to 192.0.2.10")
	assert.Equal(t, []string{"192.0.2.10"}, s.values("example.com", "home", "A"))
	assert.Equal(t, []string{"192.0.2.10"}, s.values("example.org", "nas", "A"))

	out, err = run(conf(tok, "192.0.2.10", "home.example.com"))
	require.NoError(t, err)
	assert.Contains(t, out, "updating home.example.com: nochg")

	out, _ = run(conf(tok, "192.0.2.11", "www.example.com"))
	assert.Contains(t, out, "FAILED:   updating www.example.com: nohost")
	out, _ = run(conf("not-a-token", "192.0.2.11", "home.example.com"))
	assert.Contains(t, out, "FAILED:   updating home.example.com: authorization failed")
	assert.Equal(t, []string{"192.0.2.10"}, s.values("example.com", "home", "A"))
}

func TestInadyn(t *testing.T) {
	inadyn := program(t, "inadyn", "inadyn")
	s := startService(t, "www")
	dir := t.TempDir()
	cache := filepath.Join(dir, "cache")
	require.NoError(t, os.Mkdir(cache, 0o700))
	conf := func(password, ip, host string) string {
		// The README's configuration, with plain http to the local
		// service and a given address (no lookup of it here).
		return writeFile(t, dir, "inadyn.conf", replace(t, readmeBlock(t, "# /etc/inadyn.conf"),
			"ddns-server    = dns.example.com", "ssl = false\n    checkip-command = \"/bin/echo "+ip+"\"\n    ddns-server = "+s.hostPort(),
			"YOUR_TOKEN", password, `"home.example.com"`, `"`+host+`"`))
	}
	run := func(file string) (string, error) {
		return runClient(t, inadyn, "-1", "--force", "--foreground", "-f", file, "-l", "info", "--cache-dir="+cache)
	}
	tok := token(t, auth.Claims{Name: "router", Scope: "dns:write", Subdomains: []string{"home"}})

	out, err := run(conf(tok, "192.0.2.20", "home.example.com"))
	require.NoError(t, err)
	assert.Contains(t, out, "Successful alias table update for home.example.com => new IP# 192.0.2.20")
	assert.Equal(t, []string{"192.0.2.20"}, s.values("example.com", "home", "A"))

	out, err = run(conf(tok, "192.0.2.20", "home.example.com"))
	require.NoError(t, err, "an unchanged address is a success too")
	assert.Contains(t, out, "Successful alias table update for home.example.com")

	out, err = run(conf(tok, "192.0.2.21", "www.example.com"))
	assert.Error(t, err)
	assert.Contains(t, out, "nohost")
	out, err = run(conf("not-a-token", "192.0.2.21", "home.example.com"))
	assert.Error(t, err)
	assert.Contains(t, out, "Authentication failure")
	assert.Equal(t, []string{"192.0.2.20"}, s.values("example.com", "home", "A"))
}
