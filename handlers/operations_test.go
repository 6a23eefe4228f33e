package handlers_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRequestIDs(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	theirs := "f3c9a5b2-1d4e-4b7a-9c8e-0a1b2c3d4e5f"
	a := s.do(request{method: http.MethodPost, path: "/records/A/example.com/api/1.2.3", token: aliceToken,
		headers: map[string]string{"X-Request-ID": theirs}})
	assert.Equal(t, theirs, a.header.Get("X-Request-ID"), "Heroku's router's id is kept")
	meta := a.body["meta"].(map[string]any)
	assert.Equal(t, theirs, meta["request_id"], "and is in the error envelope")
	logs := s.logs.String()
	assert.Contains(t, logs, `"request_id":"`+theirs+`"`)
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, `"msg":"request"`) || strings.Contains(line, `"msg":"audit"`) {
			assert.Contains(t, line, `"request_id":"`, "every line of a request carries its id: %s", line)
		}
	}

	for _, bad := range []string{"short", strings.Repeat("a", 201), "has spaces in it, twenty+", "semi;colon-and-more-chars-here"} {
		a = s.do(request{method: http.MethodGet, path: "/", headers: map[string]string{"X-Request-ID": bad}})
		id := a.header.Get("X-Request-ID")
		assert.NotEqual(t, bad, id)
		assert.Regexp(t, regexp.MustCompile(`^[0-9a-f]{32}$`), id, "a new one")
	}
	a = s.do(request{method: http.MethodGet, path: "/"})
	assert.Len(t, a.header.Get("X-Request-ID"), 32)
	_, inSuccess := a.body["meta"].(map[string]any)["request_id"]
	assert.False(t, inSuccess, "success envelopes keep python-dns-api's shape")
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	s.do(request{method: http.MethodPost, path: "/records/A/example.com/api/203.0.113.7", token: aliceToken})
	s.do(request{method: http.MethodPost, path: "/records/A/example.com/api/203.0.113.7", token: aliceToken})
	s.do(request{method: http.MethodGet, path: "/whoami"})
	s.do(request{method: http.MethodGet, path: "/whoami", token: "not.a.token"})
	s.send(request{method: http.MethodGet, path: "/no/such/path"})
	for i := range 3 {
		s.send(request{method: fmt.Sprintf("INVENTED%d", i), path: "/"})
	}

	a := s.send(request{method: http.MethodGet, path: "/metrics"})
	assert.Equal(t, http.StatusUnauthorized, a.status, "the metrics need a token")
	a = s.send(request{method: http.MethodGet, path: "/metrics", token: token(`{"username":"alice","scope":"dns:write"}`)})
	require.Equal(t, http.StatusOK, a.status, "any valid token: %s", a.raw)
	assert.Contains(t, a.header.Get("Content-Type"), "text/plain")
	for _, want := range []string{
		`dnsapi_http_requests_total{method="POST",route="/records/:type/:domain/:subdomain/:to",status="201"} 1`,
		`dnsapi_http_requests_total{method="POST",route="/records/:type/:domain/:subdomain/:to",status="200"} 1`,
		`dnsapi_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`dnsapi_http_requests_total{method="other",route="/",status="405"} 3`,
		`dnsapi_http_request_duration_seconds_bucket{method="POST",route="/records/:type/:domain/:subdomain/:to",le="+Inf"} 2`,
		`dnsapi_dnsimple_calls_total{operation="find",outcome="ok"} 1`,
		`dnsapi_dnsimple_calls_total{operation="create",outcome="ok"} 1`,
		`dnsapi_dnsimple_rate_limit_remaining `,
		`dnsapi_dnsimple_rate_limit_reset_timestamp_seconds `,
		`dnsapi_cache_lookups_total{kind="set",result="hit"} 2`, // the create's second look (under the lock), the repeat's
		`dnsapi_cache_lookups_total{kind="set",result="miss"} 1`,
		`dnsapi_auth_refusals_total{reason="missing"} 2`,
		`dnsapi_auth_refusals_total{reason="malformed"} 1`,
		`dnsapi_build_info{goversion="go`,
		`process_resident_memory_bytes `,
		`go_goroutines `,
	} {
		assert.Contains(t, a.raw, want)
	}
	assert.NotContains(t, a.raw, "/no/such/path", "never the raw path")
	assert.NotContains(t, a.raw, "INVENTED", "nor a method of the caller's invention")
	assert.NotContains(t, a.raw, "example.com")
}
