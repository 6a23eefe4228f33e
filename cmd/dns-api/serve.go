package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/dns-api/dns-api/auth"
	"github.com/dns-api/dns-api/config"
	"github.com/dns-api/dns-api/handlers"
	"github.com/dns-api/dns-api/records"
	"github.com/dns-api/dns-api/upstream"
)

// userAgent identifies the service to DNSimple.
const userAgent = "dns-api/1"

// shutdownGrace is how long in-flight requests get after SIGTERM; Heroku
// kills the process 30 seconds after sending it.
const shutdownGrace = 25 * time.Second

func serve(ctx context.Context, args []string, stderr io.Writer) error {
	if len(args) > 0 {
		fmt.Fprintf(stderr, "dns-api serve takes no arguments; it is configured from the environment\n")
		return errUsage
	}
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	if err := cfg.RequireAccountToken(); err != nil {
		return err
	}
	logger := slog.New(slog.NewJSONHandler(stderr, nil))
	provider, err := upstream.NewDNSimple(ctx, upstream.DNSimpleConfig{
		BaseURL:   cfg.BaseURL,
		Token:     cfg.AccountToken.Reveal(),
		AccountID: cfg.AccountID,
		Timeout:   cfg.UpstreamTimeout,
		UserAgent: userAgent,
	})
	if err != nil {
		return fmt.Errorf("DNSimple at %s: %w", cfg.BaseURL, err)
	}
	handler, err := newHandler(cfg, provider, logger)
	if err != nil {
		return err
	}
	listener, err := net.Listen("tcp", fmt.Sprintf(":%d", cfg.Port))
	if err != nil {
		return err
	}
	logger.Info("listening", "addr", listener.Addr().String(), "account", provider.AccountID(),
		"domains", cfg.Domains, "dnsimple", cfg.BaseURL)
	return serveHTTP(ctx, listener, handler, requestTimeout(cfg), logger)
}

// requestTimeout bounds one request: an upsert makes up to three calls to
// DNSimple (look up, change, and a page more for a long set), each with
// its own UPSTREAM_TIMEOUT.
func requestTimeout(cfg config.Config) time.Duration { return 3 * cfg.UpstreamTimeout }

// newHandler wires the records service, the token verifier and the HTTP
// layer; serve and dev differ only in the provider and logger they pass.
func newHandler(cfg config.Config, provider upstream.Provider, logger *slog.Logger) (http.Handler, error) {
	svc, err := records.NewService(provider, records.Options{
		Zones:     cfg.Domains,
		Blacklist: cfg.Blacklist,
		TTL:       cfg.TTL,
		Audit:     logger,
	})
	if err != nil {
		return nil, err
	}
	verifier, err := newVerifier(cfg)
	if err != nil {
		return nil, err
	}
	return handlers.NewServer(handlers.Deps{
		Records:        svc,
		Verifier:       verifier,
		Logger:         logger,
		RequestTimeout: requestTimeout(cfg),
		TrustedProxies: cfg.TrustedProxies,
	})
}

// serveHTTP serves on listener until ctx is cancelled, then drains.
func serveHTTP(ctx context.Context, listener net.Listener, handler http.Handler, reqTimeout time.Duration, logger *slog.Logger) error {
	srv := &http.Server{
		Handler: handler,
		// Slow clients must not hold connections: headers in 10s, a 64 KiB
		// body well within 30s.
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		// Long enough for the slowest request the deadline allows.
		WriteTimeout:   reqTimeout + 10*time.Second,
		IdleTimeout:    2 * time.Minute,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(listener) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
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

// newVerifier builds the token verifier the configuration describes; the
// token generator checks what it mints with the same one.
func newVerifier(cfg config.Config) (*auth.Verifier, error) {
	return auth.NewVerifier(auth.Options{
		Key:          []byte(cfg.SecretKey.Reveal()),
		Users:        cfg.ValidUsers,
		Revoked:      cfg.RevokedTokens,
		Zones:        cfg.Domains,
		AcceptLegacy: cfg.AcceptLegacyTokens,
	})
}
