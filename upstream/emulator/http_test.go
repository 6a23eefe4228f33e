package emulator

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAuthentication(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		auth   string
		status int
	}{
		{"no header", "", http.StatusUnauthorized},
		{"wrong token", "Bearer nope", http.StatusUnauthorized},
		{"token prefix", "Bearer " + testToken[:3], http.StatusUnauthorized},
		{"basic scheme", "Basic " + testToken, http.StatusUnauthorized},
		{"no scheme", testToken, http.StatusUnauthorized},
		{"right token", "Bearer " + testToken, http.StatusOK},
		{"scheme is case-insensitive", "bearer " + testToken, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := newEnv(t, Options{})
			for _, path := range []string{"/v2/whoami", recordsPath(testZone), "/v2/9999/zones"} {
				resp := env.doWithAuth(http.MethodGet, path, nil, tt.auth)
				if tt.status == http.StatusUnauthorized {
					assert.Equal(t, http.StatusUnauthorized, resp.status, path)
					assert.JSONEq(t, `{"message":"Authentication failed"}`, string(resp.body))
					assert.Empty(t, resp.header.Get("X-RateLimit-Remaining"), "a refused request spends nothing")
				} else {
					assert.NotEqual(t, http.StatusUnauthorized, resp.status, path)
				}
			}
		})
	}
}

func TestWhoami(t *testing.T) {
	t.Parallel()
	env := newEnv(t, Options{AccountID: 4242})
	resp := env.do(http.MethodGet, "/v2/whoami", nil)
	require.Equal(t, http.StatusOK, resp.status)
	assert.Equal(t, "application/json; charset=utf-8", resp.header.Get("Content-Type"))
	assert.NotEmpty(t, resp.header.Get("X-Request-Id"))
	assert.JSONEq(t, `{"data":{"user":null,"account":{
		"id":4242,"email":"account-4242@example.com","name":"Emulated Account",
		"plan_identifier":"teams-v1-monthly",
		"created_at":"2016-01-07T17:45:13Z","updated_at":"2016-01-07T17:45:13Z"}}}`, string(resp.body))
}

func TestCommonHeaders(t *testing.T) {
	t.Parallel()
	env := newEnv(t, Options{})
	first := env.do(http.MethodGet, "/v2/whoami", nil)
	second := env.do(http.MethodGet, recordsPath("missing.com"), nil)
	for _, resp := range []response{first, second} {
		assert.Equal(t, "application/json; charset=utf-8", resp.header.Get("Content-Type"))
		assert.Equal(t, "2400", resp.header.Get("X-RateLimit-Limit"))
		assert.Equal(t, fmt.Sprint(testStart.Add(time.Hour).Unix()), resp.header.Get("X-RateLimit-Reset"))
	}
	assert.Equal(t, "2399", first.header.Get("X-RateLimit-Remaining"))
	assert.Equal(t, "2398", second.header.Get("X-RateLimit-Remaining"))
	assert.NotEqual(t, first.header.Get("X-Request-Id"), second.header.Get("X-Request-Id"))
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	env := newEnv(t, Options{RateLimit: 3})
	reset := fmt.Sprint(testStart.Add(time.Hour).Unix())
	for _, remaining := range []string{"2", "1", "0"} {
		resp := env.do(http.MethodGet, "/v2/whoami", nil)
		env.clock.Advance(time.Minute)
		require.Equal(t, http.StatusOK, resp.status)
		assert.Equal(t, "3", resp.header.Get("X-RateLimit-Limit"))
		assert.Equal(t, remaining, resp.header.Get("X-RateLimit-Remaining"))
		assert.Equal(t, reset, resp.header.Get("X-RateLimit-Reset"), "the window starts at the first request")
	}
	// An unauthenticated request is refused before spending anything.
	assert.Equal(t, http.StatusUnauthorized, env.doWithAuth(http.MethodGet, "/v2/whoami", nil, "").status)

	for range 2 {
		resp := env.do(http.MethodPost, recordsPath(testZone), map[string]any{"name": "x", "type": "A", "content": "192.0.2.1"})
		assert.Equal(t, http.StatusTooManyRequests, resp.status)
		assert.JSONEq(t, `{"message":"quota exceeded"}`, string(resp.body))
		assert.Equal(t, "3", resp.header.Get("X-RateLimit-Limit"))
		assert.Equal(t, "0", resp.header.Get("X-RateLimit-Remaining"))
		assert.Equal(t, reset, resp.header.Get("X-RateLimit-Reset"))
	}
	assert.Len(t, env.emu.Records(testZone), 5, "a throttled request changes nothing")

	// Just before the window ends: still throttled. At its end: a new window.
	env.clock.Advance(time.Hour - 3*time.Minute - time.Second)
	assert.Equal(t, http.StatusTooManyRequests, env.do(http.MethodGet, "/v2/whoami", nil).status)
	env.clock.Advance(time.Second)
	resp := env.do(http.MethodGet, "/v2/whoami", nil)
	require.Equal(t, http.StatusOK, resp.status)
	assert.Equal(t, "2", resp.header.Get("X-RateLimit-Remaining"))
	assert.Equal(t, fmt.Sprint(testStart.Add(2*time.Hour).Unix()), resp.header.Get("X-RateLimit-Reset"))
}

