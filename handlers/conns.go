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
	escapes escapeFixer
	buf     []byte // what out is a part of
	out     []byte // read and rewritten, not yet returned
	err     error  // the last read's error, returned once out is
}

func (c *conn) Read(p []byte) (int, error) {
	for len(c.out) == 0 && c.err == nil {
		n, err := c.Conn.Read(p)
		c.guard.feed(p[:n])
		c.out, c.err = c.escapes.rewrite(p[:n], c.buf[:0]), err
		c.buf = c.out
	}
	n := copy(p, c.out)
	c.out = c.out[n:]
	if n > 0 {
		return n, nil
	}
	err := c.err // returned once: after a deadline, the server reads on
	c.err = nil
	return 0, err
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

// escapeFixer rewrites a malformed percent-escape in the path of a request
// line ("%zz": a '%' not followed by two hex digits) into an escaped '%'
// ("%25zz"). Go's server answers such a request with a plain-text 400
// before any handler sees it; rewritten, it reaches the router, which
// finds no such name ("a%zzb" is not a valid one) and answers with the
// JSON envelope like every other 400. Only a line at the start of a
// header block that reads like a request line ("METHOD /target ...") is
// touched, and only its path.
type escapeFixer struct {
	started    bool
	state      lineState
	blockStart bool   // the current line starts a header block
	lineEmpty  bool   // the current line is empty so far (or a lone '\r')
	held       []byte // a '%' (and a hex digit) waiting for what follows
}

type lineState int

const (
	lineStart lineState = iota
	inMethod
	inTarget
	restOfLine
)

// rewrite appends p, rewritten, to out; the bytes of an escape not yet
// complete are held back for the next call.
func (f *escapeFixer) rewrite(p, out []byte) []byte {
	if !f.started {
		f.started, f.blockStart, f.lineEmpty = true, true, true
	}
	for _, b := range p {
		out = f.put(b, out)
	}
	return out
}

func (f *escapeFixer) put(b byte, out []byte) []byte {
	if len(f.held) > 0 {
		f.held = append(f.held, b)
		switch {
		case !isHex(b):
			// Not an escape: the '%' becomes "%25", and what followed it
			// is read again.
			held := f.held
			f.held = nil
			out = append(out, "%25"...)
			for _, c := range held[1:] {
				out = f.put(c, out)
			}
		case len(f.held) == 3:
			out = append(out, f.held...)
			f.held = f.held[:0]
		}
		return out
	}
	if f.state == inTarget && b == '%' {
		f.held = append(f.held, b)
		return out
	}
	f.advance(b)
	return append(out, b)
}

// advance moves the line state over a byte passed on as it is.
func (f *escapeFixer) advance(b byte) {
	if b == '\n' {
		f.blockStart, f.state, f.lineEmpty = f.lineEmpty, lineStart, true
		return
	}
	if b != '\r' {
		f.lineEmpty = false
	}
	switch {
	case f.state == lineStart && f.blockStart && 'A' <= b && b <= 'Z':
		f.state = inMethod
	case f.state == lineStart:
		f.state = restOfLine
	case f.state == inMethod && b == ' ':
		f.state = inTarget
	case f.state == inMethod && !('A' <= b && b <= 'Z'):
		f.state = restOfLine
	case f.state == inTarget && (b == ' ' || b == '?'):
		f.state = restOfLine
	}
}

func isHex(b byte) bool { return '0' <= b && b <= '9' || 'a' <= b && b <= 'f' || 'A' <= b && b <= 'F' }

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
