package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/crn-dev/crn/ent/groupinvite"
	"github.com/crn-dev/crn/internal/database"
	"github.com/crn-dev/crn/internal/database/dbtest"
	"github.com/crn-dev/crn/internal/event"
	"github.com/crn-dev/crn/internal/notify"
)

// groupEnv is a community with a group of each visibility, each owned by
// owner, with mem a member of all three; out belongs to none.
type groupEnv struct {
	*env
	admin, owner, mem, out, guest *client
	ids                           map[string]int // group id by slug
}

func newGroupEnv(t *testing.T, db *database.DB) *groupEnv {
	t.Helper()
	e := newEnv(t, db)
	g := &groupEnv{env: e, admin: e.admin("admin"), ids: map[string]int{}}
	g.owner, _ = e.signup("owner")
	g.mem, _ = e.signup("mem")
	g.out, _ = e.signup("out")
	g.guest = e.client()
	for _, vis := range []string{"public", "restricted", "private"} {
		r := g.owner.expect("POST", "/api/v1/groups", map[string]any{"name": vis + " group", "slug": vis, "visibility": vis, "description": "the " + vis + " one"}, 201).json(t)
		if r["role"] != "owner" || num(t, r, "member_count") != 1 {
			t.Fatalf("created: %v", r)
		}
		g.ids[vis] = num(t, r, "id")
	}
	g.mem.expect("POST", "/api/v1/groups/public/join", nil, 200)
	inv := g.owner.expect("POST", "/api/v1/groups/restricted/invites", map[string]any{"username": "mem"}, 201).json(t)
	g.mem.expect("POST", "/api/v1/invites/"+inv["token"].(string)+"/accept", nil, 200)
	inv = g.owner.expect("POST", "/api/v1/groups/private/invites", map[string]any{"username": "mem"}, 201).json(t)
	g.mem.expect("POST", "/api/v1/groups/private/join", nil, 200) // a personal invite lets one join directly
	_ = inv
	return g
}

func slugs(t *testing.T, r response) []string {
	t.Helper()
	var out []string
	for _, g := range r.json(t)["groups"].([]any) {
		out = append(out, g.(map[string]any)["slug"].(string))
	}
	return out
}