func TestMethodNotAllowed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		method, path, allow string
	}{
		{http.MethodPost, "/v2/whoami", "GET, HEAD"},
		{http.MethodDelete, "/v2/1010/domains", "GET, HEAD"},
		{http.MethodPut, "/v2/1010/zones/example.com", "GET, HEAD"},
		{http.MethodPut, "/v2/1010/zones/example.com/records", "GET, HEAD, POST"},
		{http.MethodDelete, "/v2/1010/zones/example.com/records", "GET, HEAD, POST"},
		{http.MethodPut, "/v2/1010/zones/example.com/records/1", "DELETE, GET, HEAD, PATCH"},
		{http.MethodPost, "/v2/1010/zones/example.com/records/1", "DELETE, GET, HEAD, PATCH"},
		{http.MethodGet, "/v2/1010/zones/example.com/batch", "POST"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			t.Parallel()
			env := newEnv(t, Options{})
			// Routing comes before authentication, as at the real front.
			for _, auth := range []string{"Bearer " + testToken, ""} {
				resp := env.doWithAuth(tt.method, tt.path, nil, auth)
				assert.Equal(t, http.StatusMethodNotAllowed, resp.status)
				assert.Equal(t, tt.allow, resp.header.Get("Allow"))
				assert.Empty(t, resp.body)
				assert.Empty(t, resp.header.Get("Content-Type"))
			}
		})
	}
}

func TestUnknownRoutes(t *testing.T) {
	t.Parallel()
	paths := []string{
		"/",
		"/v2",
		"/v2/",
		"/v1/whoami",
		"/whoami",
		"/v2/whoami/extra",
		"/v2/1010/nothing",
		"/v2/1010/zones/example.com/file",
		"/v2/1010/zones/example.com/records/1/history",
		"/v2//zones",
	}
	for _, path := range paths {
		t.Run(path, func(t *testing.T) {
			t.Parallel()
			env := newEnv(t, Options{})
			for _, method := range []string{http.MethodGet, http.MethodPost} {
				resp := env.do(method, path, nil)
				assert.Equal(t, http.StatusNotFound, resp.status)
				assert.Equal(t, "application/json; charset=utf-8", resp.header.Get("Content-Type"))
				assert.JSONEq(t, `{"message":"Not Found"}`, string(resp.body))
			}
		})
	}
}

func TestUnknownAccount(t *testing.T) {
	t.Parallel()
	env := newEnv(t, Options{})
	for _, path := range []string{"/v2/1011/domains", "/v2/abc/zones/example.com", "/v2/1011/zones/example.com/records/1"} {
		resp := env.do(http.MethodGet, path, nil)
		assert.Equal(t, http.StatusNotFound, resp.status, path)
		account := strings.Split(path, "/")[2]
		assert.JSONEq(t, `{"message":"Account `+"`"+account+"`"+` not found"}`, string(resp.body))
		assert.NotEmpty(t, resp.header.Get("X-RateLimit-Remaining"))
	}
}

