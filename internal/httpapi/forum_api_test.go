package httpapi_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/crn-dev/crn/ent/user"
	"github.com/crn-dev/crn/internal/database"
	"github.com/crn-dev/crn/internal/database/dbtest"
)

// admin signs up name and promotes them to administrator.
func (e *env) admin(name string) *client {
	c, _ := e.signup(name)
	e.db.Client.User.Update().Where(user.UsernameKey(name)).SetRole(user.RoleAdmin).ExecX(context.Background())
	return c
}

func num(t *testing.T, m map[string]any, key string) int {
	t.Helper()
	v, ok := m[key].(float64)
	if !ok {
		t.Fatalf("%s is not a number in %v", key, m)
	}
	return int(v)
}

func TestForumTopicPostFlowOverHTTP(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		e := newEnv(t, db)
		adm := e.admin("admin")
		alice, _ := e.signup("alice")
		bob, _ := e.signup("bob")
		guest := e.client()

		pub := adm.expect("POST", "/api/v1/forums", map[string]any{"name": "Product Help", "description": "Ask"}, 201).json(t)
		priv := adm.expect("POST", "/api/v1/forums", map[string]any{"name": "Customers only", "read_visibility": "members"}, 201).json(t)
		pubID, privID := num(t, pub, "id"), num(t, priv, "id")
		if pub["slug"] != "product-help" {
			t.Fatalf("slug %v", pub["slug"])
		}
		alice.expect("POST", "/api/v1/forums", map[string]any{"name": "Mine"}, 403).errCode(t)
		guest.expect("POST", "/api/v1/forums", map[string]any{"name": "Mine"}, 401).errCode(t)

		created := alice.expect("POST", fmt.Sprintf("/api/v1/forums/%d/topics", pubID), map[string]any{
			"title": "如何导出数据？", "body": "Hello @bob, see #export", "tags": []string{"Export"}, "kind": "question",
		}, 201).json(t)
		topic := created["topic"].(map[string]any)
		topicID := num(t, topic, "id")
		if topic["tags"].([]any)[0] != "export" || topic["kind"] != "question" {
			t.Fatalf("topic: %v", topic)
		}
		first := created["post"].(map[string]any)
		if !strings.Contains(first["html"].(string), `class="mention"`) {
			t.Fatalf("mention not linked: %v", first["html"])
		}
		reply := bob.expect("POST", fmt.Sprintf("/api/v1/topics/%d/posts", topicID), map[string]any{"body": "Use the export button.", "reply_to": num(t, first, "id")}, 201).json(t)
		replyID := num(t, reply, "id")
		if reply["reply_to_user"].(map[string]any)["username"] != "alice" || num(t, reply, "post_number") != 2 {
			t.Fatalf("reply: %v", reply)
		}
		// Guests read public topics and posts.
		posts := guest.expect("GET", fmt.Sprintf("/api/v1/topics/%d/posts", topicID), nil, 200).json(t)["posts"].([]any)
		if len(posts) != 2 {
			t.Fatalf("posts: %d", len(posts))
		}
		guest.expect("GET", fmt.Sprintf("/api/v1/forums/%d/topics?sort=latest", pubID), nil, 200)
		// ... but never a members-only forum, its topics or its posts.
		hidden := alice.expect("POST", fmt.Sprintf("/api/v1/forums/%d/topics", privID), map[string]any{"title": "Internal pricing", "body": "secret"}, 201).json(t)
		hiddenID := num(t, hidden["topic"].(map[string]any), "id")
		for _, path := range []string{
			fmt.Sprintf("/api/v1/forums/%d", privID), fmt.Sprintf("/api/v1/forums/%d/topics", privID),
			fmt.Sprintf("/api/v1/topics/%d", hiddenID), fmt.Sprintf("/api/v1/topics/%d/posts", hiddenID),
			fmt.Sprintf("/api/v1/posts/%d", num(t, hidden["post"].(map[string]any), "id")),
		} {
			if code := guest.expect("GET", path, nil, 404).errCode(t); !strings.HasSuffix(code, "not_found") {
				t.Errorf("%s: %s", path, code)
			}
		}
		list := guest.expect("GET", "/api/v1/forums", nil, 200).json(t)["forums"].([]any)
		if len(list) != 1 {
			t.Fatalf("guests see %d forums", len(list))
		}
		if profile := guest.expect("GET", "/api/v1/users/alice/topics", nil, 200).json(t)["topics"].([]any); len(profile) != 1 {
			t.Fatalf("a guest sees %d of alice's topics, want only the public one", len(profile))
		}
		if got := len(alice.expect("GET", "/api/v1/users/alice/topics", nil, 200).json(t)["topics"].([]any)); got != 2 {
			t.Fatalf("members see %d", got)
		}

		// Reactions, bookmarks, accept, read, subscription.
		r := alice.expect("PUT", fmt.Sprintf("/api/v1/posts/%d/reactions/heart", replyID), nil, 200).json(t)
		if num(t, r, "reaction_count") != 1 || r["my_reactions"].([]any)[0] != "heart" {
			t.Fatalf("react: %v", r)
		}
		alice.expect("PUT", fmt.Sprintf("/api/v1/posts/%d/reactions/poop", replyID), nil, 422).errCode(t)
		alice.expect("PUT", fmt.Sprintf("/api/v1/posts/%d/bookmark", replyID), nil, 204)
		if bm := alice.expect("GET", "/api/v1/me/bookmarks", nil, 200).json(t)["posts"].([]any); len(bm) != 1 {
			t.Fatalf("bookmarks: %v", bm)
		}
		acc := alice.expect("POST", fmt.Sprintf("/api/v1/topics/%d/accept", topicID), map[string]any{"post_id": replyID}, 200).json(t)
		if num(t, acc, "accepted_post_id") != replyID {
			t.Fatalf("accept: %v", acc)
		}
		bob.expect("POST", fmt.Sprintf("/api/v1/topics/%d/accept", topicID), map[string]any{"post_id": replyID}, 403).errCode(t)
		rd := bob.expect("POST", fmt.Sprintf("/api/v1/topics/%d/read", topicID), map[string]any{"post_number": 2}, 200).json(t)
		if num(t, rd, "last_read_post_number") != 2 || num(t, rd, "unread_posts") != 0 {
			t.Fatalf("read: %v", rd)
		}
		alice.expect("PUT", fmt.Sprintf("/api/v1/topics/%d/subscription", topicID), map[string]any{"level": "muted"}, 200)
		alice.expect("PUT", fmt.Sprintf("/api/v1/topics/%d/subscription", topicID), map[string]any{"level": "loud"}, 422)
		alice.expect("PUT", fmt.Sprintf("/api/v1/forums/%d/subscription", pubID), map[string]any{"level": "watching"}, 200)

		// Edits keep revisions; deletes hide; moderators restore.
		bob.expect("PATCH", fmt.Sprintf("/api/v1/posts/%d", replyID), map[string]any{"body": "Use **Export** in settings."}, 200)
		revs := guest.expect("GET", fmt.Sprintf("/api/v1/posts/%d/revisions", replyID), nil, 200).json(t)["revisions"].([]any)
		if len(revs) != 2 {
			t.Fatalf("revisions: %v", revs)
		}
		alice.expect("PATCH", fmt.Sprintf("/api/v1/posts/%d", replyID), map[string]any{"body": "hijack"}, 403).errCode(t)
		bob.expect("DELETE", fmt.Sprintf("/api/v1/posts/%d", replyID), nil, 204)
		guest.expect("GET", fmt.Sprintf("/api/v1/posts/%d", replyID), nil, 404)
		adm.expect("POST", fmt.Sprintf("/api/v1/posts/%d/restore", replyID), nil, 200)
		guest.expect("GET", fmt.Sprintf("/api/v1/posts/%d", replyID), nil, 200)

		// Bad input answers 4xx in the error shape and stores nothing.
		before := db.Client.Post.Query().CountX(context.Background())
		for _, tc := range []struct {
			method, path string
			body         any
			status       int
		}{
			{"POST", fmt.Sprintf("/api/v1/forums/%d/topics", pubID), map[string]any{"title": "", "body": "x"}, 422},
			{"POST", fmt.Sprintf("/api/v1/forums/%d/topics", pubID), map[string]any{"title": "Fine title", "body": strings.Repeat("长", 32001)}, 422},
			{"POST", fmt.Sprintf("/api/v1/forums/%d/topics", pubID), map[string]any{"title": 5}, 400},
			{"POST", "/api/v1/forums/999999/topics", map[string]any{"title": "Fine title", "body": "x"}, 404},
			{"POST", "/api/v1/forums/abc/topics", map[string]any{"title": "Fine title", "body": "x"}, 404},
			{"POST", fmt.Sprintf("/api/v1/topics/%d/posts", topicID), map[string]any{"body": "x", "reply_to": num(t, hidden["post"].(map[string]any), "id")}, 422},
			{"POST", fmt.Sprintf("/api/v1/topics/%d/posts", topicID), map[string]any{"body": ""}, 422},
			{"GET", fmt.Sprintf("/api/v1/forums/%d/topics?cursor=stale", pubID), nil, 400},
			{"GET", fmt.Sprintf("/api/v1/forums/%d/topics?limit=-1", pubID), nil, 400},
			{"GET", fmt.Sprintf("/api/v1/forums/%d/topics?sort=hot", pubID), nil, 422},
			{"POST", fmt.Sprintf("/api/v1/topics/%d/accept", topicID), map[string]any{"post_id": "x"}, 400},
			{"POST", "/api/v1/notifications/read", map[string]any{}, 422},
		} {
			r := alice.do(tc.method, tc.path, tc.body)
			if r.status != tc.status {
				t.Errorf("%s %s: %d, want %d: %s", tc.method, tc.path, r.status, tc.status, r.body)
				continue
			}
			r.errCode(t)
		}
		if after := db.Client.Post.Query().CountX(context.Background()); after != before {
			t.Fatalf("bad input stored %d posts", after-before)
		}
		// Locked topics take no replies.
		adm.expect("PATCH", fmt.Sprintf("/api/v1/topics/%d", topicID), map[string]any{"locked": true}, 200)
		if code := bob.expect("POST", fmt.Sprintf("/api/v1/topics/%d/posts", topicID), map[string]any{"body": "let me in"}, 403).errCode(t); code != "topic_locked" {
			t.Fatal(code)
		}
		// Cookie-authenticated writes still need the CSRF token.
		bob.csrf = ""
		bob.expect("PUT", fmt.Sprintf("/api/v1/posts/%d/bookmark", replyID), nil, 403)
	})
}
