package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/crn-dev/crn/ent/user"
	"github.com/crn-dev/crn/internal/config"
	"github.com/crn-dev/crn/internal/database"
	"github.com/crn-dev/crn/internal/database/dbtest"
	"github.com/crn-dev/crn/internal/forum"
	"github.com/crn-dev/crn/internal/httpapi"
	"github.com/crn-dev/crn/internal/markup"
	"github.com/crn-dev/crn/internal/moderation"
)

// withModeration serves the forum with moderation screening it.
func withModeration(db *database.DB) option {
	return func(_ *config.Config, d *httpapi.Deps) {
		sc := &moderation.Screener{}
		d.Forums = forum.New(db, markup.New(markup.Options{
			UserURL: func(u string) string { return "/u/" + u },
			TagURL:  func(t string) string { return "/tags/" + t },
		}), forum.Options{Screen: sc})
		d.Moderation = moderation.New(db, d.Forums, moderation.Options{})
		sc.S = d.Moderation
	}
}

// moderator signs up name as a moderator of the given forums.
func (e *env) moderator(name string, forumIDs ...int) *client {
	c, _ := e.signup(name)
	ctx := context.Background()
	u := e.db.Client.User.Query().Where(user.UsernameKey(name)).OnlyX(ctx)
	e.db.Client.User.UpdateOneID(u.ID).SetRole(user.RoleModerator).AddModeratedForumIDs(forumIDs...).ExecX(ctx)
	return c
}

func (e *env) setTrust(name string, level int) {
	e.db.Client.User.Update().Where(user.UsernameKey(name)).SetTrustLevel(level).ExecX(context.Background())
}

