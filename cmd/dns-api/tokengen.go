package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/dns-api/dns-api/app"
	"github.com/dns-api/dns-api/auth"
	"github.com/dns-api/dns-api/config"
	"github.com/dns-api/dns-api/fault"
	"github.com/dns-api/dns-api/records"
)

// tokenOptions are token-generator's flags.
type tokenOptions struct {
	user, name, scope, domains, subdomains, types, cidrs, expiresIn string
	asJSON, quiet                                                   bool
}

func (o *tokenOptions) flagSet() *flag.FlagSet {
	flags := flag.NewFlagSet("token-generator", flag.ContinueOnError)
	flags.StringVar(&o.user, "user", "", "mint a token for this user only (must be in VALID_USERS)")
	flags.StringVar(&o.name, "name", "", "a label for the token, shown by /whoami")
	flags.StringVar(&o.scope, "scope", "", `permissions, space- or comma-separated: "dns:read", "dns:write" (default: both)`)
	flags.StringVar(&o.domains, "domains", "", "comma-separated zones the token may touch (default: all managed)")
	flags.StringVar(&o.subdomains, "subdomains", "", "comma-separated names or globs the token may touch, like api,*.preview (default: any not blacklisted)")
	flags.StringVar(&o.types, "types", "", "comma-separated record types, like A,AAAA (default: all)")
	flags.StringVar(&o.cidrs, "cidrs", "", "comma-separated client networks the token may be used from, like 203.0.113.0/24 (default: anywhere)")
	flags.StringVar(&o.expiresIn, "expires-in", "", "lifetime of the token, like 90d, 12h or 30m (default: never expires)")
	flags.BoolVar(&o.asJSON, "json", false, "print a JSON list of {user, token, claims} instead")
	flags.BoolVar(&o.quiet, "quiet", false, "print only the tokens, one per line, for a script: TOKEN=$(dns-api token-generator --user alice --quiet)")
	return flags
}

func tokenGeneratorHelp(w io.Writer) {
	fmt.Fprint(w, `usage: dns-api token-generator [flags]

Prints a token for each user in VALID_USERS (or for --user), one line each,
as python-dns-api did, followed by the token's id (jti), which
REVOKED_TOKENS takes to revoke it:

  *** token for alice: eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9...
      id: 5f0c...

Flags narrow what the tokens may do; each one left out means no restriction
beyond the service's own. Every token is checked as the service would check
it before it is printed.

flags:
`)
	flags := (&tokenOptions{}).flagSet()
	flags.SetOutput(w)
	flags.PrintDefaults()
	fmt.Fprint(w, `
It reads from the environment, as the service does (dns-api serve --help):
  SECRET_KEY              the key the service checks tokens with (required)
  VALID_USERS             the users that may hold tokens (required)
  DNSIMPLE_DOMAINS        the managed zones, which --domains must be among (required)
  BLACKLISTED_SUBDOMAINS  names nobody may touch (a --subdomains entry they cover is warned of)
It does not talk to DNSimple: DNSIMPLE_ACCOUNT_TOKEN is not needed.

example:
  dns-api token-generator --user alice --subdomains api --types A,AAAA --expires-in 90d
`)
}

