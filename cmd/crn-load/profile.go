package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"
)

// addProfileFlags declares the flags that fetch a CPU profile from crn's
// debug listener (CRN_DEBUG_ADDR) while events flow.
func addProfileFlags(fs *flag.FlagSet, base, file *string, d *time.Duration) {
	fs.StringVar(base, "pprof", "", "crn's debug address to fetch a CPU profile from while events flow, e.g. http://127.0.0.1:6061 (CRN_DEBUG_ADDR)")
	fs.StringVar(file, "pprof-out", "crn-cpu.pprof", "where to write the profile")
	fs.DurationVar(d, "pprof-for", 10*time.Second, "length of the profile")
}

// startProfile starts fetching a CPU profile of length d from base and
// returns a function that waits for it and says where it went. With no
// base it does nothing.
func startProfile(ctx context.Context, client *http.Client, base string, d time.Duration, file string, out io.Writer) func() {
	if base == "" {
		return func() {}
	}
	if _, err := checkTarget(base); err != nil {
		fmt.Fprintf(out, "profile: %v\n", err)
		return func() {}
	}
	done := make(chan error, 1)
	go func() { done <- fetchProfile(ctx, client, base, d, file) }()
	return func() {
		if err := <-done; err != nil {
			fmt.Fprintf(out, "profile: %v\n", err)
			return
		}
		fmt.Fprintf(out, "profile: %s of CPU written to %s; read it with: go tool pprof -top %s\n", d, file, file)
	}
}

func fetchProfile(ctx context.Context, client *http.Client, base string, d time.Duration, file string) error {
	ctx, cancel := context.WithTimeout(ctx, d+30*time.Second)
	defer cancel()
	secs := max(1, int(d.Seconds()))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/debug/pprof/profile?seconds="+strconv.Itoa(secs), nil)
	if err != nil {
		return err
	}
	// The API client's 30 s timeout would cut a long profile short.
	c := *client
	c.Timeout = 0
	res, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("fetch: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("fetch: http %d", res.StatusCode)
	}
	fh, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(fh, io.LimitReader(res.Body, 256<<20)); err != nil {
		fh.Close()
		return fmt.Errorf("write %s: %w", file, err)
	}
	return fh.Close()
}
