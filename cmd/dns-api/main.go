// Command dns-api lets many people and machines change DNS records in
// DNSimple without holding the account's token. Its subcommands:
//
//	dns-api serve            the service (Heroku's web process)
//	dns-api token-generator  print tokens for the configured users
//	dns-api dev              the service against an in-process DNSimple emulator
//	dns-api version          the version and the Go it was built with
//
// Configuration comes from the environment; `dns-api serve --help` lists it.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"slices"
	"syscall"
)

// errUsage marks a command line that could not be understood (exit 2).
var errUsage = errors.New("usage")

// command is one subcommand: what `dns-api help` says of it, and what
// `dns-api help NAME` or `dns-api NAME --help` prints.
type command struct {
	name, summary string
	help          func(io.Writer)
	run           func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"serve", "run the service, configured from the environment", serveHelp, serve},
		{"token-generator", "print a token for each user in VALID_USERS (flags narrow it)", tokenGeneratorHelp, tokenGenerator},
		{"dev", "run the service locally against an embedded DNSimple emulator", devHelp, dev},
		{"version", "print the version and the Go version it was built with", versionHelp, printVersion},
		{"help", "print this, or a command's help: dns-api help serve", nil, nil},
	}
}

func usage(w io.Writer) {
	fmt.Fprint(w, "dns-api lets people and machines change DNSimple records with small, scoped,\nrevocable tokens instead of the account token.\n\nusage: dns-api <command> [flags]\n\ncommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-16s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, "\n`dns-api <command> --help` says more about each.\n")
}

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
		usage(stderr)
		return errUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		switch {
		case len(rest) > 1:
			fmt.Fprintf(stderr, "dns-api help: unexpected argument %q; it takes a command at most\n\n", rest[1])
			usage(stderr)
			return errUsage
		case len(rest) == 0 || rest[0] == "help":
			usage(stdout)
			return nil
		}
		name, rest = rest[0], []string{"--help"}
	case "--version", "-version":
		name = "version"
	}
	for _, c := range commands() {
		if c.name != name || c.run == nil {
			continue
		}
		if len(rest) == 1 && isHelpFlag(rest[0]) {
			c.help(stdout)
			return nil
		}
		return c.run(ctx, rest, stdout, stderr)
	}
	fmt.Fprintf(stderr, "dns-api: unknown command %q\n\n", name)
	usage(stderr)
	return errUsage
}

func isHelpFlag(arg string) bool {
	return slices.Contains([]string{"-h", "-help", "--help", "help"}, arg)
}

// noArguments refuses arguments to a command that takes none, showing its
// help.
func noArguments(name string, args []string, stderr io.Writer) error {
	if len(args) == 0 {
		return nil
	}
	fmt.Fprintf(stderr, "dns-api %s: unexpected argument %q; it takes none\n\n", name, args[0])
	for _, c := range commands() {
		if c.name == name {
			c.help(stderr)
		}
	}
	return errUsage
}

// version is set at build time:
//
//	go build -ldflags "-X main.version=v1.2.3" ./cmd/dns-api
//
// Without it, the module's build info says what it can: the version for
// `go install ...@v1.2.3`, a pseudo-version of the commit for a build in
// a git checkout.
var version string

func buildVersion() string {
	if version != "" {
		return version
	}
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	return "devel"
}

func printVersion(_ context.Context, args []string, stdout, stderr io.Writer) error {
	if err := noArguments("version", args, stderr); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "dns-api %s %s %s/%s\n", buildVersion(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}

func versionHelp(w io.Writer) {
	fmt.Fprint(w, `usage: dns-api version

Prints the version (set at build time with -ldflags "-X main.version=...",
else taken from the module's build info) and the Go version it was built
with, like: dns-api v1.2.3 go1.26.8 linux/amd64
`)
}