func TestGroupVisibilityModesAndRoles(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		g := newGroupEnv(t, db)
		// Listing: private groups only for members and admins.
		for _, tc := range []struct {
			who  *client
			want string
		}{{g.guest, "public,restricted"}, {g.out, "public,restricted"}, {g.mem, "public,restricted,private"}, {g.admin, "public,restricted,private"}} {
			if got := strings.Join(slugs(t, tc.who.expect("GET", "/api/v1/groups", nil, 200)), ","); got != tc.want {
				t.Errorf("list: got %s, want %s", got, tc.want)
			}
		}
		if got := slugs(t, g.mem.expect("GET", "/api/v1/groups?mine=true&limit=2", nil, 200)); len(got) != 2 {
			t.Errorf("mine, first page: %v", got)
		}
		// The group itself.
		g.out.expect("GET", "/api/v1/groups/public", nil, 200)
		g.out.expect("GET", "/api/v1/groups/restricted", nil, 200)
		if code := g.out.expect("GET", "/api/v1/groups/private", nil, 404).errCode(t); code != "group_not_found" {
			t.Fatal(code)
		}
		g.guest.expect("GET", "/api/v1/groups/private", nil, 404)
		if r := g.mem.expect("GET", "/api/v1/groups/private", nil, 200).json(t); r["role"] != "member" || num(t, r, "member_count") != 2 {
			t.Fatalf("member view: %v", r)
		}
		g.admin.expect("GET", "/api/v1/groups/private", nil, 200)
		// Member directory and feed: anyone in public groups, members only otherwise.
		for _, sub := range []string{"members", "feed", "forums"} {
			g.guest.expect("GET", "/api/v1/groups/public/"+sub, nil, 200)
			if code := g.out.expect("GET", "/api/v1/groups/restricted/"+sub, nil, 403).errCode(t); code != "members_only" {
				t.Fatalf("%s: %s", sub, code)
			}
			g.guest.expect("GET", "/api/v1/groups/restricted/"+sub, nil, 401)
			g.out.expect("GET", "/api/v1/groups/private/"+sub, nil, 404)
			g.mem.expect("GET", "/api/v1/groups/private/"+sub, nil, 200)
			g.admin.expect("GET", "/api/v1/groups/private/"+sub, nil, 200)
		}
		members := g.mem.expect("GET", "/api/v1/groups/private/members", nil, 200).json(t)["members"].([]any)
		if len(members) != 2 || members[0].(map[string]any)["role"] != "owner" {
			t.Fatalf("members: %v", members)
		}
		// Roles: only owners (and admins) change them; moderators moderate.
		if code := g.mem.expect("PUT", "/api/v1/groups/public/members/mem", map[string]any{"role": "owner"}, 403).errCode(t); code != "forbidden" {
			t.Fatal(code)
		}
		g.out.expect("PUT", "/api/v1/groups/private/members/mem", map[string]any{"role": "owner"}, 404)
		g.owner.expect("PUT", "/api/v1/groups/public/members/mem", map[string]any{"role": "superuser"}, 422)
		g.owner.expect("PUT", "/api/v1/groups/public/members/out", map[string]any{"role": "moderator"}, 404)
		g.owner.expect("PUT", "/api/v1/groups/public/members/mem", map[string]any{"role": "moderator", "banned": true}, 422)
		if r := g.owner.expect("PUT", "/api/v1/groups/public/members/mem", map[string]any{"role": "moderator"}, 200).json(t); r["role"] != "moderator" {
			t.Fatalf("role: %v", r)
		}
		// A moderator may not change roles, nor remove the owner.
		g.mem.expect("PUT", "/api/v1/groups/public/members/owner", map[string]any{"role": "member"}, 403)
		g.mem.expect("DELETE", "/api/v1/groups/public/members/owner", nil, 403)
		// ...but removes and bans plain members.
		g.out.expect("POST", "/api/v1/groups/public/join", nil, 200)
		g.out.expect("POST", "/api/v1/groups/public/join", nil, 409)
		g.mem.expect("DELETE", "/api/v1/groups/public/members/out", nil, 204)
		g.out.expect("POST", "/api/v1/groups/public/join", nil, 200)
		g.mem.expect("PUT", "/api/v1/groups/public/members/out", map[string]any{"banned": true}, 204)
		if code := g.out.expect("POST", "/api/v1/groups/public/join", nil, 403).errCode(t); code != "banned" {
			t.Fatal(code)
		}
		if r := g.out.expect("GET", "/api/v1/groups/public", nil, 200).json(t); r["banned"] != true || r["role"] != nil {
			t.Fatalf("banned view: %v", r)
		}
		banned := g.owner.expect("GET", "/api/v1/groups/public/members?status=banned", nil, 200).json(t)["members"].([]any)
		if len(banned) != 1 {
			t.Fatalf("banned list: %v", banned)
		}
		g.out.expect("GET", "/api/v1/groups/public/members?status=banned", nil, 403)
		g.mem.expect("PUT", "/api/v1/groups/public/members/out", map[string]any{"banned": false}, 204)
		g.out.expect("POST", "/api/v1/groups/public/join", nil, 200)
		// The last owner may not leave or step down; with a second owner they may.
		if code := g.owner.expect("POST", "/api/v1/groups/public/leave", nil, 409).errCode(t); code != "last_owner" {
			t.Fatal(code)
		}
		g.owner.expect("PUT", "/api/v1/groups/public/members/owner", map[string]any{"role": "member"}, 409)
		g.owner.expect("PUT", "/api/v1/groups/public/members/mem", map[string]any{"role": "owner"}, 200)
		g.owner.expect("POST", "/api/v1/groups/public/leave", nil, 204)
		g.owner.expect("POST", "/api/v1/groups/public/leave", nil, 404)
		if r := g.guest.expect("GET", "/api/v1/groups/public", nil, 200).json(t); num(t, r, "member_count") != 2 {
			t.Fatalf("member count after leave: %v", r)
		}
		// Settings: owners only; duplicate slugs are 409.
		g.out.expect("PATCH", "/api/v1/groups/restricted", map[string]any{"name": "mine now"}, 403)
		g.owner.expect("PATCH", "/api/v1/groups/restricted", map[string]any{"slug": "private"}, 409)
		g.owner.expect("POST", "/api/v1/groups", map[string]any{"name": "Again", "slug": "public"}, 409)
		if r := g.owner.expect("POST", "/api/v1/groups", map[string]any{"name": "Public group"}, 201).json(t); r["slug"] != "public-group" {
			t.Fatalf("derived slug: %v", r["slug"])
		}
		if r := g.owner.expect("POST", "/api/v1/groups", map[string]any{"name": "Public group"}, 201).json(t); r["slug"] != "public-group-2" {
			t.Fatalf("numbered slug: %v", r["slug"])
		}
		g.owner.expect("POST", "/api/v1/groups", map[string]any{"name": "", "visibility": "secret", "avatar_url": "javascript:alert(1)"}, 422)
		g.guest.expect("POST", "/api/v1/groups", map[string]any{"name": "Guests"}, 401)
		g.owner.expect("PATCH", "/api/v1/groups/restricted", map[string]any{"description": "changed"}, 200)
		// Deleting: owners only; the group and its forums disappear.
		g.owner.expect("POST", "/api/v1/groups/restricted/forums", map[string]any{"name": "Restricted talk"}, 201)
		g.mem.expect("DELETE", "/api/v1/groups/restricted", nil, 403)
		g.owner.expect("DELETE", "/api/v1/groups/restricted", nil, 204)
		g.mem.expect("GET", "/api/v1/groups/restricted", nil, 404)
		g.owner.expect("POST", "/api/v1/groups", map[string]any{"name": "Reuse", "slug": "restricted"}, 409)
	})
}

