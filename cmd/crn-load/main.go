// Command crn-load measures crn's live feeds (docs/realtime.md) from the
// outside: how many idle WebSockets one node holds and what each costs in
// server memory, how fast one event reaches thousands of subscribers, in
// process or through Redis across two nodes, and whether a sustained event
// rate makes the server grow. Results and how to run it are in
// docs/BENCHMARKS.md, "Live feeds (WebSocket)".
//
// It only ever talks to the loopback range (127.0.0.0/8): every socket it
// opens is checked before it connects. Every loop it runs is bounded in
// count and in time.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `crn-load: load client for crn's WebSocket live feeds.

Usage:
  crn-load idle    [flags]   hold many idle, subscribed connections; server memory per connection
  crn-load fanout  [flags]   one event at a time to many subscribers; delivery latency
  crn-load sustain [flags]   a steady event rate to many subscribers; latency and memory over time
  crn-load help              this text

"crn-load <command> -h" lists a command's flags. Every address, the server's
and the sources', must be in 127.0.0.0/8.

Before a large run, raise the open-file limit of both processes, e.g.
"ulimit -n 1048576" in the shells that start crn and crn-load; crn-load
raises its own soft limit as far as it may, and says where it ended up.

Demo data: "crn seed --demo" creates the users (password crn-demo-password)
and public topics the commands find by themselves when -token and -topic
are not given.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "crn-load:", err)
		os.Exit(1)
	}
}

// run dispatches to a subcommand; the report goes to out, usage to errw.
func run(ctx context.Context, args []string, out, errw io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(errw, usage)
		return errors.New("missing command")
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "idle":
		return runIdle(ctx, rest, out, errw)
	case "fanout":
		return runFanout(ctx, rest, out, errw)
	case "sustain":
		return runSustain(ctx, rest, out, errw)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(out, usage)
		return nil
	default:
		fmt.Fprint(errw, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
}

// newFlags returns a flag set for a subcommand whose usage starts with about.
func newFlags(name, about string, errw io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("crn-load "+name, flag.ContinueOnError)
	fs.SetOutput(errw)
	fs.Usage = func() {
		fmt.Fprintf(errw, "Usage: crn-load %s [flags]\n\n%s\n\nFlags:\n", name, about)
		fs.PrintDefaults()
	}
	return fs
}