func TestRequestBodies(t *testing.T) {
	t.Parallel()
	big := `{"name":"www","type":"TXT","content":"` + strings.Repeat("a", 1<<20) + `"}`
	tests := []struct {
		name    string
		method  string
		path    string
		body    string
		status  int
		message string
	}{
		{"create too large", http.MethodPost, recordsPath(testZone), big, http.StatusRequestEntityTooLarge, "Request body too large"},
		{"batch too large", http.MethodPost, "/v2/1010/zones/example.com/batch", big, http.StatusRequestEntityTooLarge, "Request body too large"},
		{"create malformed", http.MethodPost, recordsPath(testZone), `{"name":`, http.StatusBadRequest, ""},
		{"update malformed", http.MethodPatch, recordsPath(testZone) + "/4294967298", `nope`, http.StatusBadRequest, ""},
		{"batch malformed", http.MethodPost, "/v2/1010/zones/example.com/batch", `{"creates":{}}`, http.StatusBadRequest, ""},
		{"wrong field type", http.MethodPost, recordsPath(testZone), `{"name":"www","type":"A","content":"192.0.2.1","ttl":"60"}`, http.StatusBadRequest, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := newEnv(t, Options{})
			resp := env.do(tt.method, tt.path, tt.body)
			assert.Equal(t, tt.status, resp.status)
			var body struct {
				Message string `json:"message"`
			}
			resp.decode(t, &body)
			if tt.message != "" {
				assert.Equal(t, tt.message, body.Message)
			} else {
				assert.True(t, strings.HasPrefix(body.Message, "Invalid JSON"), body.Message)
			}
			assert.Len(t, env.emu.Records(testZone), 5)
		})
	}
}

func TestHeadIsServedAsGet(t *testing.T) {
	t.Parallel()
	env := newEnv(t, Options{})
	resp := env.do(http.MethodHead, recordsPath(testZone), nil)
	assert.Equal(t, http.StatusOK, resp.status)
	assert.Empty(t, resp.body)
	assert.Equal(t, "application/json; charset=utf-8", resp.header.Get("Content-Type"))
}

func TestDomains(t *testing.T) {
	t.Parallel()
	env := newEnv(t, Options{Zones: []string{"gamma.test", "alpha.test", "beta.example"}})

	get := env.do(http.MethodGet, "/v2/1010/domains/alpha.test", nil)
	require.Equal(t, http.StatusOK, get.status)
	assert.JSONEq(t, `{"data":{"id":2,"account_id":1010,"registrant_id":null,"name":"alpha.test",
		"unicode_name":"alpha.test","state":"hosted","auto_renew":false,"private_whois":false,
		"expires_on":null,"expires_at":null,"trustee":false,
		"created_at":"2016-01-07T17:45:13Z","updated_at":"2016-01-07T17:45:13Z"}}`, string(get.body))

	tests := []struct {
		query string
		names []string
		pg    paginationJSON
	}{
		{"", []string{"alpha.test", "beta.example", "gamma.test"}, paginationJSON{1, 30, 3, 1}},
		{"?sort=id:asc", []string{"gamma.test", "alpha.test", "beta.example"}, paginationJSON{1, 30, 3, 1}},
		{"?sort=name:desc", []string{"gamma.test", "beta.example", "alpha.test"}, paginationJSON{1, 30, 3, 1}},
		{"?sort=expiration:asc", []string{"gamma.test", "alpha.test", "beta.example"}, paginationJSON{1, 30, 3, 1}},
		{"?name_like=TEST", []string{"alpha.test", "gamma.test"}, paginationJSON{1, 30, 2, 1}},
		{"?per_page=2&page=2", []string{"gamma.test"}, paginationJSON{2, 2, 3, 2}},
		{"?registrant_id=1", []string{}, paginationJSON{1, 30, 0, 1}},
	}
	for _, tt := range tests {
		resp := env.do(http.MethodGet, "/v2/1010/domains"+tt.query, nil)
		require.Equal(t, http.StatusOK, resp.status, tt.query)
		var body struct {
			Data []struct {
				Name  string `json:"name"`
				State string `json:"state"`
			} `json:"data"`
			Pagination paginationJSON `json:"pagination"`
		}
		resp.decode(t, &body)
		got := []string{}
		for _, d := range body.Data {
			got = append(got, d.Name)
			assert.Equal(t, "hosted", d.State)
		}
		assert.Equal(t, tt.names, got, tt.query)
		assert.Equal(t, tt.pg, body.Pagination, tt.query)
	}

	byID := env.do(http.MethodGet, "/v2/1010/domains/3", nil)
	require.Equal(t, http.StatusOK, byID.status)
	assert.Contains(t, string(byID.body), `"name":"beta.example"`)

	for _, ref := range []string{"missing.test", "0"} {
		resp := env.do(http.MethodGet, "/v2/1010/domains/"+ref, nil)
		assert.Equal(t, http.StatusNotFound, resp.status)
		assert.JSONEq(t, `{"message":"Domain `+"`"+ref+"`"+` not found"}`, string(resp.body))
	}
	assert.Equal(t, http.StatusBadRequest, env.do(http.MethodGet, "/v2/1010/domains?sort=content:asc", nil).status)
}

