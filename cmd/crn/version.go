package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/crn-dev/crn/internal/config"
	"github.com/crn-dev/crn/internal/version"
)

func runVersion(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("version", "Print the version of this binary.", stderr)
	if err := fs.Parse(args); err != nil {
		return flagErr(err)
	}
	fmt.Fprintln(stdout, "crn", version.String())
	return nil
}

func runHealthcheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("healthcheck [flags]", "Exit 0 when the local server answers GET /healthz with 200, else 1.", stderr)
	cfg, err := config.LoadEnv(fs, args)
	if err != nil {
		return flagErr(err)
	}
	addr := cfg.Addr
	if strings.HasPrefix(addr, ":") {
		addr = "127.0.0.1" + addr
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/healthz", nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: /healthz answered %s", res.Status)
	}
	return nil
}
