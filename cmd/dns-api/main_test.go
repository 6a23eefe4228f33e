package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dns-api/dns-api/internal/syncbuf"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dns-api/dns-api/auth"
	"github.com/dns-api/dns-api/upstream/emulator"
)

const (
	testSecret       = "cmd-test-secret-0123456789abcdef0123456789"
	testAccountToken = "cmd-test-account-token"
)

// freePort finds a loopback port nobody listens on.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// setServiceEnv sets a complete configuration pointing at an emulator.
func setServiceEnv(t *testing.T, port int) *emulator.Emulator {
	t.Helper()
	emu, err := emulator.New(emulator.Options{Token: testAccountToken, Zones: []string{"example.com"}})
	require.NoError(t, err)
	upstream := httptest.NewServer(emu)
	t.Cleanup(upstream.Close)
	for k, v := range map[string]string{
		"PORT":                   strconv.Itoa(port),
		"SECRET_KEY":             testSecret,
		"VALID_USERS":            "alice,bob",
		"DNSIMPLE_ACCOUNT_TOKEN": testAccountToken,
		"DNSIMPLE_ACCOUNT_ID":    "",
		"DNSIMPLE_DOMAINS":       "example.com",
		"BLACKLISTED_SUBDOMAINS": "www",
		"DNSIMPLE_BASE_URL":      upstream.URL,
		"UPSTREAM_TIMEOUT":       "5s",
	} {
		t.Setenv(k, v)
	}
	return emu
}

// start runs the command in the background; the returned function stops
// it (as SIGTERM would) and returns its error.
func start(t *testing.T, args []string, stdout, stderr io.Writer) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, args, stdout, stderr) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-done:
			case <-time.After(30 * time.Second):
				err = errors.New("the command did not stop")
			}
		})
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}

// waitHealthy polls the health check until it answers 200.
func waitHealthy(t *testing.T, base string, stderr *syncbuf.Buffer) {
	t.Helper()
	require.Eventually(t, func() bool {
		resp, err := http.Get(base + "/")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 20*time.Second, 20*time.Millisecond, "not healthy; stderr: %s", stderr)
}

func TestUsage(t *testing.T) {
	var stdout, stderr bytes.Buffer
	assert.ErrorIs(t, run(context.Background(), nil, &stdout, &stderr), errUsage)
	assert.Contains(t, stderr.String(), "usage: dns-api")
}

func TestServe(t *testing.T) {
	port := freePort(t)
	emu := setServiceEnv(t, port)
	stderr := &syncbuf.Buffer{}
	stop := start(t, []string{"serve"}, io.Discard, stderr)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	waitHealthy(t, base, stderr)

	tok, err := auth.Sign([]byte(testSecret), auth.Claims{Username: "alice"})
	require.NoError(t, err)
	req, _ := http.NewRequest(http.MethodPost, base+"/records/A/example.com/api/203.0.113.7", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusCreated, resp.StatusCode)
	assert.Len(t, emu.Records("example.com"), 6, "system records and the new one")

	require.NoError(t, stop(), "SIGTERM shuts down cleanly")
	logs := stderr.String()
	assert.Contains(t, logs, `"msg":"listening"`)
	assert.Contains(t, logs, `"msg":"shutting down"`)
	for _, secret := range []string{testSecret, testAccountToken, tok} {
		assert.NotContains(t, logs, secret)
	}
}

func TestServeRefusesBadConfig(t *testing.T) {
	cases := map[string]string{
		"SECRET_KEY":             "",
		"VALID_USERS":            "",
		"DNSIMPLE_DOMAINS":       "",
		"DNSIMPLE_ACCOUNT_TOKEN": "",
		"UPSTREAM_TIMEOUT":       "soon",
	}
	for variable, value := range cases {
		t.Run(variable, func(t *testing.T) {
			setServiceEnv(t, freePort(t))
			t.Setenv(variable, value)
			var stderr bytes.Buffer
			err := run(context.Background(), []string{"serve"}, io.Discard, &stderr)
			require.Error(t, err)
			assert.Contains(t, err.Error(), variable)
			assert.NotContains(t, err.Error()+stderr.String(), testSecret)
			assert.NotContains(t, err.Error()+stderr.String(), testAccountToken)
		})
	}
	t.Run("short secret", func(t *testing.T) {
		setServiceEnv(t, freePort(t))
		t.Setenv("SECRET_KEY", "short-secret-value")
		err := run(context.Background(), []string{"serve"}, io.Discard, io.Discard)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "SECRET_KEY")
		assert.NotContains(t, err.Error(), "short-secret-value")
	})
	t.Run("a base URL with user info or a query is never printed whole", func(t *testing.T) {
		for _, value := range []string{"https://user:hunter2-secret@api.dnsimple.com", "https://api.dnsimple.com/?key=hunter2-secret", "https://api.dnsimple.com/v2"} {
			setServiceEnv(t, freePort(t))
			t.Setenv("DNSIMPLE_BASE_URL", value)
			var stderr bytes.Buffer
			err := run(context.Background(), []string{"serve"}, io.Discard, &stderr)
			require.Error(t, err, value)
			assert.Contains(t, err.Error(), "DNSIMPLE_BASE_URL")
			assert.NotContains(t, err.Error()+stderr.String(), "hunter2")
		}
	})
	t.Run("account token refused by DNSimple", func(t *testing.T) {
		setServiceEnv(t, freePort(t))
		t.Setenv("DNSIMPLE_ACCOUNT_TOKEN", "wrong-token")
		err := run(context.Background(), []string{"serve"}, io.Discard, io.Discard)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "account token")
		assert.NotContains(t, err.Error(), "wrong-token")
	})
}

