package handlers

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFramingGuard(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		stream  string
		tainted bool
	}{
		{"length only", "POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\nab", false},
		{"chunked only", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", false},
		{"both", "POST / HTTP/1.1\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n", true},
		{"both in a second request", "GET / HTTP/1.1\r\n\r\nPOST / HTTP/1.1\r\ntransfer-encoding: chunked\r\ncontent-length: 0\r\n\r\n", true},
		{"in different requests", "POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\nPOST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", false},
		{"bare line feeds", "POST / HTTP/1.1\nContent-Length: 2\nTransfer-Encoding: chunked\n\n", true},
		{"a folded line is not a field", "POST / HTTP/1.1\r\nX: a\r\n Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n", false},
		{"a longer name is another field", "POST / HTTP/1.1\r\nContent-Length-X: 2\r\nTransfer-Encoding: chunked\r\n\r\n", false},
	}
	for _, tt := range tests {
		for _, size := range []int{1, 3, len(tt.stream)} { // however reads split it
			var g framingGuard
			for s := tt.stream; s != ""; {
				n := min(size, len(s))
				g.feed([]byte(s[:n]))
				s = s[n:]
			}
			assert.Equal(t, tt.tainted, g.tainted.Load(), "%s, read %d bytes at a time", tt.name, size)
		}
	}
}

func TestListenerCapsAndMakesRoom(t *testing.T) {
	t.Parallel()
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	l := NewListener(inner, 2)
	srv := NewHTTPServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") }),
		l, time.Second, slog.New(slog.NewTextHandler(io.Discard, nil)))
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })

	dial := func() net.Conn {
		c, err := net.Dial("tcp", inner.Addr().String())
		require.NoError(t, err)
		t.Cleanup(func() { c.Close() })
		return c
	}
	// Two silent connections fill the cap; a third client still gets its
	// answer, because the longest-waiting silent one makes room.
	silent := []net.Conn{dial(), dial()}
	c := dial()
	_, err = io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	require.NoError(t, err)
	require.NoError(t, c.SetReadDeadline(time.Now().Add(10*time.Second)))
	buf := make([]byte, 64)
	n, err := c.Read(buf)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(buf[:n]), "HTTP/1.1 200"), string(buf[:n]))
	closed := 0
	for _, sc := range silent {
		require.NoError(t, sc.SetReadDeadline(time.Now().Add(100*time.Millisecond)))
		if _, err := sc.Read(buf); err == io.EOF {
			closed++
		}
	}
	assert.Equal(t, 1, closed, "one silent connection was closed to make room")

	assert.Positive(t, srv.IdleTimeout, "idle keep-alive connections are closed")
	assert.LessOrEqual(t, srv.IdleTimeout, time.Minute)
	assert.Positive(t, srv.ReadHeaderTimeout)
}

func TestEscapeFixer(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"GET /a%zzb HTTP/1.1\r\nHost: x\r\n\r\n", "GET /a%25zzb HTTP/1.1\r\nHost: x\r\n\r\n"},
		{"GET /a%41b%2F HTTP/1.1\r\n\r\n", "GET /a%41b%2F HTTP/1.1\r\n\r\n"},
		{"GET /%%41 HTTP/1.1\r\n\r\n", "GET /%25%41 HTTP/1.1\r\n\r\n"},
		{"GET /a% HTTP/1.1\r\n\r\n", "GET /a%25 HTTP/1.1\r\n\r\n"},
		{"GET /a%4 HTTP/1.1\r\n\r\n", "GET /a%254 HTTP/1.1\r\n\r\n"},
		{"GET /a?q=%zz HTTP/1.1\r\n\r\n", "GET /a?q=%zz HTTP/1.1\r\n\r\n"},
		{"GET /a HTTP/1.1\r\nX-Odd: %zz\r\n\r\n", "GET /a HTTP/1.1\r\nX-Odd: %zz\r\n\r\n"},
		{"POST /a HTTP/1.1\r\nContent-Length: 12\r\n\r\n{\"to\":\"%zz\"}", "POST /a HTTP/1.1\r\nContent-Length: 12\r\n\r\n{\"to\":\"%zz\"}"},
		{"GET /ok HTTP/1.1\r\n\r\nGET /b%zz HTTP/1.1\r\n\r\n", "GET /ok HTTP/1.1\r\n\r\nGET /b%25zz HTTP/1.1\r\n\r\n"},
	}
	for _, tt := range tests {
		for _, size := range []int{1, 2, 5, len(tt.in)} {
			var f escapeFixer
			var out []byte
			for s := tt.in; s != ""; {
				n := min(size, len(s))
				out = f.rewrite([]byte(s[:n]), out)
				s = s[n:]
			}
			assert.Equal(t, tt.want, string(out), "%q read %d at a time", tt.in, size)
		}
	}
}
