package httpapi_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/crn-dev/crn/internal/config"
	"github.com/crn-dev/crn/internal/database"
	"github.com/crn-dev/crn/internal/database/dbtest"
	"github.com/crn-dev/crn/internal/discovery"
	"github.com/crn-dev/crn/internal/event"
	"github.com/crn-dev/crn/internal/group"
	"github.com/crn-dev/crn/internal/httpapi"
	"github.com/crn-dev/crn/internal/markup"
	"github.com/crn-dev/crn/internal/resource"
	"github.com/crn-dev/crn/internal/search"
	"github.com/crn-dev/crn/internal/storage"
)

// A private group's resources are its members' alone: the REST reads,
// downloads, lists and search all hide them from everyone else, and
// sharing into the group takes membership.
func TestPrivateGroupResourcesOverHTTP(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		store, err := storage.NewDisk(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		index, err := search.NewEmbedded(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = index.Close() })
		render := markup.New(markup.Options{})
		groups := group.New(db, group.Options{})
		ix := discovery.NewIndexer(db.Client, index, render)
		e := newEnv(t, db, func(_ *config.Config, d *httpapi.Deps) {
			d.Groups = groups
			d.Resources = resource.New(db, store, render, resource.Options{Limits: resource.DefaultLimits, Groups: groups.ContentAccess()})
			d.Discovery = discovery.NewService(db.Client, index)
		})
		owner, _ := e.signup("owner")
		mem, _ := e.signup("member")
		out, _ := e.signup("outsider")
		guest := e.client()
		priv := num(t, owner.expect("POST", "/api/v1/groups", map[string]any{"name": "Inner circle", "slug": "inner", "visibility": "private"}, 201).json(t), "id")
		pub := num(t, owner.expect("POST", "/api/v1/groups", map[string]any{"name": "Open group", "slug": "open", "visibility": "public"}, 201).json(t), "id")
		owner.expect("POST", "/api/v1/groups/inner/invites", map[string]any{"username": "member"}, 201)
		mem.expect("POST", "/api/v1/groups/inner/join", nil, 200)

		secret := num(t, mem.expect("POST", "/api/v1/resources", map[string]any{"kind": "link", "title": "Secret playbook zebra", "url": "https://example.com/playbook", "group_id": priv}, 201).json(t), "id")
		open := num(t, owner.expect("POST", "/api/v1/resources", map[string]any{"kind": "link", "title": "Open playbook zebra", "url": "https://example.com/open", "group_id": pub}, 201).json(t), "id")
		out.expect("POST", "/api/v1/resources", map[string]any{"kind": "link", "title": "Sneaking in", "url": "https://example.com/x", "group_id": priv}, http.StatusForbidden)

		// The group's activity feed shows what was shared in it, to members only.
		shared := false
		for _, ev := range mem.expect("GET", "/api/v1/groups/inner/feed", nil, http.StatusOK).json(t)["events"].([]any) {
			if m := ev.(map[string]any); m["event"] == "resource.created" {
				shared = true
			}
		}
		if !shared {
			t.Fatal("the private group's feed does not show the shared resource")
		}
		out.expect("GET", "/api/v1/groups/inner/feed", nil, http.StatusNotFound)

		for _, c := range []*client{out, guest} {
			c.expect("GET", fmt.Sprintf("/api/v1/resources/%d", secret), nil, http.StatusNotFound)
			c.expect("GET", fmt.Sprintf("/api/v1/resources/%d/download", secret), nil, http.StatusNotFound)
			c.expect("GET", fmt.Sprintf("/api/v1/resources/%d", open), nil, http.StatusOK)
			for _, path := range []string{"/api/v1/resources", fmt.Sprintf("/api/v1/resources?group=%d", priv)} {
				for _, r := range c.expect("GET", path, nil, http.StatusOK).json(t)["resources"].([]any) {
					if num(t, r.(map[string]any), "id") == secret {
						t.Fatalf("%s lists the private group's resource", path)
					}
				}
			}
		}
		mem.expect("GET", fmt.Sprintf("/api/v1/resources/%d", secret), nil, http.StatusOK)
		if list := mem.expect("GET", fmt.Sprintf("/api/v1/resources?group=%d", priv), nil, http.StatusOK).json(t)["resources"].([]any); len(list) != 1 {
			t.Fatalf("member lists %v", list)
		}

		// Search, fed by the same outbox the server relays.
		relayTo(t, db, ix)
		found := func(c *client) map[int]bool {
			ids := map[int]bool{}
			for _, h := range c.expect("GET", "/api/v1/search?q=zebra&type=resource", nil, http.StatusOK).json(t)["hits"].([]any) {
				if r, ok := h.(map[string]any)["resource"].(map[string]any); ok {
					ids[num(t, r, "id")] = true
				}
			}
			return ids
		}
		if got := found(mem); !got[secret] || !got[open] {
			t.Fatalf("member finds %v, want both resources", got)
		}
		for name, c := range map[string]*client{"outsider": out, "guest": guest} {
			if got := found(c); got[secret] || !got[open] {
				t.Fatalf("%s finds %v: want the open group's resource only", name, got)
			}
		}

		// Making the open group private hides its resources from search too.
		owner.expect("PATCH", "/api/v1/groups/open", map[string]any{"visibility": "private"}, 200)
		relayTo(t, db, ix)
		if got := found(out); got[open] {
			t.Fatal("a resource of a group made private is still found by outsiders")
		}
	})
}

// relayTo delivers every event committed so far to c.
func relayTo(t *testing.T, db *database.DB, c event.Consumer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := event.NewRelay(db.Client, slog.New(slog.DiscardHandler), event.RelayOptions{PollInterval: 5 * time.Millisecond}, c)
	done := make(chan struct{})
	go func() { _ = r.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	latest, err := event.Latest(ctx, db.Client)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		pos, err := event.Position(ctx, db.Client, c.Name())
		if err != nil {
			t.Fatal(err)
		}
		if pos >= latest {
			return
		}
	}
	t.Fatal("relay did not catch up")
}