// claimsOf decodes a token's payload without verifying it.
func claimsOf(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	require.Len(t, parts, 3)
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	var claims map[string]any
	require.NoError(t, json.Unmarshal(payload, &claims))
	return claims
}

// printed is one token of token-generator's plain output.
type printed struct{ user, token, id string }

// printedTokens reads token-generator's plain output: for each token, the
// line "*** token for USER: TOKEN" and then "    id: JTI".
func printedTokens(t *testing.T, out string) []printed {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	require.Zero(t, len(lines)%2, "two lines a token: %q", out)
	var tokens []printed
	for i := 0; i < len(lines); i += 2 {
		head, token, ok := strings.Cut(lines[i], ": ")
		require.True(t, ok, lines[i])
		user, ok := strings.CutPrefix(head, "*** token for ")
		require.True(t, ok, lines[i])
		id, ok := strings.CutPrefix(lines[i+1], "    id: ")
		require.True(t, ok, lines[i+1])
		tokens = append(tokens, printed{user, token, id})
	}
	return tokens
}

func TestTokenGenerator(t *testing.T) {
	setServiceEnv(t, freePort(t))
	verifier, err := auth.NewVerifier(auth.Options{Key: []byte(testSecret), Users: []string{"alice", "bob"}, Zones: []string{"example.com"}})
	require.NoError(t, err)

	var stdout bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"token-generator"}, &stdout, io.Discard))
	tokens := printedTokens(t, stdout.String())
	require.Len(t, tokens, 2)
	for i, user := range []string{"alice", "bob"} {
		assert.Equal(t, user, tokens[i].user)
		id, err := verifier.Verify(tokens[i].token)
		require.NoError(t, err)
		assert.Equal(t, user, id.User)
		assert.Equal(t, tokens[i].id, id.TokenID, "the id printed is the token's jti")
		assert.True(t, id.ExpiresAt.IsZero(), "no --expires-in: never expires")
	}

	stdout.Reset()
	require.NoError(t, run(context.Background(), []string{"token-generator", "--user", "bob", "--expires-in", "90d"}, &stdout, io.Discard))
	tokens = printedTokens(t, stdout.String())
	require.Len(t, tokens, 1)
	claims := claimsOf(t, tokens[0].token)
	assert.Equal(t, "bob", claims["username"])
	lifetime := claims["exp"].(float64) - claims["iat"].(float64)
	assert.Equal(t, float64(90*24*3600), lifetime)
	_, err = verifier.Verify(tokens[0].token)
	assert.NoError(t, err)

	// --quiet prints the token alone, for $(...).
	stdout.Reset()
	require.NoError(t, run(context.Background(), []string{"token-generator", "--user", "alice", "--quiet"}, &stdout, io.Discard))
	id, err := verifier.Verify(strings.TrimSuffix(stdout.String(), "\n"))
	require.NoError(t, err, stdout.String())
	assert.Equal(t, "alice", id.User)

	for _, args := range [][]string{
		{"--user", "mallory"},
		{"--expires-in", "soon"},
		{"--expires-in", "-1h"},
		{"--json", "--quiet"},
	} {
		err := run(context.Background(), append([]string{"token-generator"}, args...), io.Discard, io.Discard)
		assert.Error(t, err, args)
	}
	var stderr bytes.Buffer
	assert.ErrorIs(t, run(context.Background(), []string{"token-generator", "--bogus"}, io.Discard, &stderr), errUsage)
	assert.Contains(t, stderr.String(), "dns-api token-generator: flag provided but not defined: -bogus", "says which flag")
	assert.Contains(t, stderr.String(), "-subdomains", "and which exist")
}

