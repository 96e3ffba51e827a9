package main

import (
	"context"
	"io"
	"os"

	"github.com/crn-dev/crn/internal/app"
	"github.com/crn-dev/crn/internal/config"
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve [flags]", `Serve the community over HTTP until SIGINT or SIGTERM, then drain in-flight
requests. With no configuration it uses SQLite under ./data, an in-process
broker and the embedded search index.`, stderr)
	cfg, err := config.LoadEnv(fs, args)
	if err != nil {
		return flagErr(err)
	}
	if fs.NArg() > 0 {
		return usageErr("serve takes no arguments, got %q", fs.Args())
	}
	log := app.NewLogger(cfg, os.Stderr)
	a, err := app.Build(ctx, cfg, log, app.Options{Migrate: cfg.MigrateOnStart, Serve: true})
	if err != nil {
		return err
	}
	defer a.Close()
	return a.Serve(ctx)
}