func TestModerationOverHTTP(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		e := newEnv(t, db, withModeration(db))
		adm := e.admin("admin")
		help := num(t, adm.expect("POST", "/api/v1/forums", map[string]any{"name": "Help"}, 201).json(t), "id")
		ideas := num(t, adm.expect("POST", "/api/v1/forums", map[string]any{"name": "Ideas"}, 201).json(t), "id")
		mod := e.moderator("mod", help)
		ideasMod := e.moderator("ideasmod", ideas)
		alice, _ := e.signup("alice")
		bob, bobToken := e.signup("bob")
		carol, _ := e.signup("carol")
		e.setTrust("alice", 2)
		e.setTrust("carol", 2)
		e.setTrust("bob", 1)
		guest := e.client()

		created := alice.expect("POST", fmt.Sprintf("/api/v1/forums/%d/topics", help), map[string]any{"title": "Printer", "body": "How do I print?"}, 201).json(t)
		topicID := num(t, created["topic"].(map[string]any), "id")
		ownPost := num(t, created["post"].(map[string]any), "id")
		rude := num(t, bob.expect("POST", fmt.Sprintf("/api/v1/topics/%d/posts", topicID), map[string]any{"body": "What a stupid question"}, 201).json(t), "id")

		// Flags: bad input, own content, twice.
		guest.expect("POST", "/api/v1/flags", map[string]any{"target_type": "post", "target_id": rude, "reason": "spam"}, 401)
		alice.expect("POST", "/api/v1/flags", map[string]any{"target_type": "post", "target_id": rude, "reason": "rude"}, 422)
		alice.expect("POST", "/api/v1/flags", map[string]any{"target_type": "post", "target_id": rude, "reason": "other"}, 422)
		alice.expect("POST", "/api/v1/flags", map[string]any{"target_type": "post", "target_id": ownPost, "reason": "spam"}, 409)
		alice.expect("POST", "/api/v1/flags", map[string]any{"target_type": "post", "target_id": 999999, "reason": "spam"}, 404)
		alice.expect("POST", "/api/v1/flags", map[string]any{"target_type": "post", "target_id": rude, "reason": "harassment"}, 201)
		if code := alice.expect("POST", "/api/v1/flags", map[string]any{"target_type": "post", "target_id": rude, "reason": "spam"}, 409).errCode(t); code != "already_flagged" {
			t.Fatal(code)
		}
		// Two trust-2 flags (weight 2 each) pass the threshold of 3: hidden.
		carol.expect("POST", "/api/v1/flags", map[string]any{"target_type": "post", "target_id": rude, "reason": "harassment"}, 201)
		guest.expect("GET", fmt.Sprintf("/api/v1/posts/%d", rude), nil, 404)
		if p := bob.expect("GET", fmt.Sprintf("/api/v1/posts/%d", rude), nil, 200).json(t); p["hidden_at"] == nil {
			t.Fatalf("the author does not see the post as hidden: %v", p)
		}
		if posts := guest.expect("GET", fmt.Sprintf("/api/v1/topics/%d/posts", topicID), nil, 200).json(t)["posts"].([]any); len(posts) != 1 {
			t.Fatalf("a guest sees %d posts", len(posts))
		}
		// Flagging a user.
		bobID := num(t, guest.expect("GET", "/api/v1/users/bob", nil, 200).json(t), "id")
		alice.expect("POST", "/api/v1/flags", map[string]any{"target_type": "user", "target_id": bobID, "reason": "harassment"}, 201)

		// The queue: moderators only, scoped.
		alice.expect("GET", "/api/v1/moderation/queue", nil, 403)
		guest.expect("GET", "/api/v1/moderation/queue", nil, 401)
		q := mod.expect("GET", "/api/v1/moderation/queue", nil, 200).json(t)
		items := q["items"].([]any)
		if len(items) != 2 || num(t, q, "open_count") != 2 {
			t.Fatalf("queue: %v", q)
		}
		postItem := items[0].(map[string]any)
		if postItem["target_type"] != "post" || len(postItem["flags"].([]any)) != 2 || postItem["post"] == nil || postItem["author_history"] == nil {
			t.Fatalf("item: %v", postItem)
		}
		itemID := num(t, postItem, "id")
		if got := ideasMod.expect("GET", "/api/v1/moderation/queue", nil, 200).json(t)["items"].([]any); len(got) != 1 {
			t.Fatalf("the ideas moderator sees %d items (only the user flag is theirs)", len(got))
		}
		ideasMod.expect("POST", fmt.Sprintf("/api/v1/moderation/queue/%d/delete", itemID), nil, 403)
		bob.expect("POST", fmt.Sprintf("/api/v1/moderation/queue/%d/delete", itemID), nil, 403)
		mod.expect("POST", fmt.Sprintf("/api/v1/moderation/queue/%d/explode", itemID), nil, 404)
		mod.expect("POST", fmt.Sprintf("/api/v1/moderation/queue/%d/note", itemID), map[string]any{"body": "second time this week"}, 200)
		done := mod.expect("POST", fmt.Sprintf("/api/v1/moderation/queue/%d/delete", itemID), map[string]any{"reason": "harassment"}, 200).json(t)
		if done["status"] != "resolved" || len(done["notes"].([]any)) != 1 {
			t.Fatalf("after delete: %v", done)
		}
		mod.expect("POST", fmt.Sprintf("/api/v1/moderation/queue/%d/warn", itemID), map[string]any{"reason": "be kind"}, 200)

		// Topic actions: members 403, moderators of another forum 403.
		alice.expect("POST", fmt.Sprintf("/api/v1/topics/%d/lock", topicID), nil, 403)
		ideasMod.expect("POST", fmt.Sprintf("/api/v1/topics/%d/lock", topicID), nil, 403)
		if tv := mod.expect("POST", fmt.Sprintf("/api/v1/topics/%d/lock", topicID), map[string]any{"reason": "answered"}, 200).json(t); tv["locked"] != true {
			t.Fatalf("lock: %v", tv)
		}
		mod.expect("POST", fmt.Sprintf("/api/v1/topics/%d/move", topicID), map[string]any{"forum_id": ideas}, 403)
		adm.expect("POST", fmt.Sprintf("/api/v1/topics/%d/move", topicID), map[string]any{"forum_id": ideas}, 200)

		// Sanctions.
		mod.expect("POST", "/api/v1/users/admin/suspend", map[string]any{"reason": "coup", "duration_hours": 1}, 403)
		mod.expect("POST", "/api/v1/users/bob/suspend", map[string]any{"duration_hours": 1}, 422)
		alice.expect("POST", "/api/v1/users/bob/suspend", map[string]any{"reason": "x"}, 403)
		su := mod.expect("POST", "/api/v1/users/bob/suspend", map[string]any{"reason": "harassment", "duration_hours": 24}, 200).json(t)
		if su["status"] != "suspended" {
			t.Fatalf("suspend: %v", su)
		}
		api := e.client()
		api.bearer = bobToken
		api.expect("GET", "/api/v1/me", nil, 401)
		e.client().expect("POST", "/api/v1/auth/login", map[string]any{"login": "bob", "password": "correct horse"}, 403)
		mod.expect("POST", "/api/v1/users/bob/unsuspend", nil, 200)
		e.client().expect("POST", "/api/v1/auth/login", map[string]any{"login": "bob", "password": "correct horse"}, 200)
		mod.expect("POST", "/api/v1/users/bob/unsuspend", nil, 409)

		// Trust levels.
		alice.expect("PUT", "/api/v1/users/bob/trust-level", map[string]any{"level": 3}, 403)
		mod.expect("PUT", "/api/v1/users/bob/trust-level", map[string]any{"level": 9}, 422)
		if u := mod.expect("PUT", "/api/v1/users/bob/trust-level", map[string]any{"level": 3}, 200).json(t); num(t, u, "trust_level") != 3 || u["trust_level_locked"] != true {
			t.Fatalf("trust: %v", u)
		}

		// The audit log: filtered, CSV, reverts.
		alice.expect("GET", "/api/v1/moderation/audit", nil, 403)
		log := adm.expect("GET", "/api/v1/moderation/audit?actor=mod&action=topic.lock", nil, 200).json(t)["entries"].([]any)
		if len(log) != 1 || log[0].(map[string]any)["actor"].(map[string]any)["username"] != "mod" {
			t.Fatalf("audit: %v", log)
		}
		lockID := num(t, log[0].(map[string]any), "id")
		all := adm.expect("GET", fmt.Sprintf("/api/v1/moderation/audit?target=user:%d", bobID), nil, 200).json(t)["entries"].([]any)
		if len(all) < 3 {
			t.Fatalf("bob's entries: %d", len(all))
		}
		adm.expect("GET", "/api/v1/moderation/audit?target=nonsense", nil, 422)
		adm.expect("GET", "/api/v1/moderation/audit?from=yesterday", nil, 422)
		csv := adm.expect("GET", "/api/v1/moderation/audit?format=csv", nil, 200)
		if !strings.HasPrefix(csv.header.Get("Content-Type"), "text/csv") || !strings.HasPrefix(string(csv.body), "id,created_at,actor_id,actor,action") ||
			!strings.Contains(string(csv.body), "topic.lock") {
			t.Fatalf("csv: %s", csv.body)
		}
		// Moving the topic to ideas took it out of mod's scope: the admin reverts the move first.
		moveID := num(t, adm.expect("GET", "/api/v1/moderation/audit?action=topic.move", nil, 200).json(t)["entries"].([]any)[0].(map[string]any), "id")
		adm.expect("POST", fmt.Sprintf("/api/v1/moderation/audit/%d/revert", moveID), nil, 201)
		mod.expect("POST", fmt.Sprintf("/api/v1/moderation/audit/%d/revert", lockID), map[string]any{"reason": "reopened"}, 201)
		mod.expect("POST", fmt.Sprintf("/api/v1/moderation/audit/%d/revert", lockID), nil, 409)
		if tv := guest.expect("GET", fmt.Sprintf("/api/v1/topics/%d", topicID), nil, 200).json(t); tv["locked"] != false || num(t, tv, "forum_id") != help {
			t.Fatalf("after reverts: %v", tv)
		}
		ideasMod.expect("POST", fmt.Sprintf("/api/v1/moderation/audit/%d/revert", lockID), nil, 404)
	})
}

