package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/crn-dev/crn/internal/app"
	"github.com/crn-dev/crn/internal/config"
	"github.com/crn-dev/crn/internal/seed"
)

func runSeed(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("seed --demo [flags]", `Fill the database with a deterministic demo community. Safe to re-run:
what exists already is left alone. Every demo account's password is `+seed.DemoPassword+`.`, stderr)
	demo := fs.Bool("demo", false, "create the demo community")
	cfg, err := config.LoadEnv(fs, args)
	if err != nil {
		return flagErr(err)
	}
	if !*demo {
		return usageErr("seed needs --demo")
	}
	// The community is written at simulated times over the last weeks, so
	// listings and "new" and "top" have a history to show.
	clock := seed.NewClock(time.Now().Add(-45 * 24 * time.Hour).Truncate(time.Hour))
	a, err := app.Build(ctx, cfg, app.NewLogger(cfg, os.Stderr), app.Options{Migrate: cfg.MigrateOnStart, Now: clock.Now, Unscreened: true, Resources: true})
	if err != nil {
		return err
	}
	defer a.Close()
	sum, err := seed.Demo(ctx, a.Accounts, progressBar(stderr, "users "))
	fmt.Fprintln(stderr)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, sum)
	topics, posts, err := seed.DemoCommunity(ctx, a.Accounts, a.Forums, clock, progressBar(stderr, "topics"))
	fmt.Fprintln(stderr)
	if err != nil {
		return err
	}
	if topics == 0 {
		fmt.Fprintln(stdout, "community: already present")
	} else {
		fmt.Fprintf(stdout, "community: %d forums, %d topics, %d posts created\n", 6, topics, posts)
	}
	fsum, err := seed.DemoFeedback(ctx, a.Accounts, a.Forums, a.Feedback, clock, time.Now().Truncate(time.Hour), progressBar(stderr, "feedback"))
	fmt.Fprintln(stderr)
	if err != nil {
		return err
	}
	if fsum.Boards == 0 {
		fmt.Fprintln(stdout, "feedback: already present")
	} else {
		fmt.Fprintln(stdout, fsum)
	}
	gsum, err := seed.DemoSpaces(ctx, a.Accounts, a.Forums, a.Groups, a.Resources, clock, time.Now().Truncate(time.Hour), progressBar(stderr, "groups"))
	fmt.Fprintln(stderr)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, gsum)
	follows, err := seed.DemoGraph(ctx, a.Accounts, a.Forums, a.Graph, clock)
	if err != nil {
		return err
	}
	if follows > 0 {
		fmt.Fprintf(stdout, "graph: %d follows and clustered conversations created\n", follows)
	}
	// Notifications for the demo are derived from the outbox like any others.
	drainCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	return a.DrainEvents(drainCtx)
}

// progressBar draws a one-line bar that redraws in place.
func progressBar(w io.Writer, label string) func(done, total int) {
	return func(done, total int) {
		if total == 0 {
			return
		}
		const width = 30
		filled := done * width / total
		bar := make([]byte, width)
		for i := range bar {
			if i < filled {
				bar[i] = '#'
			} else {
				bar[i] = '.'
			}
		}
		fmt.Fprintf(w, "\r%s [%s] %d/%d", label, bar, done, total)
	}
}
