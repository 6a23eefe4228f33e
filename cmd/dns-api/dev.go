package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/dns-api/dns-api/app"
	"github.com/dns-api/dns-api/auth"
	"github.com/dns-api/dns-api/config"
	"github.com/dns-api/dns-api/records"
	"github.com/dns-api/dns-api/upstream/emulator"
)

// The local demo's user and blacklist; devZones are its zones.
const (
	devUser      = "dev"
	devBlacklist = "www"
)

// devPropagation is how long the emulator takes to spread a change.
const devPropagation = 3 * time.Second

func devZones() []string { return []string{"example.com", "example.org"} }

// dev runs the service against an in-process DNSimple emulator, both on
// 127.0.0.1 only, with a fresh random secret, and prints a ready token and
// curl line. Nothing leaves the machine.
func dev(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		fmt.Fprintf(stderr, "dns-api dev takes no arguments (PORT sets the port, default 8000)\n")
		return errUsage
	}
	port := 8000
	if p := os.Getenv("PORT"); p != "" {
		var err error
		if port, err = config.ParsePort(p); err != nil {
			return fmt.Errorf("PORT: %w", err)
		}
	}
	secret, err := randomHex(32)
	if err != nil {
		return err
	}
	accountToken, err := randomHex(16)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewJSONHandler(stderr, nil))

	// The emulator: DNSimple's API on a loopback port of its own, reached
	// over real HTTP by the real client, exactly as in production.
	// DNSimple takes a few seconds to spread a change to its name servers:
	// so does the emulator here, so that ?wait= can be tried.
	emu, err := emulator.New(emulator.Options{Token: accountToken, Zones: devZones(), PropagationDelay: devPropagation})
	if err != nil {
		return err
	}
	emuListener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	emuServer := &http.Server{Handler: emu, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = emuServer.Serve(emuListener) }()
	defer emuServer.Close()

	blacklist, err := records.ParsePatterns([]string{devBlacklist})
	if err != nil {
		return err
	}
	cfg := config.Config{
		Port:            port,
		SecretKey:       config.Secret(secret),
		ValidUsers:      []string{devUser},
		AccountToken:    config.Secret(accountToken),
		Domains:         devZones(),
		Blacklist:       blacklist,
		TTL:             60,
		BaseURL:         "http://" + emuListener.Addr().String(),
		UpstreamTimeout: 10 * time.Second,
		RequestTimeout:  25 * time.Second,
		MaxConnections:  1000,
	}
	service, err := app.New(ctx, cfg, app.Options{Logger: logger, UserAgent: app.UserAgent + " (dev)"})
	if err != nil {
		return err
	}
	listener, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return fmt.Errorf("listen on 127.0.0.1:%d (set PORT to use another port): %w", port, err)
	}
	token, _, err := mint(cfg, auth.Claims{Username: devUser, Name: "dev demo"})
	if err != nil {
		return err
	}
	base := "http://" + listener.Addr().String()
	fmt.Fprintf(stdout, `dns-api dev: listening on %s against an embedded DNSimple emulator
zones: example.com, example.org; blacklisted: %s; user: %s
the token below is valid until this process stops (the secret is new each run):

export TOKEN=%s

try:
curl -X POST -H "Authorization: Bearer %s" %s/records/A/example.com/demo/203.0.113.7

`, base, devBlacklist, devUser, token, token, base)
	return service.Serve(ctx, listener)
}

// randomHex returns n random bytes, hex-encoded.
func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}
