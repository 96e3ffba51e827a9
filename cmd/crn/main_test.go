package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crn-dev/crn/internal/database/dbtest"
)

// crn runs the command in-process and returns its exit code and output.
func crn(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestHelpForEveryCommand(t *testing.T) {
	code, out, _ := crn(t, "--help")
	if code != 0 || !strings.Contains(out, "serve") || !strings.Contains(out, "migrate") {
		t.Fatalf("--help: %d %s", code, out)
	}
	if code, _, _ := crn(t); code != 2 {
		t.Fatalf("no command: exit %d, want 2", code)
	}
	if code, _, errs := crn(t, "frobnicate"); code != 2 || !strings.Contains(errs, "unknown command") {
		t.Fatalf("unknown command: %d %s", code, errs)
	}
	for _, args := range [][]string{
		{"serve", "--help"}, {"migrate", "--help"}, {"migrate", "up", "--help"}, {"admin", "--help"},
		{"admin", "create-user", "--help"}, {"seed", "--help"}, {"version", "--help"}, {"healthcheck", "--help"},
	} {
		code, out, errs := crn(t, args...)
		if code != 0 || !strings.Contains(out+errs, "Usage: crn") {
			t.Errorf("%v: exit %d, output %q", args, code, out+errs)
		}
	}
	if code, _, errs := crn(t, "serve", "--addr"); code != 2 || errs == "" {
		t.Errorf("bad flag: %d %q", code, errs)
	}
	if code, _, errs := crn(t, "serve", "--body-limit", "huge"); code != 2 || !strings.Contains(errs, "CRN_BODY_LIMIT") {
		t.Errorf("bad value: %d %q", code, errs)
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := crn(t, "version")
	if code != 0 || !strings.HasPrefix(out, "crn ") {
		t.Fatalf("%d %q", code, out)
	}
}

// databases yields the --database-url of a fresh empty database per dialect
// ("" is SQLite under the data dir).
func databases(t *testing.T) map[string]func(t *testing.T) string {
	return map[string]func(t *testing.T) string{
		"sqlite":   func(t *testing.T) string { return "" },
		"postgres": func(t *testing.T) string { return dbtest.NewPostgres(t).URL },
	}
}

func TestMigrateAdminSeed(t *testing.T) {
	for name, newDB := range databases(t) {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			common := []string{"--data-dir", dir, "--database-url", newDB(t), "--log-level", "warn"}
			code, out, errs := crn(t, append([]string{"migrate", "status"}, common...)...)
			if code != 0 || !strings.Contains(out, "at version 0") || !strings.Contains(out, "pending") {
				t.Fatalf("status on empty: %d %s %s", code, out, errs)
			}
			code, out, errs = crn(t, append([]string{"migrate", "up"}, common...)...)
			if code != 0 || strings.Contains(out, "applied 0") || !strings.Contains(out, "0 pending") {
				t.Fatalf("up: %d %s %s", code, out, errs)
			}
			if code, out, _ = crn(t, append([]string{"migrate", "up"}, common...)...); code != 0 || !strings.Contains(out, "applied 0") {
				t.Fatalf("second up: %d %s", code, out)
			}
			if code, _, _ := crn(t, append([]string{"migrate", "sideways"}, common...)...); code != 2 {
				t.Fatalf("unknown migrate subcommand: exit %d", code)
			}
			if name == "sqlite" {
				if _, err := os.Stat(filepath.Join(dir, "crn.db")); err != nil {
					t.Fatalf("SQLite file not under the data dir: %v", err)
				}
			}

			create := append([]string{"admin", "create-user", "--username", "boss", "--email", "boss@example.com",
				"--password", "a long secret", "--role", "admin", "--external-id", "CRM-9", "--crm", `{"plan":"enterprise"}`}, common...)
			if code, out, errs := crn(t, create...); code != 0 || !strings.Contains(out, `created admin "boss"`) {
				t.Fatalf("create-user: %d %s %s", code, out, errs)
			}
			if code, _, errs := crn(t, create...); code != 1 || !strings.Contains(errs, "already") {
				t.Fatalf("duplicate create-user: %d %s", code, errs)
			}
			bad := append([]string{"admin", "create-user", "--username", "x", "--email", "nope", "--password", "p", "--role", "king"}, common...)
			if code, _, errs := crn(t, bad...); code != 1 || !strings.Contains(errs, "role") || !strings.Contains(errs, "email") {
				t.Fatalf("invalid create-user: %d %s", code, errs)
			}

			code, out, errs = crn(t, append([]string{"seed", "--demo"}, common...)...)
			if code != 0 || !strings.Contains(out, "users: 103 created") || !strings.Contains(out, "220 topics") {
				t.Fatalf("seed: %d %s %s", code, out, errs)
			}
			var topics, posts int
			if _, err := fmt.Sscanf(out[strings.Index(out, "community:"):], "community: 6 forums, %d topics, %d posts created", &topics, &posts); err != nil || topics < 200 || posts < 2000 {
				t.Fatalf("demo too small: %d topics, %d posts (%v): %s", topics, posts, err, out)
			}
			var items, votes int
			if _, err := fmt.Sscanf(out[strings.Index(out, "feedback:"):], "feedback: 3 boards, %d items, %d votes", &items, &votes); err != nil || items != 300 || votes < 1000 {
				t.Fatalf("demo feedback: %d items, %d votes (%v): %s", items, votes, err, out)
			}
			code, out, _ = crn(t, append([]string{"seed", "--demo"}, common...)...)
			if code != 0 || !strings.Contains(out, "users: 0 created, 103 already present") || !strings.Contains(out, "community: already present") ||
				!strings.Contains(out, "feedback: already present") {
				t.Fatalf("seed is not idempotent: %s", out)
			}
			if code, _, _ := crn(t, append([]string{"seed"}, common...)...); code != 2 {
				t.Fatal("seed without --demo should be a usage error")
			}
		})
	}
}
