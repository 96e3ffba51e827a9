package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/crn-dev/crn/internal/app"
	"github.com/crn-dev/crn/internal/config"
)

func runGraph(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(stderr, "Usage: crn graph rebuild [flags]")
		if len(args) == 0 {
			return usageErr("graph needs a subcommand: rebuild")
		}
		return nil
	}
	switch args[0] {
	case "rebuild":
		return runGraphRebuild(ctx, args[1:], stdout, stderr)
	}
	return usageErr("unknown graph subcommand %q (want rebuild)", args[0])
}

func runGraphRebuild(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("graph rebuild [flags]", `Recompute the relationship graph (graph_edges, graph_affiliations) by
replaying the outbox, and move the graph consumer to where the replay
stopped. It may run next to serving nodes: they reload the graph when it
is done, and their consumer goes on from the new position.`, stderr)
	cfg, err := config.LoadEnv(fs, args)
	if err != nil {
		return flagErr(err)
	}
	if fs.NArg() > 0 {
		return usageErr("graph rebuild takes no arguments, got %q", fs.Args())
	}
	a, err := app.Build(ctx, cfg, app.NewLogger(cfg, os.Stderr), app.Options{Migrate: cfg.MigrateOnStart})
	if err != nil {
		return err
	}
	defer a.Close()
	start := time.Now()
	sum, err := a.Graph.Rebuild(ctx, progressBar(stderr, "graph "))
	fmt.Fprintln(stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s in %s\n", sum, time.Since(start).Round(time.Millisecond))
	return nil
}
