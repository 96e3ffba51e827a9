package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/crn-dev/crn/internal/app"
	"github.com/crn-dev/crn/internal/config"
)

func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("migrate up|status [flags]", `Apply pending migrations (up) or show which are applied and pending (status).`, stderr)
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fs.Usage()
		if len(args) == 0 {
			return usageErr("migrate needs a subcommand: up or status")
		}
		return nil
	}
	sub := args[0]
	cfg, err := config.LoadEnv(fs, args[1:])
	if err != nil {
		return flagErr(err)
	}
	if sub != "up" && sub != "status" {
		return usageErr("unknown migrate subcommand %q (want up or status)", sub)
	}
	a, err := app.Build(ctx, cfg, app.NewLogger(cfg, os.Stderr), app.Options{})
	if err != nil {
		return err
	}
	defer a.Close()
	if sub == "up" {
		n, err := a.DB.MigrateUp(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "applied %d migration(s) to %s\n", n, a.DB.Dialect)
	}
	st, err := a.DB.MigrateStatus(ctx)
	if err != nil {
		return err
	}
	state := "clean"
	if st.Dirty {
		state = "DIRTY (a migration failed halfway; fix the database by hand, then force the version)"
	}
	fmt.Fprintf(stdout, "%s: at version %d of %d, %s, %d pending\n", a.DB.Dialect, st.Version, st.Latest, state, len(st.Pending))
	for _, m := range st.Pending {
		fmt.Fprintf(stdout, "  pending %d_%s\n", m.Version, m.Name)
	}
	return nil
}
