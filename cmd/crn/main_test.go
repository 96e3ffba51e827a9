package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crn-dev/crn/internal/app"
	"github.com/crn-dev/crn/internal/config"
	"github.com/crn-dev/crn/internal/database/dbtest"
	"github.com/crn-dev/crn/internal/group"
	"github.com/crn-dev/crn/internal/resource"
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
			var members, requests, invites, gforums, gtopics, gposts, versions, ratings, downloads int
			if _, err := fmt.Sscanf(out[strings.Index(out, "groups:"):], "groups: 8 groups, %d members, %d join requests, %d invites, %d forums, %d topics, %d posts; resources: 40 resources, %d versions, %d ratings, %d downloads created",
				&members, &requests, &invites, &gforums, &gtopics, &gposts, &versions, &ratings, &downloads); err != nil ||
				members < 8*5 || requests < 2*3 || invites < 2*2 || gforums != 12 || gtopics < 12*3 || gposts <= gtopics || versions != 19 || ratings < 40 || downloads == 0 {
				t.Fatalf("demo groups and resources (%v): %s", err, out)
			}
			code, out, _ = crn(t, append([]string{"seed", "--demo"}, common...)...)
			if code != 0 || !strings.Contains(out, "users: 0 created, 103 already present") || !strings.Contains(out, "community: already present") ||
				!strings.Contains(out, "feedback: already present") || !strings.Contains(out, "groups: already present") {
				t.Fatalf("seed is not idempotent: %s", out)
			}
			checkDemoSpaces(t, common)
			if code, _, _ := crn(t, append([]string{"seed"}, common...)...); code != 2 {
				t.Fatal("seed without --demo should be a usage error")
			}
		})
	}
}

// checkDemoSpaces serves the seeded database and checks, as a guest through
// the API, that the private demo groups, their forums and their resources
// stay hidden, while their members see them.
func checkDemoSpaces(t *testing.T, args []string) {
	t.Helper()
	ctx := context.Background()
	cfg, err := config.LoadEnv(flag.NewFlagSet("test", flag.ContinueOnError), args)
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.Build(ctx, cfg, slog.New(slog.DiscardHandler), app.Options{Serve: true})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	srv := httptest.NewServer(a.Handler)
	defer srv.Close()
	get := func(path string, want int, into any) {
		t.Helper()
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if res.StatusCode != want {
			t.Fatalf("guest GET %s: %d, want %d", path, res.StatusCode, want)
		}
		if into != nil {
			if err := json.NewDecoder(res.Body).Decode(into); err != nil {
				t.Fatal(err)
			}
		}
	}
	adminUser, err := a.Accounts.ByUsername(ctx, "admin")
	if err != nil {
		t.Fatal(err)
	}
	admin, err := a.Forums.Actor(ctx, adminUser)
	if err != nil {
		t.Fatal(err)
	}

	var groups struct {
		Groups []struct {
			Slug       string `json:"slug"`
			Visibility string `json:"visibility"`
		} `json:"groups"`
	}
	get("/api/v1/groups?limit=100", 200, &groups)
	seen := map[string]string{}
	for _, g := range groups.Groups {
		seen[g.Slug] = g.Visibility
	}
	if seen["analytics"] != "public" || seen["retail"] != "restricted" || seen["mobile-beta"] != "restricted" || len(seen) != 6 {
		t.Fatalf("guest group list: %v", seen)
	}
	var guestResources struct {
		Resources []struct {
			ID      int  `json:"id"`
			GroupID *int `json:"group_id"`
		} `json:"resources"`
	}
	get("/api/v1/resources?limit=100", 200, &guestResources)
	visible := map[int]bool{}
	for _, r := range guestResources.Resources {
		visible[r.ID] = true
	}
	if len(visible) < 20 {
		t.Fatalf("guest sees only %d demo resources", len(visible))
	}
	for _, slug := range []string{"finserv", "enterprise-admins"} {
		g, err := a.Groups.Get(ctx, admin, slug)
		if err != nil || g.Visibility != "private" {
			t.Fatalf("%s: %v %v", slug, g, err)
		}
		get("/api/v1/groups/"+slug, 404, nil)
		get("/api/v1/groups/"+slug+"/forums", 404, nil)
		get("/api/v1/groups/"+slug+"/feed", 404, nil)
		// Its members see its forums and resources; a guest sees none of them.
		ms, _, err := a.Groups.Members(ctx, admin, slug, group.MemberQuery{Limit: 100})
		if err != nil || len(ms) < 5 {
			t.Fatalf("%s members: %d %v", slug, len(ms), err)
		}
		member, err := a.Forums.Actor(ctx, ms[len(ms)-1].User)
		if err != nil {
			t.Fatal(err)
		}
		forums, err := a.Forums.GroupForums(ctx, member, g.ID)
		if err != nil || len(forums) == 0 {
			t.Fatalf("%s forums for a member: %d %v", slug, len(forums), err)
		}
		for _, f := range forums {
			get(fmt.Sprintf("/api/v1/forums/%d", f.ID), 404, nil)
			get(fmt.Sprintf("/api/v1/forums/%d/topics", f.ID), 404, nil)
		}
		page, err := a.Resources.List(ctx, member, resource.ListQuery{GroupID: g.ID})
		if err != nil || len(page.Resources) < 3 {
			t.Fatalf("%s resources for a member: %d %v", slug, len(page.Resources), err)
		}
		for _, r := range page.Resources {
			if visible[r.ID] {
				t.Errorf("guest lists resource %d of private group %s", r.ID, slug)
			}
			get(fmt.Sprintf("/api/v1/resources/%d", r.ID), 404, nil)
			get(fmt.Sprintf("/api/v1/resources/%d/versions", r.ID), 404, nil)
		}
	}
	// The members-only file reaches signed-in members only.
	var found bool
	for cursor := ""; ; {
		page, err := a.Resources.List(ctx, admin, resource.ListQuery{Cursor: cursor, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page.Resources {
			if r.Title == "Release checklist" {
				found = true
				if visible[r.ID] || r.Visibility != "members" || r.VersionCount != 1 {
					t.Errorf("members-only resource: visible to guests %v, %s, %d versions", visible[r.ID], r.Visibility, r.VersionCount)
				}
			}
		}
		if cursor = page.Next; cursor == "" {
			break
		}
	}
	if !found {
		t.Error("the members-only demo resource is missing")
	}
}
