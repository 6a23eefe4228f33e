// Package handlers is dns-api's HTTP face: the routes, the middleware
// (logging, body limit, deadline, authentication), the JSON envelope, the
// one error handler, and thin adapters that turn each protocol's requests
// into calls of the records package.
package handlers

import (
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/dns-api/dns-api/auth"
	"github.com/dns-api/dns-api/records"
)

// maxBodyBytes is the largest request body accepted: 64 KiB.
const maxBodyBytes = 64 << 10

// Deps are what the server needs.
type Deps struct {
	Records  *records.Service
	Verifier *auth.Verifier
	Logger   *slog.Logger
	// RequestTimeout bounds the whole of one request, all upstream calls
	// included.
	RequestTimeout time.Duration
	// TrustedProxies are the networks whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix
	// OnHeroku, without TrustedProxies, takes the client from the last
	// X-Forwarded-For entry, which Heroku's router appends.
	OnHeroku bool
	// Metrics counts requests and refused tokens, and serves /metrics.
	Metrics Metrics
	// SharedStateUp, when several instances share their state, reports
	// whether it answers (for the health check); nil when none is used.
	SharedStateUp func() bool
	// Now is the clock (nil means time.Now).
	Now func() time.Time
}

// Metrics is what the HTTP layer counts, and the /metrics endpoint.
type Metrics interface {
	// Request counts an answered request by its route's pattern.
	Request(route, method string, status int, took time.Duration)
	// Refused counts a request refused for want of a valid token.
	Refused(reason string)
	// Handler serves the metrics.
	Handler() http.Handler
}

// NewServer builds the HTTP handler of the service.
func NewServer(deps Deps) (http.Handler, error) {
	if deps.Records == nil || deps.Verifier == nil || deps.Logger == nil || deps.Metrics == nil {
		return nil, errors.New("handlers: records, verifier, logger and metrics are required")
	}
	if deps.RequestTimeout <= 0 {
		return nil, errors.New("handlers: a positive request timeout is required")
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.Debug = false // internal errors never reach a body
	e.HTTPErrorHandler = errorHandler(deps.Now)
	e.IPExtractor = clientIP(deps.TrustedProxies, deps.OnHeroku)
	e.Pre(requestID, refuseAmbiguousFraming, routeOnEscapedPath)
	e.Use(observe(deps.Logger, deps.Metrics), middleware.Recover(), refuseOptions)
	addRoutes(e, deps)
	return e, nil
}

// NewHTTPServer builds the HTTP server for handler on l, with the
// deadlines that keep slow or idle clients from holding connections.
func NewHTTPServer(handler http.Handler, l *Listener, requestTimeout time.Duration, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler: handler,
		// Slow clients must not hold connections: headers in 10s, a 64 KiB
		// body well within 15s.
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       15 * time.Second,
		// Long enough for the slowest request the deadline allows.
		WriteTimeout: requestTimeout + 10*time.Second,
		// Idle keep-alive connections go after a short while; under
		// pressure the listener closes them sooner.
		IdleTimeout:    30 * time.Second,
		MaxHeaderBytes: 64 << 10,
		ConnState:      l.trackState,
		ConnContext:    withConn,
		ErrorLog:       slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}
