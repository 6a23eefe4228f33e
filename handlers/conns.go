package handlers

import (
	"context"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
)

// Listener wraps a net.Listener for the service's HTTP server. It caps the
// connections open at once, so that a few thousand idle sockets cannot
// exhaust the process's descriptors. At the cap, a newcomer takes the
// place of the connection that has waited longest for a request (an idle
// keep-alive connection, whose client simply reconnects, or one that never
// sent a whole request); when every connection is busy with a request, the
// newcomer waits, and those after it wait in the kernel's backlog, where
// they cost the process nothing. It also watches each connection's request
// headers for framing that a proxy in front could read differently (see
// framingGuard).
type Listener struct {
	net.Listener
	slots chan struct{}
	done  chan struct{}
	close sync.Once

	mu      sync.Mutex
	waiting map[*conn]time.Time // connections without a request in progress, since when
}

// NewListener caps inner at max open connections.
func NewListener(inner net.Listener, max int) *Listener {
	return &Listener{
		Listener: inner,
		slots:    make(chan struct{}, max),
		done:     make(chan struct{}),
		waiting:  map[*conn]time.Time{},
	}
}

// Accept accepts a connection, then gives it a slot: a free one, or the
// slot of the connection that has waited longest for a request, or the
// first slot to come free.
func (l *Listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	select {
	case l.slots <- struct{}{}:
	default:
		l.closeLongestWaiting()
		select {
		case l.slots <- struct{}{}:
		case <-l.done:
			_ = c.Close()
			return nil, net.ErrClosed
		}
	}
	return &conn{Conn: c, release: func() { <-l.slots }}, nil
}

// Close stops accepting, waking an Accept that waits for a slot.
func (l *Listener) Close() error {
	l.close.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// closeLongestWaiting closes the connection that has waited longest
// without a request in progress, if there is one.
func (l *Listener) closeLongestWaiting() {
	l.mu.Lock()
	var victim *conn
	var since time.Time
	for c, t := range l.waiting {
		if victim == nil || t.Before(since) {
			victim, since = c, t
		}
	}
	delete(l.waiting, victim)
	l.mu.Unlock()
	if victim != nil {
		_ = victim.Close()
	}
}

// trackState is the http.Server's ConnState hook: it keeps the set of
// connections that closeLongestWaiting may take.
func (l *Listener) trackState(nc net.Conn, state http.ConnState) {
	c, ok := nc.(*conn)
	if !ok {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	switch state {
	case http.StateNew, http.StateIdle:
		l.waiting[c] = time.Now()
	default:
		delete(l.waiting, c)
	}
}

// conn is an accepted connection: it gives its slot back once, when
// closed, and feeds what it reads to its framing guard.
type conn struct {
	net.Conn
	release func()
	closed  sync.Once
	guard   framingGuard
}

func (c *conn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.guard.feed(p[:n])
	return n, err
}

func (c *conn) Close() error {
	err := c.Conn.Close()
	c.closed.Do(c.release)
	return err
}

// framingGuard finds header blocks carrying both Content-Length and
// Transfer-Encoding in the bytes a connection reads. Go's server quietly
// drops the Content-Length of such a request and reads the body chunked,
// but a proxy in front may have framed it by its Content-Length: the bytes
// after it would then be a request the proxy never saw (request
// smuggling). RFC 9112 section 6.1 says to refuse such a message, or at
// least close the connection after it. The guard reads every line
// start; a line inside a body can only raise a false alarm for a body
// that holds raw header lines, which is never valid JSON anyway. Once
// tainted, every request on the connection is refused and the
// connection closed.
type framingGuard struct {
	line       [len(teField)]byte // the start of the line, lower case
	lineLen    int                // the whole line's length so far
	length, te bool               // the current header block has them
	tainted    atomic.Bool
}

const (
	lengthField = "content-length:"
	teField     = "transfer-encoding:"
)

func (g *framingGuard) feed(p []byte) {
	for _, b := range p {
		if b != '\n' {
			if g.lineLen < len(g.line) {
				if 'A' <= b && b <= 'Z' {
					b += 'a' - 'A'
				}
				g.line[g.lineLen] = b
			}
			g.lineLen++
			continue
		}
		start := string(g.line[:min(g.lineLen, len(g.line))])
		switch {
		case g.lineLen == 0 || g.lineLen == 1 && start == "\r":
			// An empty line ends a header block.
			if g.length && g.te {
				g.tainted.Store(true)
			}
			g.length, g.te = false, false
		case strings.HasPrefix(start, lengthField):
			g.length = true
		case start == teField:
			g.te = true
		}
		g.lineLen = 0
	}
}

// connKey is where the server puts the request's connection in its
// context.
type connKey struct{}

// refuseAmbiguousFraming answers 400 and closes the connection when the
// request's connection carried a header block with both Content-Length
// and Transfer-Encoding.
func refuseAmbiguousFraming(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if cn, ok := c.Request().Context().Value(connKey{}).(*conn); ok && cn.guard.tainted.Load() {
			c.Response().Header().Set("Connection", "close")
			return badRequest("a request may not carry both Content-Length and Transfer-Encoding")
		}
		return next(c)
	}
}

// withConn is the server's ConnContext hook.
func withConn(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, c)
}
