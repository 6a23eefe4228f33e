package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"

	"github.com/dns-api/dns-api/app"
	"github.com/dns-api/dns-api/config"
)

func serve(ctx context.Context, args []string, _, stderr io.Writer) error {
	if err := noArguments("serve", args, stderr); err != nil {
		return err
	}
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	if err := cfg.RequireAccountToken(); err != nil {
		return err
	}
	logger := slog.New(slog.NewJSONHandler(stderr, nil))
	service, err := app.New(ctx, cfg, app.Options{Logger: logger, Version: buildVersion()})
	if err != nil {
		return err
	}
	listener, err := net.Listen("tcp", fmt.Sprintf(":%d", cfg.Port))
	if err != nil {
		return err
	}
	logger.Info("listening", "addr", listener.Addr().String(), "account", service.AccountID(),
		"domains", cfg.Domains, "dnsimple", cfg.BaseURL, "version", buildVersion()) // validated: no user info, no query
	return service.Serve(ctx, listener)
}

func serveHelp(w io.Writer) {
	fmt.Fprint(w, `usage: dns-api serve

Runs the service: HTTP on PORT, acting on DNSimple with the account token
for whoever holds a token signed with SECRET_KEY. It logs one JSON line per
request to stderr and stops cleanly on SIGTERM or SIGINT. Heroku's Procfile
runs it as the web process.

It takes no flags; it is configured from the environment:

`)
	if err := config.Usage(w); err != nil {
		fmt.Fprintf(w, "  (the list could not be printed: %v)\n", err)
	}
	fmt.Fprint(w, `
Durations are Go durations (10s, 1m). A bad value stops it at start with a
line naming the variable; secrets are never printed.
`)
}
