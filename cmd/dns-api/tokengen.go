package main

import (
	"encoding/json"
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
)

// tokenGenerator prints "*** token for USER: TOKEN" for each user in
// VALID_USERS, as python-dns-api's token-generator did, or for --user;
// flags narrow what the tokens may do.
func tokenGenerator(args []string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("token-generator", flag.ContinueOnError)
	flags.SetOutput(stderr)
	user := flags.String("user", "", "mint a token for this user only (must be in VALID_USERS)")
	name := flags.String("name", "", "a label for the token, shown by /whoami")
	scope := flags.String("scope", "", `permissions, space- or comma-separated: "dns:read", "dns:write" (default: both)`)
	domains := flags.String("domains", "", "comma-separated zones the token may touch (default: all managed)")
	subdomains := flags.String("subdomains", "", "comma-separated names or globs the token may touch, like api,*.preview (default: any not blacklisted)")
	types := flags.String("types", "", "comma-separated record types, like A,AAAA (default: all)")
	cidrs := flags.String("cidrs", "", "comma-separated client networks the token may be used from, like 203.0.113.0/24 (default: anywhere)")
	expiresIn := flags.String("expires-in", "", "lifetime of the token, like 90d, 12h or 30m (default: never expires)")
	asJSON := flags.Bool("json", false, "print a JSON list of {user, token, claims} instead")
	if err := flags.Parse(args); err != nil {
		return errUsage
	}
	if flags.NArg() > 0 {
		fmt.Fprintf(stderr, "token-generator: unexpected argument %q\n", flags.Arg(0))
		return errUsage
	}
	// A flag given but empty (a script's unset variable) would mint a
	// token without that restriction: refuse it rather than widen silently.
	for flagName, value := range map[string]*string{"user": user, "scope": scope, "domains": domains,
		"subdomains": subdomains, "types": types, "cidrs": cidrs, "expires-in": expiresIn} {
		if isSet(flags, flagName) && len(splitList(*value)) == 0 {
			return fmt.Errorf("--%s is empty; leave it out for no restriction", flagName)
		}
	}
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	users := cfg.ValidUsers
	if *user != "" {
		if !slices.Contains(cfg.ValidUsers, *user) {
			return fmt.Errorf("--user: %q is not in VALID_USERS", *user)
		}
		users = []string{*user}
	}
	template := auth.Claims{
		Name:       *name,
		Scope:      strings.Join(splitList(*scope), " "),
		Domains:    splitList(*domains),
		Subdomains: splitList(*subdomains),
		Types:      splitList(*types),
		CIDRs:      splitList(*cidrs),
	}
	if *expiresIn != "" {
		lifetime, err := parseLifetime(*expiresIn)
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
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	for _, m := range out {
		fmt.Fprintf(stdout, "*** token for %s: %s\n", m.User, m.Token)
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
		return "", auth.Claims{}, fmt.Errorf("this token would be refused: %w", err)
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
