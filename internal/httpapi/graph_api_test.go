package httpapi_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/crn-dev/crn/internal/config"
	"github.com/crn-dev/crn/internal/database"
	"github.com/crn-dev/crn/internal/database/dbtest"
	"github.com/crn-dev/crn/internal/event"
	"github.com/crn-dev/crn/internal/graph"
	"github.com/crn-dev/crn/internal/httpapi"
)

// withGraph serves the graph routes; drain brings the graph up to date.
func withGraph(db *database.DB, g **graph.Service) option {
	return func(_ *config.Config, d *httpapi.Deps) {
		*g = graph.New(db, graph.NewMemory(graph.DefaultHalfLife), graph.Options{})
		d.Graph = *g
	}
}

// drainGraph runs the graph's outbox consumer until it has seen every
// committed event, then loads the changes into memory.
func drainGraph(t *testing.T, db *database.DB, g *graph.Service) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	relay := event.NewRelay(db.Client, slog.New(slog.DiscardHandler), event.RelayOptions{PollInterval: 10 * time.Millisecond}, g.Consumer())
	done := make(chan struct{})
	go func() { _ = relay.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	latest, err := event.Latest(ctx, db.Client)
	if err != nil {
		t.Fatal(err)
	}
	for {
		pos, err := event.Position(ctx, db.Client, g.Consumer().Name())
		if err != nil {
			t.Fatal(err)
		}
		if pos >= latest {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := g.Memory().Refresh(ctx, db.Client); err != nil {
		t.Fatal(err)
	}
}

func names(t *testing.T, list any) []string {
	t.Helper()
	var out []string
	for _, n := range list.([]any) {
		out = append(out, n.(map[string]any)["username"].(string))
	}
	return out
}

func TestGraphOverHTTP(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		var g *graph.Service
		e := newEnv(t, db, withGraph(db, &g))
		adm := e.admin("admin")
		alice, _ := e.signup("alice")
		bob, _ := e.signup("bob")
		carol, _ := e.signup("carol")
		guest := e.client()

		// Follows.
		alice.expect("PUT", "/api/v1/users/bob/follow", nil, 204)
		alice.expect("PUT", "/api/v1/users/BOB/follow", nil, 204) // idempotent, case-insensitive
		if code := alice.expect("PUT", "/api/v1/users/alice/follow", nil, 422).errCode(t); code != "validation_failed" {
			t.Fatalf("self-follow: %s", code)
		}
		alice.expect("PUT", "/api/v1/users/nobody/follow", nil, 404)
		guest.expect("PUT", "/api/v1/users/bob/follow", nil, 401)
		carol.expect("PUT", "/api/v1/users/bob/follow", nil, 204)
		carol.expect("DELETE", "/api/v1/users/bob/follow", nil, 204)
		carol.expect("DELETE", "/api/v1/users/bob/follow", nil, 204)
		if got := names(t, bob.expect("GET", "/api/v1/users/bob/followers", nil, 200).json(t)["users"]); fmt.Sprint(got) != "[alice]" {
			t.Fatalf("followers %v", got)
		}
		if got := names(t, bob.expect("GET", "/api/v1/users/alice/following", nil, 200).json(t)["users"]); fmt.Sprint(got) != "[bob]" {
			t.Fatalf("following %v", got)
		}
		bob.expect("GET", "/api/v1/users/alice/following?limit=x", nil, 400)
		guest.expect("GET", "/api/v1/users/bob/followers", nil, 401)
		if n, _ := db.Client.Event.Query().Where().Count(context.Background()); n == 0 {
			t.Fatal("no events recorded")
		}

		// Forum activity: bob replies to alice and mentions carol.
		f := num(t, adm.expect("POST", "/api/v1/forums", map[string]any{"name": "Help"}, 201).json(t), "id")
		created := alice.expect("POST", fmt.Sprintf("/api/v1/forums/%d/topics", f), map[string]any{"title": "Export?", "body": "How?", "tags": []string{"export"}}, 201).json(t)
		topicID, firstID := num(t, created["topic"].(map[string]any), "id"), num(t, created["post"].(map[string]any), "id")
		bob.expect("POST", fmt.Sprintf("/api/v1/topics/%d/posts", topicID), map[string]any{"body": "Ask @carol", "reply_to": firstID}, 201)
		drainGraph(t, db, g)

		net := alice.expect("GET", "/api/v1/graph/users/alice/neighbors?depth=2", nil, 200).json(t)
		if got := names(t, net["nodes"]); fmt.Sprint(got) != "[alice bob carol]" {
			t.Fatalf("nodes %v", got)
		}
		edges := net["edges"].([]any)
		if len(edges) != 2 {
			t.Fatalf("edges %v", edges)
		}
		ab := edges[0].(map[string]any)
		if c := ab["counts"].(map[string]any); c["follow"] != 1.0 || c["reply"] != 1.0 {
			t.Fatalf("alice–bob counts %v", c)
		}
		only := alice.expect("GET", "/api/v1/graph/users/alice/neighbors?depth=2&kinds=follow", nil, 200).json(t)
		if got := names(t, only["nodes"]); fmt.Sprint(got) != "[alice bob]" {
			t.Fatalf("kinds=follow: %v", got)
		}
		if code := alice.expect("GET", "/api/v1/graph/users/alice/neighbors?kinds=hug", nil, 400).errCode(t); code != "invalid_parameter" {
			t.Fatalf("kinds=hug: %s", code)
		}
		alice.expect("GET", "/api/v1/graph/users/alice/neighbors?depth=9", nil, 422)
		alice.expect("GET", "/api/v1/graph/users/alice/neighbors?min_weight=much", nil, 400)
		alice.expect("GET", "/api/v1/graph/users/nobody/neighbors", nil, 404)
		guest.expect("GET", "/api/v1/graph/users/alice/neighbors", nil, 401)

		p := alice.expect("GET", "/api/v1/graph/path?from=alice&to=carol", nil, 200).json(t)
		if got := names(t, p["nodes"]); fmt.Sprint(got) != "[alice bob carol]" || len(p["hops"].([]any)) != 2 {
			t.Fatalf("path %v", p)
		}
		alice.expect("GET", "/api/v1/graph/path?from=alice", nil, 422)
		if code := alice.expect("GET", "/api/v1/graph/path?from=alice&to=admin", nil, 404).errCode(t); code != "no_path" {
			t.Fatalf("no path: %s", code)
		}

		recs := alice.expect("GET", "/api/v1/graph/users/alice/recommendations", nil, 200).json(t)
		people := recs["people"].([]any)
		if len(people) != 1 || people[0].(map[string]any)["user"].(map[string]any)["username"] != "carol" {
			t.Fatalf("recommendations %v", recs)
		}
		bob.expect("GET", "/api/v1/graph/users/alice/recommendations", nil, 403)

		// Analytics are for staff.
		for _, path := range []string{"/api/v1/graph/influencers", "/api/v1/graph/communities", "/api/v1/graph/export?format=graphml"} {
			if code := alice.expect("GET", path, nil, 403).errCode(t); code != "staff_only" {
				t.Fatalf("%s: %s", path, code)
			}
		}
		inf := adm.expect("GET", "/api/v1/graph/influencers?metric=pagerank", nil, 200).json(t)
		if users := inf["users"].([]any); len(users) != 3 || users[0].(map[string]any)["username"] != "bob" {
			t.Fatalf("influencers %v", inf)
		}
		adm.expect("GET", "/api/v1/graph/influencers?metric=fame", nil, 422)
		adm.expect("GET", "/api/v1/graph/influencers?from=yesterday", nil, 400)
		win := adm.expect("GET", "/api/v1/graph/influencers?from=2000-01-01&to=2001-01-01", nil, 200).json(t)
		if users := win["users"].([]any); len(users) != 0 {
			t.Fatalf("nothing happened in 2000: %v", win)
		}
		cs := adm.expect("GET", "/api/v1/graph/communities", nil, 200).json(t)
		if cs["total"] != 1.0 || cs["status"] != "ready" || cs["computed_at"] == nil || cs["stale"] != false {
			t.Fatalf("communities %v", cs)
		}
		for format, ctype := range map[string]string{"graphml": "application/graphml+xml", "gexf": "application/gexf+xml", "json": "application/json"} {
			r := adm.expect("GET", "/api/v1/graph/export?format="+format, nil, 200)
			if !strings.HasPrefix(r.header.Get("Content-Type"), ctype) || !strings.Contains(string(r.body), "carol") {
				t.Fatalf("%s export: %s %s", format, r.header.Get("Content-Type"), r.body)
			}
		}
		adm.expect("GET", "/api/v1/graph/export?format=csv", nil, 422)

		// Carol opts out: she disappears from everyone else's results.
		me := carol.expect("PATCH", "/api/v1/me", map[string]any{"graph_opt_out": true}, 200).json(t)
		if me["graph_opt_out"] != true {
			t.Fatalf("me %v", me)
		}
		net = alice.expect("GET", "/api/v1/graph/users/alice/neighbors?depth=2", nil, 200).json(t)
		if got := names(t, net["nodes"]); fmt.Sprint(got) != "[alice bob]" {
			t.Fatalf("after opt-out: %v", got)
		}
		alice.expect("GET", "/api/v1/graph/users/carol/neighbors", nil, 404)
		alice.expect("GET", "/api/v1/graph/path?from=alice&to=carol", nil, 404)
		if r := adm.expect("GET", "/api/v1/graph/export?format=gexf", nil, 200); strings.Contains(string(r.body), "carol") {
			t.Fatalf("export shows carol: %s", r.body)
		}
		carol.expect("GET", "/api/v1/graph/users/carol/neighbors", nil, 200)
	})
}