// The token generator says what would surprise: a name the blacklist makes
// unreachable, types in lower case.
func TestTokenGeneratorWarns(t *testing.T) {
	setServiceEnv(t, freePort(t))
	t.Setenv("BLACKLISTED_SUBDOMAINS", "www,*.internal")
	mint := func(args ...string) (map[string]any, string, error) {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), append([]string{"token-generator", "--user", "alice", "--quiet"}, args...), &stdout, &stderr)
		if err != nil {
			return nil, stderr.String(), err
		}
		return claimsOf(t, strings.TrimSpace(stdout.String())), stderr.String(), nil
	}

	claims, warnings, err := mint("--subdomains", "api,www,_acme-challenge.www,*.eu.internal,*.preview")
	require.NoError(t, err, "a token is still minted for what it can reach")
	for _, useless := range []string{"www", "_acme-challenge.www", "*.eu.internal"} {
		assert.Contains(t, warnings, "dns-api token-generator: warning: --subdomains "+useless+" is blacklisted")
	}
	assert.NotContains(t, warnings, "--subdomains api ")
	assert.NotContains(t, warnings, "--subdomains *.preview")
	assert.Len(t, claims["subdomains"], 5, "the claim is what was asked")

	_, _, err = mint("--subdomains", "www,db.internal")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "could touch nothing")

	claims, warnings, err = mint("--types", "a,aaaa,Txt", "--domains", "Example.COM", "--subdomains", "API")
	require.NoError(t, err)
	assert.Empty(t, warnings)
	assert.Equal(t, []any{"A", "AAAA", "TXT"}, claims["types"], "types are written upper case")
	assert.Equal(t, []any{"example.com"}, claims["domains"])
	assert.Equal(t, []any{"api"}, claims["subdomains"])
}

// Every command answers --help on stdout and exits 0; serve's help lists
// every variable of docs/configuration.md with its default.
func TestHelp(t *testing.T) {
	for _, args := range [][]string{
		{"--help"}, {"-h"}, {"help"}, {"help", "help"},
		{"serve", "--help"}, {"serve", "-h"}, {"help", "serve"},
		{"token-generator", "--help"}, {"token-generator", "-h"}, {"help", "token-generator"},
		{"token-generator", "--user", "alice", "--help"},
		{"dev", "--help"}, {"help", "dev"},
		{"version", "--help"},
	} {
		var stdout, stderr bytes.Buffer
		require.NoError(t, run(context.Background(), args, &stdout, &stderr), "%v", args)
		assert.Contains(t, stdout.String(), "usage: dns-api", "%v", args)
		assert.Empty(t, stderr.String(), "%v", args)
	}

	help := func(args ...string) string {
		var stdout bytes.Buffer
		require.NoError(t, run(context.Background(), args, &stdout, io.Discard))
		return stdout.String()
	}
	for _, command := range []string{"serve", "token-generator", "dev", "version"} {
		assert.Contains(t, help("help"), "  "+command+" ", "dns-api help lists %s", command)
	}
	serveHelp := help("serve", "--help")
	variables := configurationTable(t)
	require.Greater(t, len(variables), 15)
	for name, def := range variables {
		i := strings.Index(serveHelp, "  "+name)
		if !assert.GreaterOrEqual(t, i, 0, "serve --help lists %s", name) {
			continue
		}
		entry, _, _ := strings.Cut(serveHelp[i:], "\n")
		if def != "" {
			assert.Contains(t, entry, "(default "+def+")", "serve --help gives the default of %s", name)
		} else {
			assert.NotContains(t, entry, "(default", name)
		}
	}
	tokenHelp := help("token-generator", "--help")
	for _, flag := range []string{"-user", "-name", "-scope", "-domains", "-subdomains", "-types", "-cidrs", "-expires-in", "-json", "-quiet",
		"SECRET_KEY", "VALID_USERS", "DNSIMPLE_DOMAINS", "BLACKLISTED_SUBDOMAINS"} {
		assert.Contains(t, tokenHelp, flag)
	}
	assert.Contains(t, help("dev", "--help"), "SECRET_KEY")

	// What is not understood says what exists, on stderr, exit 2.
	for _, args := range [][]string{{"launch"}, {"serve", "extra"}, {"dev", "--port", "80"}, {"version", "x"}, {"help", "serve", "extra"}, {"help", "launch"}} {
		var stdout, stderr bytes.Buffer
		assert.ErrorIs(t, run(context.Background(), args, &stdout, &stderr), errUsage, "%v", args)
		assert.Empty(t, stdout.String())
		assert.Contains(t, stderr.String(), "usage: dns-api", "%v", args)
	}
}