func TestGroupRequestsAndApproval(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		g := newGroupEnv(t, db)
		other, _ := g.signup("other")
		// Joining a restricted group takes a request.
		if code := g.out.expect("POST", "/api/v1/groups/restricted/join", nil, 403).errCode(t); code != "approval_required" {
			t.Fatal(code)
		}
		req := g.out.expect("POST", "/api/v1/groups/restricted/requests", map[string]any{"message": "let me in"}, 201).json(t)
		reqID := num(t, req, "id")
		g.out.expect("POST", "/api/v1/groups/restricted/requests", map[string]any{}, 409)
		if r := g.out.expect("GET", "/api/v1/groups/restricted", nil, 200).json(t); r["request_pending"] != true {
			t.Fatalf("pending: %v", r)
		}
		// Public groups need no request; private ones stay hidden.
		if code := g.out.expect("POST", "/api/v1/groups/public/requests", map[string]any{}, 409).errCode(t); code != "approval_not_needed" {
			t.Fatal(code)
		}
		g.out.expect("POST", "/api/v1/groups/private/requests", map[string]any{}, 404)
		g.mem.expect("POST", "/api/v1/groups/restricted/requests", map[string]any{}, 409) // a member already
		// Only owners and group moderators see and decide requests.
		g.out.expect("GET", "/api/v1/groups/restricted/requests", nil, 403)
		g.mem.expect("GET", "/api/v1/groups/restricted/requests", nil, 403)
		g.out.expect("POST", fmt.Sprintf("/api/v1/groups/restricted/requests/%d/approve", reqID), nil, 403) // their own
		g.mem.expect("POST", fmt.Sprintf("/api/v1/groups/restricted/requests/%d/approve", reqID), nil, 403)
		pending := g.owner.expect("GET", "/api/v1/groups/restricted/requests", nil, 200).json(t)["requests"].([]any)
		if len(pending) != 1 || pending[0].(map[string]any)["message"] != "let me in" {
			t.Fatalf("requests: %v", pending)
		}
		// A request of another group is not found through this one, even by
		// an owner of both.
		g.owner.expect("POST", fmt.Sprintf("/api/v1/groups/public/requests/%d/approve", reqID), nil, 404)
		g.owner.expect("POST", "/api/v1/groups/restricted/requests/999999/approve", nil, 404)
		// A moderator decides; rejection needs a reason.
		g.owner.expect("PUT", "/api/v1/groups/restricted/members/mem", map[string]any{"role": "moderator"}, 200)
		g.mem.expect("POST", fmt.Sprintf("/api/v1/groups/restricted/requests/%d/reject", reqID), map[string]any{}, 422)
		g.mem.expect("POST", fmt.Sprintf("/api/v1/groups/restricted/requests/%d/approve", reqID), nil, 200)
		g.owner.expect("POST", fmt.Sprintf("/api/v1/groups/restricted/requests/%d/approve", reqID), nil, 409)
		if r := g.out.expect("GET", "/api/v1/groups/restricted", nil, 200).json(t); r["role"] != "member" {
			t.Fatalf("approved: %v", r)
		}
		g.out.expect("GET", "/api/v1/groups/restricted/members", nil, 200)
		// Rejected, with a reason.
		req = other.expect("POST", "/api/v1/groups/restricted/requests", map[string]any{}, 201).json(t)
		rej := g.owner.expect("POST", fmt.Sprintf("/api/v1/groups/restricted/requests/%d/reject", num(t, req, "id")), map[string]any{"reason": "customers only"}, 200).json(t)
		if rej["status"] != "rejected" || rej["reason"] != "customers only" {
			t.Fatalf("rejected: %v", rej)
		}
		other.expect("GET", "/api/v1/groups/restricted/members", nil, 403)
		// The requesters are told of the decisions.
		relayNotifications(t, db)
		for who, want := range map[*client]string{g.out: "group_request_approved", other: "group_request_rejected"} {
			items := who.expect("GET", "/api/v1/notifications", nil, 200).json(t)["notifications"].([]any)
			if len(items) != 1 || items[0].(map[string]any)["kind"] != want {
				t.Fatalf("notifications: %v, want %s", items, want)
			}
		}
		// A banned user cannot ask again.
		g.owner.expect("PUT", "/api/v1/groups/restricted/members/other", map[string]any{"banned": true}, 204)
		if code := other.expect("POST", "/api/v1/groups/restricted/requests", map[string]any{}, 403).errCode(t); code != "banned" {
			t.Fatal(code)
		}
	})
}

