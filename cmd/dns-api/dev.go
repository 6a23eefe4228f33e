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
	"strings"
	"time"

	"github.com/dns-api/dns-api/app"
	"github.com/dns-api/dns-api/auth"
	"github.com/dns-api/dns-api/config"
	"github.com/dns-api/dns-api/records"
	"github.com/dns-api/dns-api/upstream/emulator"
)

// devPropagation is how long the emulator takes to spread a change.
const devPropagation = 3 * time.Second

func devZones() []string { return []string{"example.com", "example.org"} }

// dev runs the service against an in-process DNSimple emulator, both on
// 127.0.0.1 only, and prints a ready token, a curl line, and how to mint
// more tokens for it. The service variables that are set count (see
// config.LoadDev); what a demo needs and is not set is made up: a user
// dev, the blacklist www, a secret new each run. Nothing leaves the
// machine.
func dev(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if err := noArguments("dev", args, stderr); err != nil {
		return err
	}
	secret, err := randomHex(32)
	if err != nil {
		return err
	}
	accountToken, err := randomHex(16)
	if err != nil {
		return err
	}
	// Log lines for a person at a terminal (serve writes JSON).
	logger := slog.New(slog.NewTextHandler(stderr, nil))

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

	cfg, err := config.LoadDev(config.Dev{
		BaseURL: "http://" + emuListener.Addr().String(), AccountToken: accountToken, Domains: devZones(),
		Secret: secret, User: "dev", Blacklist: "www",
	})
	if err != nil {
		return err
	}
	service, err := app.New(ctx, cfg, app.Options{Logger: logger, UserAgent: app.UserAgent + " (dev)", Version: buildVersion()})
	if err != nil {
		return err
	}
	listener, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", cfg.Port))
	if err != nil {
		return fmt.Errorf("listen on 127.0.0.1:%d (set PORT to use another port): %w", cfg.Port, err)
	}
	user := cfg.ValidUsers[0]
	token, claims, err := mint(cfg, auth.Claims{Username: user, Name: "dev demo"})
	if err != nil {
		return err
	}
	base := "http://" + listener.Addr().String()
	// The variables token-generator needs to mint tokens this dev takes.
	// A SECRET_KEY of the user's own is not repeated on the terminal.
	mintEnv := fmt.Sprintf("export VALID_USERS=%s DNSIMPLE_DOMAINS=%s BLACKLISTED_SUBDOMAINS=%s",
		shellQuote(strings.Join(cfg.ValidUsers, ",")), shellQuote(strings.Join(cfg.Domains, ",")), shellQuote(patternsText(cfg.Blacklist)))
	secretNote := "SECRET_KEY: yours (dev's tokens and yours work until you change it)"
	if _, set := os.LookupEnv("SECRET_KEY"); set {
		mintEnv += "   # and the SECRET_KEY you gave dev"
	} else {
		mintEnv = strings.Replace(mintEnv, "export ", "export SECRET_KEY="+cfg.SecretKey.Reveal()+" ", 1)
		secretNote = "SECRET_KEY: made up for this run (its tokens work until dev stops)"
	}
	fmt.Fprintf(stdout, `dns-api dev: %s, against an embedded DNSimple emulator (nothing leaves this machine)
zones: %s; blacklisted: %s; users: %s
%s

export TOKEN=%s
# a token for %s with every permission, id %s

try:
curl -X POST -H "Authorization: Bearer %s" %s/records/A/example.com/demo/203.0.113.7

to mint more tokens for this dev, in another shell:
%s
go run ./cmd/dns-api token-generator --user %s --subdomains api --types A

`, base, strings.Join(cfg.Domains, ", "), orNothing(strings.ReplaceAll(patternsText(cfg.Blacklist), ",", ", ")), strings.Join(cfg.ValidUsers, ", "), secretNote,
		token, user, claims.ID, token, base, mintEnv, user)
	return service.Serve(ctx, listener)
}

// patternsText is a list of patterns as BLACKLISTED_SUBDOMAINS takes it.
func patternsText(ps records.Patterns) string {
	texts := make([]string, len(ps))
	for i, p := range ps {
		texts[i] = p.String()
	}
	return strings.Join(texts, ",")
}

func orNothing(s string) string {
	if s == "" {
		return "nothing"
	}
	return s
}

// shellQuote quotes s for a POSIX shell when it holds more than letters,
// digits and ,._-
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789,._-") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// randomHex returns n random bytes, hex-encoded.
func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

func devHelp(w io.Writer) {
	fmt.Fprint(w, `usage: dns-api dev

Runs the whole service on 127.0.0.1 against a DNSimple emulator inside the
process, with the zones example.com and example.org, and prints a ready
token, a curl line to try, and how to mint more tokens for it. Nothing
leaves the machine; records live until it stops.

It takes no flags. The service's variables count when they are set
(dns-api serve --help lists them), except that DNSimple is always the
emulator; what is not set is made up:
  PORT                    8000
  SECRET_KEY              a new random one each run, printed
  VALID_USERS             dev
  BLACKLISTED_SUBDOMAINS  www

To try scoped tokens, keep one secret across runs:
  export SECRET_KEY=$(openssl rand -hex 32) VALID_USERS=alice,dev
  go run ./cmd/dns-api dev
and in another shell, with the same variables and DNSIMPLE_DOMAINS=example.com,example.org:
  go run ./cmd/dns-api token-generator --user alice --subdomains api --types A
`)
}