func TestVersion(t *testing.T) {
	var stdout bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"version"}, &stdout, io.Discard))
	assert.Regexp(t, `^dns-api \S+ go1\.\d+\S* \w+/\w+\n$`, stdout.String())
	assert.Contains(t, stdout.String(), runtime.Version())

	defer func(v string) { version = v }(version)
	version = "v1.2.3"
	stdout.Reset()
	require.NoError(t, run(context.Background(), []string{"--version"}, &stdout, io.Discard))
	assert.True(t, strings.HasPrefix(stdout.String(), "dns-api v1.2.3 go1."), stdout.String())
}

func TestDevPrintsACurlLineThatWorks(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl is not installed (.ci/run installs it)")
	}
	port := freePort(t)
	t.Setenv("PORT", strconv.Itoa(port))
	stdout, stderr := &syncbuf.Buffer{}, &syncbuf.Buffer{}
	stop := start(t, []string{"dev"}, stdout, stderr)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	waitHealthy(t, base, stderr)

	var curlLine, exportLine string
	for _, line := range strings.Split(stdout.String(), "\n") {
		if strings.HasPrefix(line, "curl ") {
			curlLine = line
		}
		if strings.HasPrefix(line, "export TOKEN=") {
			exportLine = line
		}
	}
	require.NotEmpty(t, curlLine, "a curl line of its own: %s", stdout)
	require.NotEmpty(t, exportLine, stdout.String())
	assert.Contains(t, curlLine, base)

	// Run it as a user pastes it into a shell.
	out, err := exec.Command("sh", "-c", strings.Replace(curlLine, "curl ", curl+" -sS ", 1)).CombinedOutput()
	require.NoError(t, err, string(out))
	var answer struct {
		Data map[string]any `json:"data"`
		Meta struct {
			Status int    `json:"status"`
			Action string `json:"action"`
		} `json:"meta"`
	}
	require.NoError(t, json.Unmarshal(out, &answer), string(out))
	assert.Equal(t, http.StatusCreated, answer.Meta.Status)
	assert.Equal(t, "created", answer.Meta.Action)
	assert.Equal(t, "demo.example.com", answer.Data["fqdn"])

	// The exported token works with the README's style of call.
	script := exportLine + "\n" + curl + ` -sS -H "Authorization: Bearer $TOKEN" ` + base + "/records"
	out, err = exec.Command("sh", "-c", script).CombinedOutput()
	require.NoError(t, err, string(out))
	assert.Contains(t, string(out), `"demo.example.com"`)
	require.NoError(t, stop())
}

