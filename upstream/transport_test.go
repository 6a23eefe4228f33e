package upstream

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestResetTime(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 9, 5, 6, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		headers map[string]string
		want    time.Time
	}{
		{"none", nil, time.Time{}},
		{"X-RateLimit-Reset", map[string]string{"X-RateLimit-Reset": "1757058040"}, time.Unix(1757058040, 0)},
		{"X-RateLimit-Reset wins over Retry-After",
			map[string]string{"X-RateLimit-Reset": "1757058040", "Retry-After": "5"}, time.Unix(1757058040, 0)},
		{"Retry-After seconds", map[string]string{"Retry-After": "30"}, now.Add(30 * time.Second)},
		{"Retry-After zero", map[string]string{"Retry-After": "0"}, now},
		{"garbage reset falls back to Retry-After",
			map[string]string{"X-RateLimit-Reset": "soon", "Retry-After": "7"}, now.Add(7 * time.Second)},
		{"zero reset falls back to Retry-After",
			map[string]string{"X-RateLimit-Reset": "0", "Retry-After": "7"}, now.Add(7 * time.Second)},
		{"negative reset", map[string]string{"X-RateLimit-Reset": "-5"}, time.Time{}},
		{"negative Retry-After", map[string]string{"Retry-After": "-5"}, time.Time{}},
		{"Retry-After as a date is not understood", map[string]string{"Retry-After": "Fri, 05 Sep 2025 07:00:00 GMT"}, time.Time{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := http.Header{}
			for k, v := range tc.headers {
				h.Set(k, v)
			}
			got := resetTime(h, now)
			assert.True(t, tc.want.Equal(got), "want %v, got %v", tc.want, got)
		})
	}
}

func TestCappedBody(t *testing.T) {
	t.Parallel()
	read := func(body string, limit int64) ([]byte, error) {
		b := &cappedBody{ReadCloser: io.NopCloser(strings.NewReader(body)), left: limit}
		return io.ReadAll(b)
	}

	got, err := read("0123456789", 10)
	require.NoError(t, err, "a body of exactly the limit is fine")
	assert.Equal(t, "0123456789", string(got))

	got, err = read("012345", 10)
	require.NoError(t, err)
	assert.Equal(t, "012345", string(got))

	_, err = read("0123456789x", 10)
	require.ErrorIs(t, err, errTooLarge, "one byte more is refused, not truncated")

	_, err = read(strings.Repeat("x", 1<<20), 10)
	require.ErrorIs(t, err, errTooLarge)

	got, err = read("", 0)
	require.NoError(t, err)
	assert.Empty(t, got)
}

func TestCappedBodyWithSmallReads(t *testing.T) {
	t.Parallel()
	b := &cappedBody{ReadCloser: io.NopCloser(strings.NewReader("abcdefgh")), left: 5}
	var out bytes.Buffer
	buf := make([]byte, 2)
	var err error
	for {
		var n int
		n, err = b.Read(buf)
		out.Write(buf[:n])
		if err != nil {
			break
		}
	}
	assert.ErrorIs(t, err, errTooLarge)
	assert.LessOrEqual(t, out.Len(), 5, "never more than the limit is handed on")
}

func TestTransportSetsTheTokenAndNotesTheAnswer(t *testing.T) {
	t.Parallel()
	var gotAuth []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth = r.Header.Values("Authorization")
		w.Header().Set("X-RateLimit-Reset", "1757058040")
		w.WriteHeader(http.StatusTeapot)
		_, _ = io.WriteString(w, "short")
	}))
	defer srv.Close()

	tr := &transport{token: testToken, next: http.DefaultTransport}
	var seen answer
	req, err := http.NewRequestWithContext(withAnswer(t.Context(), &seen), http.MethodGet, srv.URL, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer something-else")
	resp, err := tr.RoundTrip(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)

	assert.Equal(t, "short", string(body))
	assert.Equal(t, []string{"Bearer " + testToken}, gotAuth, "exactly one Authorization header, ours")
	assert.Equal(t, "Bearer something-else", req.Header.Get("Authorization"), "the caller's request is not modified")
	assert.Equal(t, http.StatusTeapot, seen.status)
	assert.True(t, seen.reset.Equal(time.Unix(1757058040, 0)))
}
