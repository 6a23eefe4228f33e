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
	service, err := app.New(ctx, cfg, app.Options{Logger: logger})
	if err != nil {
		return err
	}
	listener, err := net.Listen("tcp", fmt.Sprintf(":%d", cfg.Port))
	if err != nil {
		return err
	}
	logger.Info("listening", "addr", listener.Addr().String(), "account", service.AccountID(),
		"domains", cfg.Domains, "dnsimple", config.RedactURL(cfg.BaseURL))
	return service.Serve(ctx, listener)
}
