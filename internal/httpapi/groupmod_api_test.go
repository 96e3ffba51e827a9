package httpapi_test

import (
	"fmt"
	"testing"

	"github.com/crn-dev/crn/internal/database"
	"github.com/crn-dev/crn/internal/database/dbtest"
)

// Group owners and group moderators moderate their group's content, and
// only that: the queue, its actions, topic actions and the audit log.
func TestGroupModeratorsModerateTheirGroupOverHTTP(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		e := newEnv(t, db, withModeration(db))
		adm := e.admin("admin")
		help := num(t, adm.expect("POST", "/api/v1/forums", map[string]any{"name": "Help"}, 201).json(t), "id")
		ideas := num(t, adm.expect("POST", "/api/v1/forums", map[string]any{"name": "Ideas"}, 201).json(t), "id")
		ideasMod := e.moderator("ideasmod", ideas)

		owner, _ := e.signup("owner")
		gmod, _ := e.signup("gmod")
		bob, _ := e.signup("bob")
		alice, _ := e.signup("alice")
		carol, _ := e.signup("carol")
		e.setTrust("alice", 2)
		e.setTrust("carol", 2)
		guest := e.client()
		groupIDs := map[string]int{}
		for _, slug := range []string{"alpha", "beta"} {
			groupIDs[slug] = num(t, owner.expect("POST", "/api/v1/groups", map[string]any{"name": slug + " group", "slug": slug, "visibility": "public"}, 201).json(t), "id")
			for _, c := range []*client{gmod, bob, alice, carol} {
				c.expect("POST", "/api/v1/groups/"+slug+"/join", nil, 200)
			}
		}
		alphaForum := num(t, owner.expect("POST", "/api/v1/groups/alpha/forums", map[string]any{"name": "Alpha talk"}, 201).json(t), "id")
		alphaTwo := num(t, owner.expect("POST", "/api/v1/groups/alpha/forums", map[string]any{"name": "Alpha more"}, 201).json(t), "id")
		betaForum := num(t, owner.expect("POST", "/api/v1/groups/beta/forums", map[string]any{"name": "Beta talk"}, 201).json(t), "id")
		owner.expect("PUT", "/api/v1/groups/alpha/members/gmod", map[string]any{"role": "moderator"}, 200)

		// bob writes a rude post in each forum; two trust-2 flags hide each.
		type spot struct{ topic, post, item int }
		spots := map[string]*spot{}
		for name, fid := range map[string]int{"alpha": alphaForum, "beta": betaForum, "help": help} {
			created := bob.expect("POST", fmt.Sprintf("/api/v1/forums/%d/topics", fid), map[string]any{"title": "Rude in " + name, "body": "You are all idiots here"}, 201).json(t)
			s := &spot{topic: num(t, created["topic"].(map[string]any), "id"), post: num(t, created["post"].(map[string]any), "id")}
			for _, c := range []*client{alice, carol} {
				c.expect("POST", "/api/v1/flags", map[string]any{"target_type": "post", "target_id": s.post, "reason": "harassment"}, 201)
			}
			guest.expect("GET", fmt.Sprintf("/api/v1/posts/%d", s.post), nil, 404) // hidden pending review
			spots[name] = s
		}
		for _, it := range adm.expect("GET", "/api/v1/moderation/queue", nil, 200).json(t)["items"].([]any) {
			m := it.(map[string]any)
			for name, s := range spots {
				if num(t, m, "target_id") == s.post {
					s.item = num(t, m, "id")
					want := map[string]any{"alpha": float64(groupIDs["alpha"]), "beta": float64(groupIDs["beta"]), "help": nil}[name]
					if m["group_id"] != want {
						t.Fatalf("%s item group_id = %v, want %v", name, m["group_id"], want)
					}
				}
			}
		}
		for name, s := range spots {
			if s.item == 0 {
				t.Fatalf("no review item for %s", name)
			}
		}
		alpha, beta, community := spots["alpha"], spots["beta"], spots["help"]

		// The queue: a plain group member may not open it; the group
		// moderator sees only alpha's item.
		alice.expect("GET", "/api/v1/moderation/queue", nil, 403)
		q := gmod.expect("GET", "/api/v1/moderation/queue", nil, 200).json(t)
		items := q["items"].([]any)
		if len(items) != 1 || num(t, items[0].(map[string]any), "id") != alpha.item || num(t, q, "open_count") != 1 {
			t.Fatalf("the group moderator's queue: %v", q)
		}
		gmod.expect("GET", fmt.Sprintf("/api/v1/moderation/queue/%d", alpha.item), nil, 200)
		for _, other := range []*spot{beta, community} {
			gmod.expect("GET", fmt.Sprintf("/api/v1/moderation/queue/%d", other.item), nil, 403)
			gmod.expect("POST", fmt.Sprintf("/api/v1/moderation/queue/%d/delete", other.item), map[string]any{"reason": "x"}, 403)
			gmod.expect("POST", fmt.Sprintf("/api/v1/moderation/queue/%d/note", other.item), map[string]any{"body": "x"}, 403)
			// The hidden topic and post are not even visible to them.
			gmod.expect("POST", fmt.Sprintf("/api/v1/topics/%d/lock", other.topic), nil, 404)
			gmod.expect("POST", fmt.Sprintf("/api/v1/posts/%d/unhide", other.post), nil, 404)
		}
		// A forum moderator of ideas sees none of these and acts on none.
		if got := ideasMod.expect("GET", "/api/v1/moderation/queue", nil, 200).json(t)["items"].([]any); len(got) != 0 {
			t.Fatalf("the ideas moderator sees %d items", len(got))
		}
		for _, s := range spots {
			ideasMod.expect("POST", fmt.Sprintf("/api/v1/moderation/queue/%d/hide", s.item), nil, 403)
			ideasMod.expect("POST", fmt.Sprintf("/api/v1/topics/%d/lock", s.topic), nil, 404)
		}

		// The group moderator acts on alpha's item: note, lock, warn the
		// author, move within the group; silencing and suspending stay
		// with site moderators.
		gmod.expect("POST", fmt.Sprintf("/api/v1/moderation/queue/%d/note", alpha.item), map[string]any{"body": "third time"}, 200)
		gmodID := num(t, guest.expect("GET", "/api/v1/users/gmod", nil, 200).json(t), "id")
		aliceID := num(t, guest.expect("GET", "/api/v1/users/alice", nil, 200).json(t), "id")
		gmod.expect("POST", fmt.Sprintf("/api/v1/moderation/queue/%d/assign", alpha.item), map[string]any{"user_id": aliceID}, 422) // a plain member
		owner.expect("POST", fmt.Sprintf("/api/v1/moderation/queue/%d/assign", beta.item), map[string]any{"user_id": gmodID}, 422)  // not beta's moderator
		if it := gmod.expect("POST", fmt.Sprintf("/api/v1/moderation/queue/%d/assign", alpha.item), map[string]any{"user_id": gmodID}, 200).json(t); it["assigned_to"] == nil {
			t.Fatalf("after assign: %v", it)
		}
		if it := gmod.expect("POST", fmt.Sprintf("/api/v1/moderation/queue/%d/lock", alpha.item), map[string]any{"reason": "heated"}, 200).json(t); it["status"] != "open" {
			t.Fatalf("after lock: %v", it)
		}
		gmod.expect("POST", fmt.Sprintf("/api/v1/moderation/queue/%d/warn", alpha.item), map[string]any{}, 422)
		gmod.expect("POST", fmt.Sprintf("/api/v1/moderation/queue/%d/warn", alpha.item), map[string]any{"reason": "be kind"}, 200)
		gmod.expect("POST", fmt.Sprintf("/api/v1/moderation/queue/%d/silence", alpha.item), map[string]any{"reason": "be kind", "duration_hours": 1}, 403)
		gmod.expect("POST", fmt.Sprintf("/api/v1/moderation/queue/%d/suspend", alpha.item), map[string]any{"reason": "be kind", "duration_hours": 1}, 403)
		gmod.expect("POST", "/api/v1/users/bob/suspend", map[string]any{"reason": "be kind", "duration_hours": 1}, 403)
		gmod.expect("POST", "/api/v1/users/bob/warn", map[string]any{"reason": "be kind"}, 403) // only from their group's content
		if me := bob.expect("GET", "/api/v1/me", nil, 200).json(t); me["status"] != "active" {
			t.Fatalf("bob: %v", me)
		}
		gmod.expect("POST", fmt.Sprintf("/api/v1/topics/%d/move", alpha.topic), map[string]any{"forum_id": help}, 403)
		gmod.expect("POST", fmt.Sprintf("/api/v1/topics/%d/move", alpha.topic), map[string]any{"forum_id": alphaTwo}, 200)
		gmod.expect("POST", fmt.Sprintf("/api/v1/topics/%d/move", alpha.topic), map[string]any{"forum_id": alphaForum}, 200)
		if it := gmod.expect("POST", fmt.Sprintf("/api/v1/moderation/queue/%d/delete", alpha.item), map[string]any{"reason": "harassment"}, 200).json(t); it["status"] != "resolved" || it["resolution"] != "deleted" {
			t.Fatalf("after delete: %v", it)
		}
		// The owner (of both groups) moderates beta's item.
		owner.expect("POST", fmt.Sprintf("/api/v1/moderation/queue/%d/approve", beta.item), map[string]any{"reason": "banter"}, 200)
		guest.expect("GET", fmt.Sprintf("/api/v1/posts/%d", beta.post), nil, 200)

		// The audit log: the group moderator reads alpha's entries (their
		// own and the system's hide) but none of beta's or the community's.
		entries := gmod.expect("GET", "/api/v1/moderation/audit", nil, 200).json(t)["entries"].([]any)
		actions := map[string]bool{}
		for _, x := range entries {
			m := x.(map[string]any)
			if m["group_id"] != float64(groupIDs["alpha"]) {
				t.Fatalf("the group moderator reads an entry outside alpha: %v", m)
			}
			actions[m["action"].(string)] = true
		}
		for _, want := range []string{"post.hide", "queue.note", "queue.assign", "topic.lock", "user.warn", "topic.move", "post.delete"} {
			if !actions[want] {
				t.Fatalf("no %s in the group moderator's audit log: %v", want, actions)
			}
		}
		byOwner := adm.expect("GET", "/api/v1/moderation/audit?actor=owner", nil, 200).json(t)["entries"].([]any)
		if len(byOwner) == 0 || byOwner[0].(map[string]any)["group_id"] != float64(groupIDs["beta"]) {
			t.Fatalf("the owner's entries: %v", byOwner)
		}
		gmod.expect("POST", fmt.Sprintf("/api/v1/moderation/audit/%d/revert", num(t, byOwner[0].(map[string]any), "id")), nil, 404)
		if got := gmod.expect("GET", "/api/v1/moderation/audit?actor=owner", nil, 200).json(t)["entries"].([]any); len(got) != 0 {
			t.Fatalf("the group moderator reads beta's entries: %v", got)
		}
		if got := gmod.expect("GET", fmt.Sprintf("/api/v1/moderation/audit?target=post:%d", community.post), nil, 200).json(t)["entries"].([]any); len(got) != 0 {
			t.Fatalf("the group moderator reads the community's entries: %v", got)
		}
		// ...and reverts their own group's actions.
		lock := gmod.expect("GET", "/api/v1/moderation/audit?action=topic.lock", nil, 200).json(t)["entries"].([]any)
		gmod.expect("POST", fmt.Sprintf("/api/v1/moderation/audit/%d/revert", num(t, lock[0].(map[string]any), "id")), map[string]any{"reason": "calmer now"}, 201)
		if tv := adm.expect("GET", fmt.Sprintf("/api/v1/topics/%d", alpha.topic), nil, 200).json(t); tv["locked"] != false {
			t.Fatalf("after revert: %v", tv)
		}

		// Demoted, the moderator loses the queue and the log.
		owner.expect("PUT", "/api/v1/groups/alpha/members/gmod", map[string]any{"role": "member"}, 200)
		gmod.expect("GET", "/api/v1/moderation/queue", nil, 403)
		gmod.expect("GET", "/api/v1/moderation/audit", nil, 403)
	})
}