func TestZones(t *testing.T) {
	t.Parallel()
	env := newEnv(t, Options{Zones: []string{"example-beta.com", "example-alpha.com", "2.0.192.in-addr.arpa"}})

	get := env.do(http.MethodGet, "/v2/1010/zones/example-alpha.com", nil)
	require.Equal(t, http.StatusOK, get.status)
	assert.JSONEq(t, `{"data":{"id":2,"account_id":1010,"name":"example-alpha.com","reverse":false,
		"secondary":false,"last_transferred_at":null,"active":true,
		"created_at":"2016-01-07T17:45:13Z","updated_at":"2016-01-07T17:45:13Z"}}`, string(get.body))

	reverse := env.do(http.MethodGet, "/v2/1010/zones/3", nil)
	require.Equal(t, http.StatusOK, reverse.status)
	assert.Contains(t, string(reverse.body), `"reverse":true`)

	list := env.do(http.MethodGet, "/v2/1010/zones?name_like=example", nil)
	require.Equal(t, http.StatusOK, list.status)
	assert.JSONEq(t, `{"data":[
		{"id":2,"account_id":1010,"name":"example-alpha.com","reverse":false,"secondary":false,"last_transferred_at":null,"active":true,"created_at":"2016-01-07T17:45:13Z","updated_at":"2016-01-07T17:45:13Z"},
		{"id":1,"account_id":1010,"name":"example-beta.com","reverse":false,"secondary":false,"last_transferred_at":null,"active":true,"created_at":"2016-01-07T17:45:13Z","updated_at":"2016-01-07T17:45:13Z"}],
		"pagination":{"current_page":1,"per_page":30,"total_entries":2,"total_pages":1}}`, string(list.body))

	sorted := env.do(http.MethodGet, "/v2/1010/zones?sort=id:desc&per_page=1", nil)
	require.Equal(t, http.StatusOK, sorted.status)
	assert.Contains(t, string(sorted.body), `"name":"2.0.192.in-addr.arpa"`)
	assert.Contains(t, string(sorted.body), `"pagination":{"current_page":1,"per_page":1,"total_entries":3,"total_pages":3}`)

	missing := env.do(http.MethodGet, "/v2/1010/zones/missing.com", nil)
	assert.Equal(t, http.StatusNotFound, missing.status)
	assert.JSONEq(t, "{\"message\":\"Zone `missing.com` not found\"}", string(missing.body))
}