func TestAutomodAndFloodOverHTTP(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		e := newEnv(t, db, withModeration(db))
		adm := e.admin("admin")
		help := num(t, adm.expect("POST", "/api/v1/forums", map[string]any{"name": "Help"}, 201).json(t), "id")
		mod := e.moderator("mod", help)
		alice, _ := e.signup("alice")

		mod.expect("GET", "/api/v1/admin/automod", nil, 403)
		st := adm.expect("GET", "/api/v1/admin/automod", nil, 200).json(t)
		if st["flags"].(map[string]any)["hide_threshold"] == nil || len(st["rate_limits"].([]any)) != 5 {
			t.Fatalf("settings: %v", st)
		}
		bad := adm.expect("PUT", "/api/v1/admin/automod", map[string]any{"watched_words": []any{
			map[string]any{"pattern": "ok", "action": "block"},
			map[string]any{"pattern": "(x+x+)+y[", "regex": true, "action": "block"},
			map[string]any{"pattern": "(?:a{1000}){1000}", "regex": true, "action": "hold"},
			map[string]any{"pattern": "fine", "action": "explode"},
		}}, 422).json(t)
		fields := bad["error"].(map[string]any)["details"].(map[string]any)["fields"].(map[string]any)
		for _, k := range []string{"watched_words[1].pattern", "watched_words[2].pattern", "watched_words[3].action"} {
			if fields[k] == nil {
				t.Errorf("no complaint about %s: %v", k, fields)
			}
		}
		adm.expect("PUT", "/api/v1/admin/automod", map[string]any{"flags": map[string]any{"weights": []int{1}}}, 422)
		adm.expect("PUT", "/api/v1/admin/automod", map[string]any{"nonsense": 1}, 400)
		if got := adm.expect("GET", "/api/v1/admin/automod", nil, 200).json(t); len(got["watched_words"].([]any)) != 0 {
			t.Fatal("a refused PUT changed the rules")
		}
		adm.expect("PUT", "/api/v1/admin/automod", map[string]any{"reason": "spam wave", "watched_words": []any{
			map[string]any{"pattern": "发票", "action": "block"},
			map[string]any{"pattern": "shit", "action": "replace", "replacement": "s***"},
		}}, 200)
		created := alice.expect("POST", fmt.Sprintf("/api/v1/forums/%d/topics", help), map[string]any{"title": "Hello", "body": "Hi all"}, 201).json(t)
		topicID := num(t, created["topic"].(map[string]any), "id")
		r := alice.expect("POST", fmt.Sprintf("/api/v1/topics/%d/posts", topicID), map[string]any{"body": "代开发票，请联系"}, 422)
		if r.errCode(t) != "blocked_by_rule" {
			t.Fatal(r.errCode(t))
		}
		p := alice.expect("POST", fmt.Sprintf("/api/v1/topics/%d/posts", topicID), map[string]any{"body": "oh SHIT, it works; shitake is fine"}, 201).json(t)
		if p["source"] != "oh s***, it works; shitake is fine" {
			t.Fatalf("replace: %v", p["source"])
		}

		// A flood from one account (trust 0: 10 posts a minute) ends in 429.
		ctx := context.Background()
		stored := 0
		var limited response
		for i := 0; i < 20; i++ {
			r := alice.do("POST", fmt.Sprintf("/api/v1/topics/%d/posts", topicID), map[string]any{"body": fmt.Sprintf("flood message %d", i)})
			if r.status == http.StatusTooManyRequests {
				limited = r
				break
			}
			if r.status != 201 {
				t.Fatalf("post %d: %d %s", i, r.status, r.body)
			}
			stored++
		}
		if limited.status != http.StatusTooManyRequests || limited.header.Get("Retry-After") == "" || limited.errCode(t) != "rate_limited" {
			t.Fatalf("no 429 with Retry-After after %d posts", stored)
		}
		before := db.Client.Post.Query().CountX(ctx)
		alice.expect("POST", fmt.Sprintf("/api/v1/topics/%d/posts", topicID), map[string]any{"body": "one more"}, 429)
		if db.Client.Post.Query().CountX(ctx) != before {
			t.Fatal("a post past the rate limit was stored")
		}

		// Merge and split through the API, reverted from the audit log.
		// Topics count against the same per-minute budget.
		alice.expect("POST", fmt.Sprintf("/api/v1/forums/%d/topics", help), map[string]any{"title": "Hello again", "body": "Hi again"}, 429)
		mod.expect("POST", fmt.Sprintf("/api/v1/topics/%d/split", topicID), map[string]any{"post_ids": []int{num(t, p, "id")}, "title": "x"}, 422)
		split := mod.expect("POST", fmt.Sprintf("/api/v1/topics/%d/split", topicID), map[string]any{"post_ids": []int{num(t, p, "id")}, "title": "Mushrooms"}, 201).json(t)
		newID := num(t, split, "id")
		if num(t, split, "reply_count") != 0 {
			t.Fatalf("split topic: %v", split)
		}
		merged := mod.expect("POST", fmt.Sprintf("/api/v1/topics/%d/merge", newID), map[string]any{"into_topic_id": topicID}, 200)
		auditID := merged.header.Get("X-Audit-Id")
		mod.expect("POST", "/api/v1/moderation/audit/"+auditID+"/revert", nil, 201)
		if posts := mod.expect("GET", fmt.Sprintf("/api/v1/topics/%d/posts", newID), nil, 200).json(t)["posts"].([]any); len(posts) != 1 {
			t.Fatalf("after unmerge the split topic has %d posts", len(posts))
		}
	})
}
