// Command crn is the customer relationship network server: one binary that
// serves the community, migrates its database, and administers it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// command is one subcommand of crn.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"serve", "serve the community over HTTP", runServe},
		{"migrate", "apply or inspect database migrations (up, status)", runMigrate},
		{"admin", "administer accounts (create-user)", runAdmin},
		{"seed", "fill the database with a demo community (--demo)", runSeed},
		{"reindex", "rebuild the search index from the database, swapping it in when complete", runReindex},
		{"graph", "relationship graph maintenance (rebuild)", runGraph},
		{"healthcheck", "exit 0 when the server at --addr answers /healthz (for container health checks)", runHealthcheck},
		{"version", "print the version", runVersion},
	}
}

// errUsage marks errors that are the caller's wording, exit status 2.
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], stdout, stderr)
		switch {
		case err == nil, errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errUsage):
			fmt.Fprintln(stderr, "crn:", err)
			return 2
		default:
			fmt.Fprintln(stderr, "crn:", err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "crn: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "crn — the customer relationship network server")
	fmt.Fprintln(w, "\nUsage: crn <command> [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'crn <command> --help' for a command's flags. Every setting also reads a CRN_* environment variable.")
}

// newFlags returns a flag set whose --help prints a synopsis and the flags.
func newFlags(name, synopsis string, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("crn "+name, flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprintf(out, "Usage: crn %s\n\n%s\n\nFlags:\n", name, strings.TrimSpace(synopsis))
		fs.PrintDefaults()
	}
	return fs
}

func usageErr(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errUsage}, a...)...)
}
