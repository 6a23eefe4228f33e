package handlers_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dns-api/dns-api/internal/syncbuf"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	vconfig "github.com/pb33f/libopenapi-validator/config"
	verrors "github.com/pb33f/libopenapi-validator/errors"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dns-api/dns-api/app"
	"github.com/dns-api/dns-api/config"
	"github.com/dns-api/dns-api/records"
	"github.com/dns-api/dns-api/upstream/emulator"
)

const (
	testSecret       = "test-secret-key-0123456789abcdef-0123456789"
	testAccountToken = "dnsimple-account-token-do-not-leak"
	testTimeout      = 2 * time.Second
)

// stack is the whole service as it runs in production: the real router and
// middleware, the real DNSimple client, talking over HTTP to the emulator.
// faults, when set, answers in the emulator's place.
type stack struct {
	t    testing.TB
	emu  *emulator.Emulator
	app  *app.App
	url  string // the service's
	logs *syncbuf.Buffer

	mu    sync.Mutex
	fault func(w http.ResponseWriter, r *http.Request) bool
}

type stackOptions struct {
	blacklist      []string
	timeout        time.Duration
	revoked        []string
	acceptLegacy   bool
	trustedProxies []netip.Prefix
	onHeroku       bool
	maxConnections int
	cacheTTL       time.Duration      // 0: a minute, as in production; below 0: no cache
	propagation    time.Duration      // how long the emulator takes to spread a change
	emulator       *emulator.Emulator // another stack's, to be a second instance of one service
	redisURL       string             // the state shared by instances
}

func newStack(t testing.TB, opts stackOptions) *stack {
	t.Helper()
	s := &stack{t: t, logs: &syncbuf.Buffer{}}
	emu := opts.emulator
	if emu == nil {
		var err error
		emu, err = emulator.New(emulator.Options{
			Token: testAccountToken, Zones: []string{"example.com", "example.org"}, RateLimit: 1 << 30,
			PropagationDelay: opts.propagation,
		})
		require.NoError(t, err)
	}
	s.emu = emu
	upstreamSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		fault := s.fault
		s.mu.Unlock()
		if fault != nil && fault(w, r) {
			return
		}
		emu.ServeHTTP(w, r)
	}))
	t.Cleanup(upstreamSrv.Close)

	timeout := opts.timeout
	if timeout == 0 {
		timeout = testTimeout
	}
	blacklist, err := records.ParsePatterns(opts.blacklist)
	require.NoError(t, err)
	if opts.maxConnections == 0 {
		opts.maxConnections = 1000
	}
	switch {
	case opts.cacheTTL == 0:
		opts.cacheTTL = time.Minute
	case opts.cacheTTL < 0:
		opts.cacheTTL = 0
	}
	cfg := config.Config{
		SecretKey:          config.Secret(testSecret),
		ValidUsers:         []string{"alice", "bob"},
		AccountToken:       config.Secret(testAccountToken),
		Domains:            []string{"example.com", "example.org"},
		Blacklist:          blacklist,
		TTL:                60,
		BaseURL:            upstreamSrv.URL,
		RevokedTokens:      opts.revoked,
		UpstreamTimeout:    timeout,
		RequestTimeout:     3 * timeout,
		TrustedProxies:     opts.trustedProxies,
		OnHeroku:           opts.onHeroku,
		MaxConnections:     opts.maxConnections,
		CacheTTL:           opts.cacheTTL,
		RedisURL:           config.Secret(opts.redisURL),
		AcceptLegacyTokens: opts.acceptLegacy,
	}
	service, err := app.New(context.Background(), cfg, app.Options{Logger: slog.New(slog.NewJSONHandler(s.logs, nil))})
	require.NoError(t, err)
	s.app = service
	if opts.emulator == nil {
		emu.ResetRequests() // forget the whoami of the account id discovery
	}

	// The service runs as serve runs it: its own listener and server.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- service.Serve(ctx, l) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-served)
	})
	s.url = "http://" + l.Addr().String()
	return s
}

// setFault makes the upstream answer with f (when it returns true) instead
// of the emulator; nil restores the emulator.
func (s *stack) setFault(f func(w http.ResponseWriter, r *http.Request) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault = f
}

// seed stores records in the emulator as-is (duplicates included).
func (s *stack) seed(zone string, recs ...emulator.Record) []emulator.Record {
	s.t.Helper()
	var out []emulator.Record
	for _, r := range recs {
		if r.TTL == 0 {
			r.TTL = 3600
		}
		stored, err := s.emu.Seed(zone, r)
		require.NoError(s.t, err)
		out = append(out, stored)
	}
	return out
}

// set returns the emulator's records of one name and type.
func (s *stack) set(zone, name, typ string) []emulator.Record {
	var out []emulator.Record
	for _, r := range s.emu.Records(zone) {
		if r.Name == name && r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

// writes counts the requests that changed something upstream.
func (s *stack) writes() int {
	n := 0
	for _, r := range s.emu.Requests() {
		if r.Method != http.MethodGet {
			n++
		}
	}
	return n
}

// token mints an HS256 token by hand (header, payload, HMAC), independently
// of the code under test.
func token(payload string) string {
	return signWith(`{"alg":"HS256","typ":"JWT"}`, payload, testSecret)
}

// signWith builds a compact JWS: base64url(header).base64url(payload).
// base64url(HMAC-SHA256(key, those two)).
func signWith(header, payload, key string) string {
	return signWithHash(header, payload, key, sha256.New)
}

// signWithHash is signWith with another HMAC hash.
func signWithHash(header, payload, key string, h func() hash.Hash) string {
	enc := base64.RawURLEncoding
	input := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload))
	mac := hmac.New(h, []byte(key))
	mac.Write([]byte(input))
	return input + "." + enc.EncodeToString(mac.Sum(nil))
}

