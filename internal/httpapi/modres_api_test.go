package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	entresource "github.com/crn-dev/crn/ent/resource"
	"github.com/crn-dev/crn/internal/config"
	"github.com/crn-dev/crn/internal/database"
	"github.com/crn-dev/crn/internal/database/dbtest"
	"github.com/crn-dev/crn/internal/feedback"
	"github.com/crn-dev/crn/internal/forum"
	"github.com/crn-dev/crn/internal/graph"
	"github.com/crn-dev/crn/internal/httpapi"
	"github.com/crn-dev/crn/internal/markup"
	"github.com/crn-dev/crn/internal/moderation"
	"github.com/crn-dev/crn/internal/notify"
	"github.com/crn-dev/crn/internal/resource"
	"github.com/crn-dev/crn/internal/storage"
)

// withModeratedResources serves resources, groups, feedback and the graph
// with moderation acting on resources, as internal/app wires them.
func withModeratedResources(t *testing.T, db *database.DB) option {
	return func(_ *config.Config, d *httpapi.Deps) {
		store, err := storage.NewDisk(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		render := markup.New(markup.Options{})
		sc := &moderation.Screener{}
		d.Forums = forum.New(db, render, forum.Options{Screen: sc})
		d.Resources = resource.New(db, store, render, resource.Options{Limits: resource.DefaultLimits, Groups: d.Groups.ContentAccess()})
		d.Moderation = moderation.New(db, d.Forums, moderation.Options{Resources: d.Resources})
		sc.S = d.Moderation
		d.Feedback = feedback.New(db, d.Forums, feedback.Options{})
		d.Graph = graph.New(db, graph.NewMemory(graph.DefaultHalfLife), graph.Options{})
	}
}

// Flags on resources: threshold auto-hide (treated as deleted for all but
// the owner and moderators), the owner notified, queue actions and
// reverts, and nothing learnt about resources one cannot see.
func TestResourceFlagsOverHTTP(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		e := newEnv(t, db, withModeratedResources(t, db))
		mod := e.moderator("mod")
		olga, _ := e.signup("olga")
		alice, _ := e.signup("alice")
		carol, _ := e.signup("carol")
		dave, _ := e.signup("dave")
		erin, _ := e.signup("erin")
		for _, n := range []string{"alice", "carol", "dave", "erin"} {
			e.setTrust(n, 2) // weight 2: two flags pass the threshold of 3
		}
		guest := e.client()
		file := olga.upload("/api/v1/resources", http.StatusCreated, part{name: "title", value: "Cheap pills zebra"},
			part{name: "file", filename: "pills.txt", contentType: "text/plain", value: "buy now\n"}).json(t)
		id := num(t, file, "id")
		path := fmt.Sprintf("/api/v1/resources/%d", id)
		flag := func(c *client, status int) response {
			return c.expect("POST", "/api/v1/flags", map[string]any{"target_type": "resource", "target_id": id, "reason": "spam"}, status)
		}
		olga.expect("POST", "/api/v1/flags", map[string]any{"target_type": "resource", "target_id": id, "reason": "spam"}, http.StatusConflict)
		guest.expect("POST", "/api/v1/flags", map[string]any{"target_type": "resource", "target_id": id, "reason": "spam"}, http.StatusUnauthorized)
		alice.expect("POST", "/api/v1/flags", map[string]any{"target_type": "resource", "target_id": 999999, "reason": "spam"}, http.StatusNotFound)
		flag(alice, http.StatusCreated)
		guest.expect("GET", path, nil, http.StatusOK) // one flag: still shown
		flag(carol, http.StatusCreated)

		hiddenFromOthers := func(when string) {
			t.Helper()
			for name, c := range map[string]*client{"guest": guest, "alice": alice} {
				for _, p := range []string{path, path + "/versions", path + "/download"} {
					if r := c.do("GET", p, nil); r.status != http.StatusNotFound {
						t.Fatalf("%s: %s GET %s = %d, want 404", when, name, p, r.status)
					}
				}
				for _, r := range c.expect("GET", "/api/v1/resources", nil, http.StatusOK).json(t)["resources"].([]any) {
					if num(t, r.(map[string]any), "id") == id {
						t.Fatalf("%s: %s lists the hidden resource", when, name)
					}
				}
			}
			alice.expect("PUT", path+"/rating", map[string]any{"stars": 1}, http.StatusNotFound)
			if v := olga.expect("GET", path, nil, http.StatusOK).json(t); v["hidden_at"] == nil {
				t.Fatalf("%s: the owner does not see it as hidden: %v", when, v)
			}
			olga.expect("GET", path+"/download", nil, http.StatusOK)
			mod.expect("GET", path, nil, http.StatusOK)
			if list := olga.expect("GET", "/api/v1/resources?owner=olga", nil, http.StatusOK).json(t)["resources"].([]any); len(list) != 1 {
				t.Fatalf("%s: the owner lists %v", when, list)
			}
		}
		shown := func(when string) {
			t.Helper()
			if v := guest.expect("GET", path, nil, http.StatusOK).json(t); v["hidden_at"] != nil {
				t.Fatalf("%s: %v", when, v)
			}
		}
		hiddenFromOthers("after two flags")
		flag(dave, http.StatusNotFound) // flagging what one cannot see: 404

		// The owner is told.
		relayTo(t, db, notify.Consumer{Postgres: db.Dialect == database.Postgres})
		found := false
		for _, n := range olga.expect("GET", "/api/v1/notifications", nil, http.StatusOK).json(t)["notifications"].([]any) {
			if n.(map[string]any)["kind"] == notify.KindResourceHidden {
				found = true
			}
		}
		if !found {
			t.Fatal("the owner was not notified")
		}

		// The queue: dismissing the flags shows the resource again.
		items := mod.expect("GET", "/api/v1/moderation/queue", nil, http.StatusOK).json(t)["items"].([]any)
		if len(items) != 1 || items[0].(map[string]any)["target_type"] != "resource" {
			t.Fatalf("queue: %v", items)
		}
		item := num(t, items[0].(map[string]any), "id")
		alice.expect("POST", fmt.Sprintf("/api/v1/moderation/queue/%d/dismiss", item), nil, http.StatusForbidden)
		mod.expect("POST", fmt.Sprintf("/api/v1/moderation/queue/%d/delete", item), nil, http.StatusConflict)
		if it := mod.expect("POST", fmt.Sprintf("/api/v1/moderation/queue/%d/dismiss", item), map[string]any{"reason": "fine"}, http.StatusOK).json(t); it["status"] != "resolved" {
			t.Fatalf("dismiss: %v", it)
		}
		shown("after dismiss")

		// Flagged again: hidden again; approving shows it and closes the item.
		flag(dave, http.StatusCreated)
		flag(erin, http.StatusCreated)
		hiddenFromOthers("flagged again")
		items = mod.expect("GET", "/api/v1/moderation/queue", nil, http.StatusOK).json(t)["items"].([]any)
		if len(items) != 1 {
			t.Fatalf("queue: %v", items)
		}
		item = num(t, items[0].(map[string]any), "id")
		mod.expect("POST", fmt.Sprintf("/api/v1/moderation/queue/%d/approve", item), map[string]any{"reason": "legit"}, http.StatusOK)
		shown("after approve")

		// A moderator hides it by hand; the audit log reverts that.
		mod.expect("POST", fmt.Sprintf("/api/v1/moderation/queue/%d/hide", item), map[string]any{"reason": "spam after all"}, http.StatusOK)
		hiddenFromOthers("hidden by a moderator")
		entries := mod.expect("GET", fmt.Sprintf("/api/v1/moderation/audit?target=resource:%d&action=resource.hide", id), nil, http.StatusOK).json(t)["entries"].([]any)
		// A moderator reads their own entries (the automatic hides are the system's).
		if len(entries) != 1 || entries[0].(map[string]any)["reason"] != "spam after all" {
			t.Fatalf("audit entries: %v", entries)
		}
		byMod := num(t, entries[0].(map[string]any), "id")
		mod.expect("POST", fmt.Sprintf("/api/v1/moderation/audit/%d/revert", byMod), map[string]any{"reason": "too hasty"}, http.StatusCreated)
		shown("after revert")
		mod.expect("POST", fmt.Sprintf("/api/v1/moderation/audit/%d/revert", byMod), nil, http.StatusConflict)

		// A private group's resource: outsiders learn nothing by flagging.
		olga.expect("POST", "/api/v1/groups", map[string]any{"name": "Inner circle", "slug": "inner", "visibility": "private"}, http.StatusCreated)
		gid := num(t, olga.expect("GET", "/api/v1/groups/inner", nil, http.StatusOK).json(t), "id")
		olga.expect("POST", "/api/v1/groups/inner/invites", map[string]any{"username": "alice"}, http.StatusCreated)
		alice.expect("POST", "/api/v1/groups/inner/join", nil, http.StatusOK)
		secret := num(t, olga.expect("POST", "/api/v1/resources", map[string]any{"kind": "link", "title": "Secret plan", "url": "https://example.com/s", "group_id": gid}, http.StatusCreated).json(t), "id")
		for _, c := range []*client{carol, dave} {
			if code := c.expect("POST", "/api/v1/flags", map[string]any{"target_type": "resource", "target_id": secret, "reason": "spam"}, http.StatusNotFound).errCode(t); code != "resource_not_found" {
				t.Fatalf("an outsider flagging a private resource gets %s", code)
			}
		}
		alice.expect("POST", "/api/v1/flags", map[string]any{"target_type": "resource", "target_id": secret, "reason": "spam"}, http.StatusCreated)
	})
}

