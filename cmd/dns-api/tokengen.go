package main

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/dns-api/dns-api/auth"
	"github.com/dns-api/dns-api/config"
)

// tokenGenerator prints "*** token for USER: TOKEN" for each user in
// VALID_USERS, as python-dns-api's token-generator did, or for --user.
func tokenGenerator(args []string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("token-generator", flag.ContinueOnError)
	flags.SetOutput(stderr)
	user := flags.String("user", "", "mint a token for this user only (must be in VALID_USERS)")
	expiresIn := flags.String("expires-in", "", "lifetime of the token, like 90d, 12h or 30m (default: never expires)")
	if err := flags.Parse(args); err != nil {
		return errUsage
	}
	if flags.NArg() > 0 {
		fmt.Fprintf(stderr, "token-generator: unexpected argument %q\n", flags.Arg(0))
		return errUsage
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
	now := time.Now()
	var expires *jwt.NumericDate
	if *expiresIn != "" {
		lifetime, err := parseLifetime(*expiresIn)
		if err != nil {
			return fmt.Errorf("--expires-in: %w", err)
		}
		expires = jwt.NewNumericDate(now.Add(lifetime))
	}
	for _, u := range users {
		token, err := auth.Sign([]byte(cfg.SecretKey.Reveal()), auth.Claims{
			Username: u,
			RegisteredClaims: jwt.RegisteredClaims{
				IssuedAt:  jwt.NewNumericDate(now),
				ExpiresAt: expires,
			},
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "*** token for %s: %s\n", u, token)
	}
	return nil
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