var aliceToken = token(`{"username":"alice"}`)

// answer is a decoded response.
type answer struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (a answer) data() map[string]any {
	d, _ := a.body["data"].(map[string]any)
	return d
}

func (a answer) list() []any {
	d, _ := a.body["data"].([]any)
	return d
}

func (a answer) title() string {
	errs, _ := a.body["errors"].([]any)
	if len(errs) == 0 {
		return ""
	}
	first, _ := errs[0].(map[string]any)
	title, _ := first["title"].(string)
	return title
}

func (a answer) action() string {
	meta, _ := a.body["meta"].(map[string]any)
	action, _ := meta["action"].(string)
	return action
}

// request is one call to the service.
type request struct {
	method  string
	path    string
	body    string
	token   string // "" sends no Authorization header
	headers map[string]string
}

// do sends r and checks the envelope's invariants on every answer: JSON,
// meta.status equal to the HTTP status, data xor errors, and no secret.
func (s *stack) do(r request) answer {
	s.t.Helper()
	a := s.send(r)
	if r.method == http.MethodHead {
		return a
	}
	require.NoError(s.t, json.Unmarshal([]byte(a.raw), &a.body), "not JSON: %s", a.raw)
	meta, ok := a.body["meta"].(map[string]any)
	require.True(s.t, ok, "no meta in %s", a.raw)
	require.EqualValues(s.t, a.status, meta["status"], "meta.status in %s", a.raw)
	_, hasData := a.body["data"]
	_, hasErrors := a.body["errors"]
	require.True(s.t, hasData != hasErrors, "exactly one of data and errors: %s", a.raw)
	require.Equal(s.t, a.status >= 400, hasErrors, "errors iff failure: %s", a.raw)
	return a
}

// openAPIValidator checks requests and answers against the document the
// service serves at /openapi.json.
var openAPIValidator = sync.OnceValues(func() (validator.Validator, error) {
	spec, err := os.ReadFile("openapi.json")
	if err != nil {
		return nil, err
	}
	doc, err := libopenapi.NewDocument(spec)
	if err != nil {
		return nil, err
	}
	v, errs := validator.NewValidator(doc, vconfig.WithStandardBodyDecoders(), vconfig.WithFormatAssertions())
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		return nil, fmt.Errorf("the document is not valid: %v", verrs)
	}
	return v, nil
})

// checkAgainstOpenAPI holds an exchange to the OpenAPI document: every
// answer must be as the document describes it, and a request the
// document says is malformed must have been refused (4xx). Requests to a
// path or method the document does not have (tests of unknown routes)
// have no operation to check against.
func (s *stack) checkAgainstOpenAPI(req *http.Request, body string, resp *http.Response, raw []byte) {
	s.t.Helper()
	v, err := openAPIValidator()
	require.NoError(s.t, err)
	fresh := func() *http.Request {
		r := req.Clone(context.Background())
		r.Body = io.NopCloser(strings.NewReader(body))
		return r
	}
	reqOK, reqErrs := v.ValidateHttpRequest(fresh())
	if !reqOK && noOperation(reqErrs) || routerAnswer(resp.StatusCode, raw) {
		return
	}
	if !reqOK {
		assert.True(s.t, resp.StatusCode >= 400 && resp.StatusCode < 500,
			"%s %s: the document calls the request malformed (%s), but it was answered %d", req.Method, req.URL, validationText(reqErrs), resp.StatusCode)
	}
	copied := *resp
	copied.Body = io.NopCloser(bytes.NewReader(raw))
	if ok, errs := v.ValidateHttpResponse(fresh(), &copied); !ok {
		s.t.Errorf("%s %s: the answer %d is not as the OpenAPI document says: %s\n%s", req.Method, req.URL, resp.StatusCode, validationText(errs), raw)
	}
}

// routerAnswer reports the router's own 404 and 405, for a path or method
// no operation has.
func routerAnswer(status int, raw []byte) bool {
	return status == http.StatusNotFound && bytes.Contains(raw, []byte(`"no such endpoint"`)) ||
		status == http.StatusMethodNotAllowed
}

func noOperation(errs []*verrors.ValidationError) bool {
	for _, e := range errs {
		if e.ValidationType == "path" || strings.Contains(e.Message, "not found") && strings.Contains(e.Message, "Path") {
			return true
		}
	}
	return false
}

func validationText(errs []*verrors.ValidationError) string {
	var parts []string
	for _, e := range errs {
		part := e.Message + ": " + e.Reason
		for _, se := range e.SchemaValidationErrors {
			part += " [" + se.Reason + " at " + se.FieldPath + "]"
		}
		parts = append(parts, part)
	}
	return strings.Join(parts, "; ")
}

// send sends r and returns the answer undecoded, checking that no secret
// is in it and that the exchange is as the OpenAPI document says.
func (s *stack) send(r request) answer {
	s.t.Helper()
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	req, err := http.NewRequest(r.method, s.url+r.path, body)
	require.NoError(s.t, err)
	if r.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.token != "" {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	for k, v := range r.headers {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(s.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(s.t, err)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	s.checkAgainstOpenAPI(req, r.body, resp, raw)
	require.NotContains(s.t, string(raw), testAccountToken)
	require.NotContains(s.t, string(raw), testSecret)
	if r.token != "" {
		require.NotContains(s.t, string(raw), r.token)
	}
	return a
}
