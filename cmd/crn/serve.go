package main

import (
	"context"
	"io"
	"os"
	"runtime/debug"

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
	gc, limit := tuneGC()
	log.Debug("garbage collector", "gogc", gc, "memory_limit_bytes", limit)
	a, err := app.Build(ctx, cfg, log, app.Options{Migrate: cfg.MigrateOnStart, Serve: true})
	if err != nil {
		return err
	}
	defer a.Close()
	return a.Serve(ctx)
}

// Defaults for the garbage collector when the environment sets none (GOGC,
// GOMEMLIMIT; docs/operations.md). crn's live heap is small next to what a
// server has, and at Go's default (GOGC=100) collection was 8-13 % of its
// CPU under load (docs/BENCHMARKS.md): a collection only when the heap has
// grown by 4x its live size costs a quarter as often. The soft limit makes
// the collector work harder before memory goes past 2 GiB, whatever GOGC.
const (
	defaultGOGC     = 400
	defaultMemLimit = 2 << 30
)

// tuneGC applies the defaults the environment leaves unset and returns the
// settings in force.
func tuneGC() (gogc int, memLimit int64) {
	gogc = -1 // "as the environment says"
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGOGC)
		gogc = defaultGOGC
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemLimit)
	}
	return gogc, debug.SetMemoryLimit(-1)
}
