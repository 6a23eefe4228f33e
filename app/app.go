// Package app builds dns-api from its parts: the DNS provider, the
// records service, the token verifier and the HTTP server. It is the one
// place that does, so that `serve`, `dev`, the load tool and the tests all
// run the same service.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/dns-api/dns-api/auth"
	"github.com/dns-api/dns-api/config"
	"github.com/dns-api/dns-api/handlers"
	"github.com/dns-api/dns-api/metrics"
	"github.com/dns-api/dns-api/records"
	"github.com/dns-api/dns-api/state"
	"github.com/dns-api/dns-api/state/redisstate"
	"github.com/dns-api/dns-api/upstream"
)

// UserAgent identifies the service to DNSimple.
const UserAgent = "dns-api/1"

// shutdownGrace is how long in-flight requests get after SIGTERM; Heroku
// kills the process 30 seconds after sending it.
const shutdownGrace = 25 * time.Second

// Options are the parts that differ between the ways the service runs.
type Options struct {
	// Logger receives the request log and the audit log (required).
	Logger *slog.Logger
	// Provider is the DNS provider; nil means DNSimple as the
	// configuration describes it.
	Provider upstream.Provider
	// UserAgent names the caller to DNSimple (default UserAgent).
	UserAgent string
	// Version is the build's, for the metrics.
	Version string
}

// App is the service, ready to serve.
type App struct {
	cfg       config.Config
	logger    *slog.Logger
	handler   http.Handler
	accountID string
	closers   []func() error // what Close stops
}

// New builds the service the configuration describes: the DNSimple
// provider (which may call DNSimple once, to discover the account id),
// behind the rate-budget gate and the read cache; the state they and the
// name locks keep; the records service; the token verifier; the metrics;
// and the HTTP handler.
func New(ctx context.Context, cfg config.Config, opts Options) (*App, error) {
	if opts.Logger == nil {
		return nil, errors.New("app: a logger is required")
	}
	if opts.UserAgent == "" {
		opts.UserAgent = UserAgent
	}
	logger := slog.New(handlers.LogRequestIDs(opts.Logger.Handler()))
	m := metrics.New(opts.Version)
	a := &App{cfg: cfg, logger: logger}
	var store state.Store = state.NewMemory(nil)
	var sharedUp func() bool
	if cfg.RedisURL != "" {
		shared, err := redisstate.New(ctx, redisstate.Options{
			URL:           cfg.RedisURL.Reveal(),
			TLSSkipVerify: cfg.RedisTLSSkipVerify,
			// Longer than the longest write a lock guards.
			Lease:  cfg.RequestTimeout + 5*time.Second,
			Logger: logger,
			Up:     m.SharedState,
		})
		if err != nil {
			return nil, fmt.Errorf("REDIS_URL: %w", err)
		}
		store, sharedUp = shared, shared.Up
		a.closers = append(a.closers, shared.Close)
	}
	observe := func(c upstream.Call) {
		m.Call(c)
		upstream.ReportTo(store)(c)
	}
	provider, accountID := opts.Provider, ""
	if provider == nil {
		dnsimple, err := upstream.NewDNSimple(ctx, upstream.DNSimpleConfig{
			BaseURL:   cfg.BaseURL,
			Token:     cfg.AccountToken.Reveal(),
			AccountID: cfg.AccountID,
			Timeout:   cfg.UpstreamTimeout,
			UserAgent: opts.UserAgent,
			Observe:   observe,
		})
		if err != nil {
			return nil, fmt.Errorf("DNSimple at %s: %w", config.RedactURL(cfg.BaseURL), err)
		}
		provider = dnsimple
		accountID = dnsimple.AccountID()
	}
	provider = upstream.NewGated(provider, store)
	if cfg.CacheTTL > 0 {
		provider = upstream.NewCached(provider, store, cfg.CacheTTL, m.CacheLookup)
	}
	svc, err := records.NewService(provider, records.Options{
		Zones:        cfg.Domains,
		Blacklist:    cfg.Blacklist,
		TTL:          cfg.TTL,
		Locks:        store,
		ReadsCached:  cfg.CacheTTL > 0,
		WriteTimeout: cfg.RequestTimeout,
		Audit:        logger,
	})
	if err != nil {
		return nil, err
	}
	verifier, err := NewVerifier(cfg)
	if err != nil {
		return nil, err
	}
	handler, err := handlers.NewServer(handlers.Deps{
		Records:        svc,
		Verifier:       verifier,
		Logger:         logger,
		RequestTimeout: cfg.RequestTimeout,
		TrustedProxies: cfg.TrustedProxies,
		OnHeroku:       cfg.OnHeroku,
		Metrics:        m,
		SharedStateUp:  sharedUp,
	})
	if err != nil {
		return nil, err
	}
	a.handler, a.accountID = handler, accountID
	return a, nil
}

// NewVerifier builds the token verifier the configuration describes; the
// token generator checks what it mints with the same one.
func NewVerifier(cfg config.Config) (*auth.Verifier, error) {
	return auth.NewVerifier(auth.Options{
		Key:          []byte(cfg.SecretKey.Reveal()),
		Users:        cfg.ValidUsers,
		Revoked:      cfg.RevokedTokens,
		Zones:        cfg.Domains,
		AcceptLegacy: cfg.AcceptLegacyTokens,
	})
}

// Handler is the service's HTTP handler.
func (a *App) Handler() http.Handler { return a.handler }

// Close stops what the service runs beside its requests (the shared
// state's connections).
func (a *App) Close() {
	for _, c := range a.closers {
		_ = c()
	}
}

// Serve serves on l until ctx is done, then stops accepting and gives the
// requests in flight shutdownGrace to finish; then it closes the app.
func (a *App) Serve(ctx context.Context, l net.Listener) error {
	defer a.Close()
	listener := handlers.NewListener(l, a.cfg.MaxConnections)
	srv := handlers.NewHTTPServer(a.handler, listener, a.cfg.RequestTimeout, a.logger)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(listener) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// AccountID is the DNSimple account the service acts on, when known.
func (a *App) AccountID() string { return a.accountID }
