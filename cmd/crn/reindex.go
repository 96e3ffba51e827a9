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

func runReindex(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("reindex [flags]", `Rebuild the search index from the database into a new generation and swap
it in when complete; searches keep working meanwhile. Also the way to move
between the embedded index and Meilisearch: point CRN_MEILI_URL at the new
backend and reindex.`, stderr)
	cfg, err := config.LoadEnv(fs, args)
	if err != nil {
		return flagErr(err)
	}
	if fs.NArg() > 0 {
		return usageErr("reindex takes no arguments, got %q", fs.Args())
	}
	a, err := app.Build(ctx, cfg, app.NewLogger(cfg, os.Stderr), app.Options{Migrate: cfg.MigrateOnStart, Search: true})
	if err != nil {
		return err
	}
	defer a.Close()
	start := time.Now()
	sum, err := a.Indexer.Reindex(ctx, progressBar(stderr, "reindex"))
	fmt.Fprintln(stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s in %s\n", sum, time.Since(start).Round(time.Millisecond))
	return nil
}