func TestGroupInvites(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		g := newGroupEnv(t, db)
		a, _ := g.signup("amy")
		b, _ := g.signup("ben")
		c, _ := g.signup("cid")
		// Only owners and moderators invite; outsiders do not even see the group.
		g.mem.expect("POST", "/api/v1/groups/private/invites", map[string]any{}, 403)
		g.out.expect("POST", "/api/v1/groups/private/invites", map[string]any{}, 404)
		g.owner.expect("POST", "/api/v1/groups/private/invites", map[string]any{"username": "nobody"}, 422)
		g.owner.expect("POST", "/api/v1/groups/private/invites", map[string]any{"username": "mem"}, 409)
		g.owner.expect("POST", "/api/v1/groups/private/invites", map[string]any{"max_uses": 5000}, 422)
		g.owner.expect("POST", "/api/v1/groups/private/invites", map[string]any{"expires_in": 10}, 422)
		// Joining a private group without an invite: 404, not 403.
		if code := g.out.expect("POST", "/api/v1/groups/private/join", nil, 404).errCode(t); code != "group_not_found" {
			t.Fatal(code)
		}
		// A link invite with two uses.
		link := g.owner.expect("POST", "/api/v1/groups/private/invites", map[string]any{"max_uses": 2, "expires_in": 3600}, 201).json(t)
		token := link["token"].(string)
		if !strings.HasPrefix(token, "crn_inv_") || num(t, link, "max_uses") != 2 {
			t.Fatalf("invite: %v", link)
		}
		if r := a.expect("POST", "/api/v1/invites/"+token+"/accept", nil, 200).json(t); r["role"] != "member" || r["slug"] != "private" {
			t.Fatalf("accepted: %v", r)
		}
		a.expect("POST", "/api/v1/invites/"+token+"/accept", nil, 409) // a member already; uses nothing
		b.expect("POST", "/api/v1/invites/"+token+"/accept", nil, 200)
		if code := c.expect("POST", "/api/v1/invites/"+token+"/accept", nil, 404).errCode(t); code != "invite_used_up" {
			t.Fatal(code)
		}
		c.expect("POST", "/api/v1/invites/crn_inv_forged/accept", nil, 404)
		c.expect("POST", "/api/v1/invites/"+token+"/accept", nil, 404)
		g.guest.expect("POST", "/api/v1/invites/"+token+"/accept", nil, 401)
		// A personal invite is for its invitee only.
		personal := g.owner.expect("POST", "/api/v1/groups/private/invites", map[string]any{"username": "cid"}, 201).json(t)
		if code := g.out.expect("POST", "/api/v1/invites/"+personal["token"].(string)+"/accept", nil, 404).errCode(t); code != "invite_not_found" {
			t.Fatal(code)
		}
		relayNotifications(t, db)
		items := c.expect("GET", "/api/v1/notifications", nil, 200).json(t)["notifications"].([]any)
		if len(items) != 1 || items[0].(map[string]any)["kind"] != "group_invite" || !strings.Contains(fmt.Sprint(items[0]), "private") {
			t.Fatalf("the invitee's notifications: %v", items)
		}
		if items := a.expect("GET", "/api/v1/notifications", nil, 200).json(t)["notifications"].([]any); len(items) != 0 {
			t.Fatalf("a link invite notified: %v", items)
		}
		c.expect("POST", "/api/v1/invites/"+personal["token"].(string)+"/accept", nil, 200)
		// Expired invites.
		exp := g.owner.expect("POST", "/api/v1/groups/private/invites", map[string]any{"max_uses": 0, "expires_in": 60}, 201).json(t)
		db.Client.GroupInvite.Update().Where(groupinvite.ID(num(t, exp, "id"))).SetExpiresAt(time.Now().Add(-time.Second)).ExecX(context.Background())
		if code := g.out.expect("POST", "/api/v1/invites/"+exp["token"].(string)+"/accept", nil, 404).errCode(t); code != "invite_expired" {
			t.Fatal(code)
		}
		// A banned user cannot use an invite.
		unlimited := g.owner.expect("POST", "/api/v1/groups/private/invites", map[string]any{"max_uses": 0}, 201).json(t)
		g.owner.expect("PUT", "/api/v1/groups/private/members/out", map[string]any{"banned": true}, 204)
		if code := g.out.expect("POST", "/api/v1/invites/"+unlimited["token"].(string)+"/accept", nil, 403).errCode(t); code != "banned" {
			t.Fatal(code)
		}
		g.owner.expect("POST", "/api/v1/groups/private/invites", map[string]any{"username": "out"}, 409)
		// Moderators list usable invites (never their tokens) and revoke them.
		leaked := g.owner.expect("POST", "/api/v1/groups/private/invites", map[string]any{"max_uses": 0}, 201).json(t)
		listed := func() map[int]bool {
			r := g.owner.expect("GET", "/api/v1/groups/private/invites", nil, 200)
			if strings.Contains(string(r.body), "crn_inv_") {
				t.Fatalf("a token is listed: %s", r.body)
			}
			ids := map[int]bool{}
			for _, inv := range r.json(t)["invites"].([]any) {
				ids[num(t, inv.(map[string]any), "id")] = true
			}
			return ids
		}
		if !listed()[num(t, leaked, "id")] {
			t.Fatal("a new invite is not listed")
		}
		g.mem.expect("GET", "/api/v1/groups/private/invites", nil, 403)
		g.mem.expect("DELETE", fmt.Sprintf("/api/v1/groups/private/invites/%d", num(t, leaked, "id")), nil, 403)
		g.owner.expect("DELETE", fmt.Sprintf("/api/v1/groups/public/invites/%d", num(t, leaked, "id")), nil, 404) // another group's
		g.owner.expect("DELETE", fmt.Sprintf("/api/v1/groups/private/invites/%d", num(t, leaked, "id")), nil, 204)
		g.owner.expect("DELETE", fmt.Sprintf("/api/v1/groups/private/invites/%d", num(t, leaked, "id")), nil, 204)
		if code := g.out.expect("POST", "/api/v1/invites/"+leaked["token"].(string)+"/accept", nil, 404).errCode(t); code != "invite_expired" {
			t.Fatal(code)
		}
		if listed()[num(t, leaked, "id")] {
			t.Fatal("a revoked invite is listed")
		}
		// Nothing of the token is in the outbox.
		evs := db.Client.Event.Query().AllX(context.Background())
		for _, e := range evs {
			if strings.Contains(fmt.Sprint(e.Payload), "crn_inv_") {
				t.Fatalf("a token leaked into %s", e.Type)
			}
		}
		if r := g.mem.expect("GET", "/api/v1/groups/private", nil, 200).json(t); num(t, r, "member_count") != 5 {
			t.Fatalf("member count: %v", r)
		}
	})
}