// tokenGenerator prints "*** token for USER: TOKEN" for each user in
// VALID_USERS, as python-dns-api's token-generator did, or for --user;
// flags narrow what the tokens may do.
func tokenGenerator(_ context.Context, args []string, stdout, stderr io.Writer) error {
	var o tokenOptions
	flags := o.flagSet()
	flags.SetOutput(io.Discard) // what went wrong, and the help, are printed here
	switch err := flags.Parse(args); {
	case errors.Is(err, flag.ErrHelp):
		tokenGeneratorHelp(stdout)
		return nil
	case err != nil:
		fmt.Fprintf(stderr, "dns-api token-generator: %v\n\n", err)
		tokenGeneratorHelp(stderr)
		return errUsage
	}
	if flags.NArg() > 0 {
		fmt.Fprintf(stderr, "dns-api token-generator: unexpected argument %q; see dns-api token-generator --help\n", flags.Arg(0))
		return errUsage
	}
	// A flag given but empty (a script's unset variable) would mint a
	// token without that restriction: refuse it rather than widen silently.
	for flagName, value := range map[string]string{"user": o.user, "scope": o.scope, "domains": o.domains,
		"subdomains": o.subdomains, "types": o.types, "cidrs": o.cidrs, "expires-in": o.expiresIn} {
		if isSet(flags, flagName) && len(splitList(value)) == 0 {
			return fmt.Errorf("--%s is empty; leave it out for no restriction", flagName)
		}
	}
	if o.asJSON && o.quiet {
		return errors.New("--json and --quiet: choose one")
	}
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	users := cfg.ValidUsers
	if o.user != "" {
		if !slices.Contains(cfg.ValidUsers, o.user) {
			return fmt.Errorf("--user: %q is not in VALID_USERS", o.user)
		}
		users = []string{o.user}
	}
	if err := warnBlacklisted(splitList(o.subdomains), cfg.Blacklist, stderr); err != nil {
		return err
	}
	template := auth.Claims{
		Name:    o.name,
		Scope:   strings.Join(splitList(o.scope), " "),
		Domains: splitList(strings.ToLower(o.domains)),
		// Names are case-insensitive and types are upper case: write
		// them as the service shows them.
		Subdomains: splitList(strings.ToLower(o.subdomains)),
		Types:      splitList(strings.ToUpper(o.types)),
		CIDRs:      splitList(o.cidrs),
	}
	if o.expiresIn != "" {
		lifetime, err := parseLifetime(o.expiresIn)
		if err != nil {
			return fmt.Errorf("--expires-in: %w", err)
		}
		template.ExpiresAt = jwt.NewNumericDate(time.Now().Add(lifetime))
	}

	type minted struct {
		User   string      `json:"user"`
		Token  string      `json:"token"`
		Claims auth.Claims `json:"claims"`
	}
	out := []minted{}
	for _, u := range users {
		claims := template
		claims.Username = u
		token, claims, err := mint(cfg, claims)
		if err != nil {
			return err
		}
		out = append(out, minted{User: u, Token: token, Claims: claims})
	}
	if o.asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	for _, m := range out {
		if o.quiet {
			fmt.Fprintln(stdout, m.Token)
		} else {
			fmt.Fprintf(stdout, "*** token for %s: %s\n    id: %s\n", m.User, m.Token, m.Claims.ID)
		}
	}
	return nil
}

// warnBlacklisted warns of each --subdomains entry the blacklist covers
// whole (a token can never touch what it names), and refuses a list made
// only of such entries: that token could touch nothing.
func warnBlacklisted(subdomains []string, blacklist records.Patterns, stderr io.Writer) error {
	useless := 0
	for _, s := range subdomains {
		p, err := records.ParsePattern(s)
		if err != nil {
			return fmt.Errorf("--subdomains: %w", err)
		}
		if blacklist.Cover(p) {
			fmt.Fprintf(stderr, "dns-api token-generator: warning: --subdomains %s is blacklisted (BLACKLISTED_SUBDOMAINS): the token can never touch it\n", p)
			useless++
		}
	}
	if useless > 0 && useless == len(subdomains) {
		return errors.New("--subdomains: every entry is blacklisted, so the token could touch nothing")
	}
	return nil
}

// mint signs claims with a fresh random token id and the time of issue,
// then checks the token as the service would, so that what is printed is
// a token the service accepts (the claims are validated in one place).
func mint(cfg config.Config, claims auth.Claims) (string, auth.Claims, error) {
	id, err := randomHex(16)
	if err != nil {
		return "", auth.Claims{}, err
	}
	claims.ID = id
	claims.IssuedAt = jwt.NewNumericDate(time.Now())
	token, err := auth.Sign([]byte(cfg.SecretKey.Reveal()), claims)
	if err != nil {
		return "", auth.Claims{}, err
	}
	verifier, err := app.NewVerifier(cfg)
	if err != nil {
		return "", auth.Claims{}, err
	}
	if _, err := verifier.Verify(token); err != nil {
		return "", auth.Claims{}, fmt.Errorf("this token would be refused: %s", fault.MessageOf(err))
	}
	return token, claims, nil
}

// splitList splits a flag's value on commas and spaces, dropping empties.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
}

func isSet(flags *flag.FlagSet, name string) bool {
	set := false
	flags.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// parseLifetime reads a Go duration, or whole days as "90d".
func parseLifetime(s string) (time.Duration, error) {
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n > 100*365 {
			return 0, fmt.Errorf("%q is not a number of days like 90d", s)
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, fmt.Errorf("%q is not a duration like 90d, 12h or 30m", s)
		}
	}
	if d <= 0 {
		return 0, fmt.Errorf("%q is not a positive duration", s)
	}
	return d, nil
}