func TestTokenGeneratorScopedTokens(t *testing.T) {
	setServiceEnv(t, freePort(t))
	t.Setenv("DNSIMPLE_DOMAINS", "example.com,example.org")
	var stdout bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"token-generator",
		"--user", "alice", "--name", "ci previews", "--scope", "dns:write,dns:read",
		"--domains", "example.com", "--subdomains", "*.preview", "--types", "A,CNAME",
		"--cidrs", "203.0.113.0/24", "--expires-in", "90d", "--json",
	}, &stdout, io.Discard))
	var minted []struct {
		User   string         `json:"user"`
		Token  string         `json:"token"`
		Claims map[string]any `json:"claims"`
	}
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &minted), stdout.String())
	require.Len(t, minted, 1)
	assert.Equal(t, "alice", minted[0].User)
	claims := claimsOf(t, minted[0].Token)
	assert.Equal(t, claims, minted[0].Claims, "--json shows the token's claims")
	assert.Equal(t, "ci previews", claims["name"])
	assert.Equal(t, "dns:write dns:read", claims["scope"])
	assert.Equal(t, []any{"example.com"}, claims["domains"])
	assert.Equal(t, []any{"*.preview"}, claims["subdomains"])
	assert.Equal(t, []any{"A", "CNAME"}, claims["types"])
	assert.Equal(t, []any{"203.0.113.0/24"}, claims["cidrs"])
	assert.Equal(t, float64(90*24*3600), claims["exp"].(float64)-claims["iat"].(float64))
	assert.Len(t, claims["jti"], 32, "a random token id")

	verifier, err := auth.NewVerifier(auth.Options{Key: []byte(testSecret), Users: []string{"alice", "bob"}, Zones: []string{"example.com", "example.org"}})
	require.NoError(t, err)
	id, err := verifier.Verify(minted[0].Token)
	require.NoError(t, err)
	assert.False(t, id.Access.Read && id.Access.Write && id.Access.Zones == nil, "the token is scoped")

	// Without flags: one token per user, each with its own jti and an iat.
	stdout.Reset()
	require.NoError(t, run(context.Background(), []string{"token-generator"}, &stdout, io.Discard))
	ids := map[any]bool{}
	for _, p := range printedTokens(t, stdout.String()) {
		c := claimsOf(t, p.token)
		assert.NotEmpty(t, c["iat"])
		ids[c["jti"]] = true
	}
	assert.Len(t, ids, 2, "fresh jti per token")

	for _, args := range [][]string{
		{"--domains", "example.net"},
		{"--domains", ""},
		{"--scope", "dns:admin"},
		{"--scope", ""},
		{"--subdomains", "a.*"},
		{"--types", "MX"},
		{"--cidrs", "10.0.0.0/33"},
		{"--expires-in", "0d"},
		{"--expires-in", ""},
		{"--user", ""},
		{"--subdomains", "api.example.com"},
	} {
		var stdout bytes.Buffer
		err := run(context.Background(), append([]string{"token-generator"}, args...), &stdout, io.Discard)
		assert.Error(t, err, "%v", args)
		assert.Empty(t, stdout.String(), "no token printed for %v", args)
	}
}

// dev takes the service's variables that are set: a token minted with
// one's own SECRET_KEY for one's own users works against it, and the
// blacklist is one's own. That secret is never printed back.
func TestDevHonoursTheEnvironment(t *testing.T) {
	port := freePort(t)
	t.Setenv("PORT", strconv.Itoa(port))
	t.Setenv("SECRET_KEY", testSecret)
	t.Setenv("VALID_USERS", "alice,carol")
	t.Setenv("BLACKLISTED_SUBDOMAINS", "api,*.internal")
	t.Setenv("DNSIMPLE_DOMAINS", "elsewhere.example") // dev's zones are the emulator's
	t.Setenv("DNSIMPLE_BASE_URL", "https://api.dnsimple.com")
	stdout, stderr := &syncbuf.Buffer{}, &syncbuf.Buffer{}
	stop := start(t, []string{"dev"}, stdout, stderr)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	waitHealthy(t, base, stderr)

	banner := stdout.String()
	assert.NotContains(t, banner, testSecret)
	assert.Contains(t, banner, "users: alice, carol")
	assert.Contains(t, banner, "blacklisted: api, *.internal")
	assert.Contains(t, banner, "export VALID_USERS=alice,carol DNSIMPLE_DOMAINS=example.com,example.org BLACKLISTED_SUBDOMAINS='api,*.internal'")

	// A token minted by token-generator from the same environment.
	t.Setenv("DNSIMPLE_DOMAINS", "example.com,example.org")
	var minted bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"token-generator", "--user", "carol", "--quiet"}, &minted, io.Discard))
	token := strings.TrimSpace(minted.String())
	upsert := func(name string) int {
		req, _ := http.NewRequest(http.MethodPost, base+"/records/A/example.com/"+name+"/203.0.113.7", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, http.StatusCreated, upsert("www"), "www is not blacklisted here")
	assert.Equal(t, http.StatusForbidden, upsert("api"))
	assert.Equal(t, http.StatusForbidden, upsert("db.internal"))
	require.NoError(t, stop())
}
