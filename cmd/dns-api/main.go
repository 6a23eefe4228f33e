// Command dns-api lets many people and machines change DNS records in
// DNSimple without holding the account's token. It has three subcommands:
//
//	dns-api serve            the service (Heroku's web process)
//	dns-api token-generator  print tokens for the configured users
//	dns-api dev              the service against an in-process DNSimple emulator
//
// Configuration comes from the environment; see README.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// errUsage marks a command line that could not be understood (exit 2).
var errUsage = errors.New("usage")

const usage = `usage: dns-api <command> [flags]

commands:
  serve            run the service (configured from the environment)
  token-generator  print a token for each user in VALID_USERS
                   (--user NAME for one user, --expires-in 90d for an expiry)
  dev              run the service locally against an embedded DNSimple
                   emulator with zones example.com and example.org
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case errors.Is(err, errUsage):
		os.Exit(2)
	case err != nil:
		fmt.Fprintf(os.Stderr, "dns-api: %v\n", err)
		os.Exit(1)
	}
}

// run is the whole program, callable from tests: it returns when the
// command is done or ctx is cancelled (SIGINT, SIGTERM).
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	command, rest := args[0], args[1:]
	switch command {
	case "serve":
		return serve(ctx, rest, stderr)
	case "token-generator":
		return tokenGenerator(rest, stdout, stderr)
	case "dev":
		return dev(ctx, rest, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprintf(stderr, "dns-api: unknown command %q\n\n%s", command, usage)
	return errUsage
}
