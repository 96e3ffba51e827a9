package database_test

import (
	"context"
	"database/sql"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	atlasmigrate "ariga.io/atlas/sql/migrate"

	"github.com/crn-dev/crn/internal/database"
	"github.com/crn-dev/crn/internal/database/dbtest"
	"github.com/crn-dev/crn/internal/database/scratchdb"
	"github.com/crn-dev/crn/migrations"
)

var allDialects = []database.Dialect{database.SQLite, database.Postgres}

// The committed migrations must describe exactly what ent/schema says.
func TestMigrationsMatchSchema(t *testing.T) {
	for _, d := range allDialects {
		t.Run(string(d), func(t *testing.T) {
			dir := committedDir(t, d)
			before := listSQL(t, dir)
			changed, err := database.Diff(t.Context(), d, devDB(t, d), dir, "pending_change")
			if err != nil {
				t.Fatalf("%v\n\nmigrations/%s is not valid. Restore the generated files (never edit them by hand) "+
					"and run: go run ./internal/database/migrategen -name <change>", err, d)
			}
			if changed {
				var report strings.Builder
				for _, name := range listSQL(t, dir) {
					if slices.Contains(before, name) || !strings.HasSuffix(name, ".up.sql") {
						continue
					}
					b, _ := os.ReadFile(filepath.Join(dir, name))
					report.WriteString(string(b))
				}
				t.Fatalf("ent/schema has changes that migrations/%s lacks; the next migration would be:\n\n%s\n"+
					"Run: go run ./internal/database/migrategen -name <change>   (from the module root) and commit migrations/",
					d, report.String())
			}
		})
	}
}

// The drift check can fail: from an empty directory Diff writes a migration,
// which then replays cleanly and leaves nothing more to write.
func TestDiffWritesThenSettles(t *testing.T) {
	for _, d := range allDialects {
		t.Run(string(d), func(t *testing.T) {
			dir := t.TempDir()
			changed, err := database.Diff(t.Context(), d, devDB(t, d), dir, "init")
			if err != nil || !changed {
				t.Fatalf("Diff on an empty directory = %v, %v; want true, nil", changed, err)
			}
			files := listSQL(t, dir)
			if len(files) != 2 || !strings.HasSuffix(files[0], "_init.down.sql") || !strings.HasSuffix(files[1], "_init.up.sql") {
				t.Fatalf("wrote %v; want one <version>_init.up.sql/.down.sql pair", files)
			}
			gm, err := atlasmigrate.NewLocalDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			if err := atlasmigrate.Validate(gm); err != nil {
				t.Fatalf("atlas.sum written by Diff does not validate: %v", err)
			}
			changed, err = database.Diff(t.Context(), d, devDB(t, d), dir, "again")
			if err != nil || changed {
				t.Fatalf("second Diff = %v, %v; want false, nil", changed, err)
			}
		})
	}
}

// A migration edited by hand no longer matches atlas.sum, and Diff says so.
func TestDiffRejectsEditedMigration(t *testing.T) {
	for _, d := range allDialects {
		t.Run(string(d), func(t *testing.T) {
			dir := committedDir(t, d)
			ups, _ := filepath.Glob(filepath.Join(dir, "*.up.sql"))
			if len(ups) == 0 {
				t.Fatal("no committed up migration")
			}
			f, err := os.OpenFile(ups[0], os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = f.WriteString("-- edited by hand\n")
			_ = f.Close()
			_, err = database.Diff(t.Context(), d, devDB(t, d), dir, "x")
			if err == nil || !strings.Contains(err.Error(), "atlas.sum") {
				t.Fatalf("Diff after an edit = %v; want an atlas.sum error", err)
			}
		})
	}
}

// committedDir copies the embedded (that is, committed) migrations of d into
// a temporary directory that Diff may write to.
func committedDir(t *testing.T, d database.Dialect) string {
	t.Helper()
	var src fs.FS = migrations.SQLite
	if d == database.Postgres {
		src = migrations.Postgres
	}
	sub, err := fs.Sub(src, string(d))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.CopyFS(dir, sub); err != nil {
		t.Fatal(err)
	}
	return dir
}

// devDB returns an empty dev database of dialect d for Diff, released when t ends.
func devDB(t *testing.T, d database.Dialect) *sql.DB {
	t.Helper()
	admin := ""
	if d == database.Postgres {
		admin = dbtest.PostgresURL(t)
	}
	dev, release, err := scratchdb.DevDB(t.Context(), d, admin)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := release(ctx); err != nil {
			t.Error(err)
		}
	})
	return dev
}

// listSQL lists the .sql files in dir, sorted.
func listSQL(t *testing.T, dir string) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.sql"))
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range names {
		names[i] = filepath.Base(n)
	}
	return names
}