// A silenced user can read but write nothing anywhere; lifting the
// sanction lets them write again; a suspended user's token stops working.
func TestSanctionsEnforcedOnEveryWriteSurface(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		e := newEnv(t, db, withModeratedResources(t, db))
		adm := e.admin("admin")
		mod := e.moderator("mod")
		olga, _ := e.signup("olga")
		sam, samToken := e.signup("sam")
		board := num(t, adm.expect("POST", "/api/v1/forums", map[string]any{"name": "Ideas", "kind": "feedback"}, http.StatusCreated).json(t), "id")
		help := num(t, adm.expect("POST", "/api/v1/forums", map[string]any{"name": "Help"}, http.StatusCreated).json(t), "id")
		res := num(t, olga.expect("POST", "/api/v1/resources", map[string]any{"kind": "link", "title": "Olga's link", "url": "https://example.com/o"}, http.StatusCreated).json(t), "id")
		own := num(t, sam.expect("POST", "/api/v1/resources", map[string]any{"kind": "link", "title": "Sam's link", "url": "https://example.com/s"}, http.StatusCreated).json(t), "id")
		fb := num(t, olga.expect("POST", "/api/v1/feedback", map[string]any{"board": board, "title": "Dark mode please", "body": "Eyes."}, http.StatusCreated).json(t), "id")
		post := num(t, olga.expect("POST", fmt.Sprintf("/api/v1/forums/%d/topics", help), map[string]any{"title": "Printer jam", "body": "Help me"}, http.StatusCreated).json(t)["post"].(map[string]any), "id")
		olga.expect("POST", "/api/v1/groups", map[string]any{"name": "Open club", "slug": "club", "visibility": "public"}, http.StatusCreated)
		gforum := num(t, olga.expect("POST", "/api/v1/groups/club/forums", map[string]any{"name": "Club talk"}, http.StatusCreated).json(t), "id")
		gpost := num(t, olga.expect("POST", fmt.Sprintf("/api/v1/forums/%d/topics", gforum), map[string]any{"title": "Welcome all", "body": "Hi"}, http.StatusCreated).json(t)["topic"].(map[string]any), "id")

		mod.expect("POST", "/api/v1/users/sam/silence", map[string]any{"reason": "cool off", "duration_hours": 24}, http.StatusOK)

		count := func(n int, err error) int {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		c := db.Client
		cases := []struct {
			name   string
			do     func() response
			stored func() int // rows the write would have added or changed
		}{
			{"create resource", func() response {
				return sam.do("POST", "/api/v1/resources", map[string]any{"kind": "link", "title": "Spam link", "url": "https://example.com/x"})
			}, func() int { return count(c.Resource.Query().Count(ctx)) - 2 }},
			{"upload resource", func() response {
				return sendParts(t, sam, "POST", "/api/v1/resources", part{name: "title", value: "Spam file"}, part{name: "file", filename: "a.txt", value: "x"})
			}, func() int { return count(c.Resource.Query().Count(ctx)) - 2 }},
			{"edit resource", func() response {
				return sam.do("PATCH", fmt.Sprintf("/api/v1/resources/%d", own), map[string]any{"title": "Changed title"})
			}, func() int { return count(c.Resource.Query().Where(entresource.Title("Changed title")).Count(ctx)) }},
			{"upload version", func() response {
				return sendParts(t, sam, "POST", fmt.Sprintf("/api/v1/resources/%d/versions", own), part{name: "file", filename: "b.txt", value: "y"})
			}, func() int { return count(c.ResourceVersion.Query().Count(ctx)) }},
			{"rate resource", func() response {
				return sam.do("PUT", fmt.Sprintf("/api/v1/resources/%d/rating", res), map[string]any{"stars": 5})
			}, func() int { return count(c.ResourceRating.Query().Count(ctx)) }},
			{"file feedback", func() response {
				return sam.do("POST", "/api/v1/feedback", map[string]any{"board": board, "title": "Spam idea here", "body": "x"})
			}, func() int { return count(c.FeedbackItem.Query().Count(ctx)) - 1 }},
			{"vote feedback", func() response { return sam.do("PUT", fmt.Sprintf("/api/v1/feedback/%d/vote", fb), nil) },
				func() int { return count(c.FeedbackVote.Query().Count(ctx)) - 1 }},
			{"unvote feedback", func() response { return sam.do("DELETE", fmt.Sprintf("/api/v1/feedback/%d/vote", fb), nil) },
				func() int { return count(c.FeedbackVote.Query().Count(ctx)) - 1 }},
			{"csat", func() response {
				return sam.do("POST", fmt.Sprintf("/api/v1/feedback/%d/csat", fb), map[string]any{"score": 1})
			}, func() int { return count(c.FeedbackSatisfaction.Query().Count(ctx)) }},
			{"react", func() response { return sam.do("PUT", fmt.Sprintf("/api/v1/posts/%d/reactions/like", post), nil) },
				func() int { return count(c.Reaction.Query().Count(ctx)) }},
			{"create group", func() response {
				return sam.do("POST", "/api/v1/groups", map[string]any{"name": "Sam's club", "slug": "sams", "visibility": "public"})
			}, func() int { return count(c.Group.Query().Count(ctx)) - 1 }},
			{"join group", func() response { return sam.do("POST", "/api/v1/groups/club/join", nil) },
				func() int { return count(c.GroupMember.Query().Count(ctx)) - 1 }},
			{"post in group forum", func() response {
				return sam.do("POST", fmt.Sprintf("/api/v1/topics/%d/posts", gpost), map[string]any{"body": "spam reply"})
			}, func() int { return count(c.Post.Query().Count(ctx)) - 3 }},
			{"start group topic", func() response {
				return sam.do("POST", fmt.Sprintf("/api/v1/forums/%d/topics", gforum), map[string]any{"title": "Spam topic", "body": "x"})
			}, func() int { return count(c.Topic.Query().Count(ctx)) - 3 }},
			{"follow", func() response { return sam.do("PUT", "/api/v1/users/olga/follow", nil) },
				func() int { return count(c.UserFollow.Query().Count(ctx)) }},
		}
		for _, tc := range cases {
			r := tc.do()
			if r.status != http.StatusForbidden {
				t.Fatalf("%s while silenced: %d %s, want 403", tc.name, r.status, r.body)
			}
			if code := r.errCode(t); code != "account_silenced" {
				t.Fatalf("%s while silenced: code %s", tc.name, code)
			}
			if n := tc.stored(); n != 0 {
				t.Fatalf("%s while silenced stored %d rows", tc.name, n)
			}
		}
		// Reading still works.
		sam.expect("GET", fmt.Sprintf("/api/v1/resources/%d", res), nil, http.StatusOK)

		mod.expect("POST", "/api/v1/users/sam/unsilence", map[string]any{"reason": "ok"}, http.StatusOK)
		sam.expect("PUT", fmt.Sprintf("/api/v1/resources/%d/rating", res), map[string]any{"stars": 5}, http.StatusOK)
		if n := count(c.ResourceRating.Query().Count(ctx)); n != 1 {
			t.Fatalf("%d ratings after unsilencing", n)
		}

		// Suspension: an existing bearer token stops working at once.
		api := e.client()
		api.bearer = samToken
		api.expect("PUT", fmt.Sprintf("/api/v1/feedback/%d/vote", fb), nil, http.StatusOK)
		mod.expect("POST", "/api/v1/users/sam/suspend", map[string]any{"reason": "enough", "duration_hours": 24}, http.StatusOK)
		api.expect("PUT", fmt.Sprintf("/api/v1/resources/%d/rating", res), map[string]any{"stars": 1}, http.StatusUnauthorized)
		api.expect("DELETE", fmt.Sprintf("/api/v1/feedback/%d/vote", fb), nil, http.StatusUnauthorized)
		if n := count(c.FeedbackVote.Query().Count(ctx)); n != 2 {
			t.Fatalf("%d votes after a suspended user's unvote", n)
		}
	})
}

// sendParts sends a multipart form and returns the response, whatever its status.
func sendParts(t *testing.T, c *client, method, path string, parts ...part) response {
	ct, body := multipartBody(t, parts...)
	return c.send(method, path, ct, body)
}