// Private means private: a non-member learns nothing of a private group's
// forums, topics, posts, members or events through any surface.
func TestPrivateGroupIsPrivateOnEverySurface(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		g := newGroupEnv(t, db)
		ctx := context.Background()
		// Group forums: owners create them; others may not.
		g.mem.expect("POST", "/api/v1/groups/private/forums", map[string]any{"name": "Nope"}, 403)
		g.out.expect("POST", "/api/v1/groups/private/forums", map[string]any{"name": "Nope"}, 404)
		f := g.owner.expect("POST", "/api/v1/groups/private/forums", map[string]any{"name": "Vault"}, 201).json(t)
		fid := num(t, f, "id")
		if num(t, f, "group_id") != g.ids["private"] {
			t.Fatalf("forum: %v", f)
		}
		rf := g.owner.expect("POST", "/api/v1/groups/restricted/forums", map[string]any{"name": "Lobby"}, 201).json(t)
		pf := g.owner.expect("POST", "/api/v1/groups/public/forums", map[string]any{"name": "Square"}, 201).json(t)
		created := g.mem.expect("POST", fmt.Sprintf("/api/v1/forums/%d/topics", fid), map[string]any{"title": "Secret roadmap", "body": "Hi @out and @owner, the plan"}, 201).json(t)
		tid := num(t, created["topic"].(map[string]any), "id")
		pid := num(t, created["post"].(map[string]any), "id")
		g.owner.expect("POST", fmt.Sprintf("/api/v1/topics/%d/posts", tid), map[string]any{"body": "agreed"}, 201)
		rt := g.mem.expect("POST", fmt.Sprintf("/api/v1/forums/%d/topics", num(t, rf, "id")), map[string]any{"title": "Lobby talk", "body": "members only"}, 201).json(t)
		pt := g.mem.expect("POST", fmt.Sprintf("/api/v1/forums/%d/topics", num(t, pf, "id")), map[string]any{"title": "Square talk", "body": "everyone"}, 201).json(t)

		// REST: forum, topic and post endpoints answer 404 to outsiders.
		paths := []string{
			fmt.Sprintf("/api/v1/forums/%d", fid), fmt.Sprintf("/api/v1/forums/%d/topics", fid),
			fmt.Sprintf("/api/v1/topics/%d", tid), fmt.Sprintf("/api/v1/topics/%d/posts", tid),
			fmt.Sprintf("/api/v1/posts/%d", pid), fmt.Sprintf("/api/v1/posts/%d/revisions", pid),
			fmt.Sprintf("/api/v1/topics/%d", num(t, rt["topic"].(map[string]any), "id")),
		}
		for _, who := range []*client{g.out, g.guest} {
			for _, p := range paths {
				if r := who.do("GET", p, nil); r.status != http.StatusNotFound {
					t.Errorf("GET %s: %d", p, r.status)
				}
			}
			who.expect("POST", fmt.Sprintf("/api/v1/topics/%d/posts", tid), map[string]any{"body": "let me"}, map[bool]int{true: 401, false: 404}[who == g.guest])
		}
		g.out.expect("PUT", fmt.Sprintf("/api/v1/posts/%d/reactions/like", pid), nil, 404)
		g.out.expect("PUT", fmt.Sprintf("/api/v1/forums/%d/subscription", fid), map[string]any{"level": "watching"}, 404)
		for _, p := range paths {
			g.mem.expect("GET", p, nil, 200)
			g.admin.expect("GET", p, nil, 200)
		}
		// The public group's forum is public.
		g.guest.expect("GET", fmt.Sprintf("/api/v1/topics/%d", num(t, pt["topic"].(map[string]any), "id")), nil, 200)
		// Forum listings: group forums are listed in their group's space, never among the community's.
		for _, f := range g.out.expect("GET", "/api/v1/forums", nil, 200).json(t)["forums"].([]any) {
			if f.(map[string]any)["group_id"] != nil {
				t.Fatalf("a group forum in the community list: %v", f)
			}
		}
		if fs := g.mem.expect("GET", "/api/v1/groups/private/forums", nil, 200).json(t)["forums"].([]any); len(fs) != 1 {
			t.Fatalf("group forums: %v", fs)
		}
		// User profiles: recent posts and topics skip what the viewer may not read.
		for _, who := range []*client{g.out, g.guest} {
			for _, p := range []string{"/api/v1/users/mem/posts", "/api/v1/users/mem/topics"} {
				body := string(who.expect("GET", p, nil, 200).body)
				if strings.Contains(body, "Secret roadmap") || strings.Contains(body, "the plan") || strings.Contains(body, "Lobby talk") ||
					strings.Contains(body, "members only") || !strings.Contains(body, "everyone") && !strings.Contains(body, "Square talk") {
					t.Fatalf("%s shows: %s", p, body)
				}
			}
		}
		if body := string(g.mem.expect("GET", "/api/v1/users/mem/topics", nil, 200).body); !strings.Contains(body, "Secret roadmap") {
			t.Fatalf("the member's own profile: %s", body)
		}
		// Notifications: mentioning an outsider in a private group's post notifies no one.
		relayNotifications(t, db)
		if items := g.out.expect("GET", "/api/v1/notifications", nil, 200).json(t)["notifications"].([]any); len(items) != 0 {
			t.Fatalf("an outsider was notified: %v", items)
		}
		if items := g.owner.expect("GET", "/api/v1/notifications", nil, 200).json(t)["notifications"].([]any); len(items) == 0 {
			t.Fatal("the mentioned member was not notified")
		}
		// The outbox: events about the private group's content are group:<id>.
		want := event.GroupOnly(g.ids["private"])
		evs := db.Client.Event.Query().AllX(ctx)
		seen := 0
		for _, e := range evs {
			if e.GroupID != nil && *e.GroupID == g.ids["private"] && !strings.HasPrefix(e.Visibility, "user:") {
				seen++
				if e.Visibility != want {
					t.Errorf("%s of the private group has visibility %s", e.Type, e.Visibility)
				}
			}
		}
		if seen < 5 {
			t.Fatalf("only %d private group events", seen)
		}
		// The feed shows them to members only.
		feed := g.mem.expect("GET", "/api/v1/groups/private/feed", nil, 200).json(t)["events"].([]any)
		if len(feed) == 0 || feed[0].(map[string]any)["event"] != "post.created" {
			t.Fatalf("feed: %v", feed)
		}
		// A member removed from the group loses it at once.
		g.owner.expect("DELETE", "/api/v1/groups/private/members/mem", nil, 204)
		for _, p := range paths[:5] {
			if r := g.mem.do("GET", p, nil); r.status != http.StatusNotFound {
				t.Errorf("removed member GET %s: %d", p, r.status)
			}
		}
		g.mem.expect("GET", "/api/v1/groups/private", nil, 404)
		// Turning the group public opens its content; private again closes it.
		g.owner.expect("PATCH", "/api/v1/groups/private", map[string]any{"visibility": "public"}, 200)
		g.guest.expect("GET", fmt.Sprintf("/api/v1/topics/%d", tid), nil, 200)
		g.owner.expect("PATCH", "/api/v1/groups/private", map[string]any{"visibility": "private"}, 200)
		g.guest.expect("GET", fmt.Sprintf("/api/v1/topics/%d", tid), nil, 404)
	})
}

// relayNotifications delivers every committed event to the notification consumer.
func relayNotifications(t *testing.T, db *database.DB) {
	t.Helper()
	relayTo(t, db, notify.Consumer{Postgres: db.Dialect == database.Postgres})
}
