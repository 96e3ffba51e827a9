package main

import (
	"context"
	"fmt"
	"io"
	"os"

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
	a, err := app.Build(ctx, cfg, app.NewLogger(cfg, os.Stderr), app.Options{Migrate: cfg.MigrateOnStart})
	if err != nil {
		return err
	}
	defer a.Close()
	bar := progressBar(stderr, "seeding")
	sum, err := seed.Demo(ctx, a.Accounts, bar)
	fmt.Fprintln(stderr)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, sum)
	return nil
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
