package webui_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/crn-dev/crn/internal/database"
	"github.com/crn-dev/crn/internal/database/dbtest"
)

// Follows on profiles: the button needs the anti-forgery token, works as a
// plain form and with htmx, and the counts and lists follow.
func TestFollowPages(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *database.DB) {
		s := newSite(t, d.Dialect)
		ctx := context.Background()
		alice, bob, carol := s.browser(), s.browser(), s.browser()
		alice.signup("alice")
		bob.signup("bob")
		carol.signup("carol")
		aliceUser, err := s.app.Accounts.ByUsername(ctx, "alice")
		if err != nil {
			t.Fatal(err)
		}
		bobUser, err := s.app.Accounts.ByUsername(ctx, "bob")
		if err != nil {
			t.Fatal(err)
		}
		following := func() bool {
			ok, err := s.app.Graph.Following(ctx, bobUser.ID, aliceUser.ID)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}

		p := bob.get("/u/alice")
		want(t, p, http.StatusOK, `id="follow-box"`, `action="/u/alice/follow"`, "0 followers", "0 following", "No followers yet.")
		checkSafePage(t, p)

		// Without the token, or from another site, nothing happens.
		want(t, bob.do("POST", "/u/alice/follow", url.Values{}), http.StatusForbidden)
		want(t, bob.do("POST", "/u/alice/follow", url.Values{"csrf": {"forged"}}), http.StatusForbidden)
		want(t, bob.do("POST", "/u/alice/follow", url.Values{}, "HX-Request", "true", "X-CSRF-Token", "forged"), http.StatusForbidden)
		if following() {
			t.Fatal("a follow without the anti-forgery token was recorded")
		}

		// A plain form follows and returns to the profile.
		p = bob.post("/u/alice", "/u/alice/follow", url.Values{})
		if p.status != http.StatusSeeOther || p.header.Get("Location") != "/u/alice" {
			t.Fatalf("follow: %d → %q", p.status, p.header.Get("Location"))
		}
		if !following() {
			t.Fatal("the follow was not recorded")
		}
		want(t, bob.get("/u/alice"), http.StatusOK, `action="/u/alice/unfollow"`, "Unfollow", "1 follower", `<a href="/u/bob">bob</a>`)
		want(t, bob.get("/u/bob"), http.StatusOK, "1 following", `<a href="/u/alice">alice</a>`)
		// One's own profile has counts but no button.
		if p := alice.get("/u/alice"); strings.Contains(p.body, `id="follow-button"`) || !strings.Contains(p.body, "1 follower") {
			t.Fatalf("own profile:\n%.3000s", p.body)
		}

		// htmx: the answer is the box, and the lists out of band.
		p = carol.post("/u/alice", "/u/alice/follow", url.Values{}, "HX-Request", "true")
		want(t, p, http.StatusOK, `id="follow-box"`, "2 followers", `action="/u/alice/unfollow"`, `id="follow-lists" hx-swap-oob="true"`, `<a href="/u/carol">carol</a>`)
		if strings.Contains(p.body, "<html") {
			t.Fatal("htmx got a whole page")
		}
		p = carol.post("/u/alice", "/u/alice/unfollow", url.Values{}, "HX-Request", "true")
		want(t, p, http.StatusOK, "1 follower", `action="/u/alice/follow"`)

		// The full lists, paged by the service.
		want(t, carol.get("/u/alice/followers"), http.StatusOK, "Followers of alice", `<a href="/u/bob">bob</a>`)
		want(t, carol.get("/u/bob/following"), http.StatusOK, "Followed by bob", `<a href="/u/alice">alice</a>`)
		// Guests see no follows (the API lists them to members only).
		guest := s.browser()
		if p := guest.get("/u/alice"); p.status != http.StatusOK || strings.Contains(p.body, "follow-box") {
			t.Fatalf("guest profile: %d\n%.2000s", p.status, p.body)
		}
		want(t, guest.get("/u/alice/followers"), http.StatusSeeOther)
		// Following oneself or nobody is refused.
		want(t, alice.post("/u/alice", "/u/alice/follow", url.Values{}), http.StatusUnprocessableEntity)
		want(t, alice.post("/u/alice", "/u/nobody/follow", url.Values{}), http.StatusNotFound)

		// Unfollow as a plain form.
		p = bob.post("/u/alice", "/u/alice/unfollow", url.Values{})
		if p.status != http.StatusSeeOther || following() {
			t.Fatalf("unfollow: %d, still following %v", p.status, following())
		}
	})
}

type explorerJSON struct {
	Ego   int `json:"ego"`
	Nodes []struct {
		ID       int    `json:"id"`
		Username string `json:"username"`
		Depth    int    `json:"depth"`
		Circle   int    `json:"circle"`
		Href     string `json:"href"`
	} `json:"nodes"`
	Edges []struct {
		Source, Target int
	} `json:"edges"`
	Error struct {
		Code string `json:"code"`
	} `json:"error"`
}

func (b *browser) explorerData(query string) (int, explorerJSON) {
	b.t.Helper()
	p := b.get("/graph/data?" + query)
	var out explorerJSON
	if err := json.Unmarshal([]byte(p.body), &out); err != nil {
		b.t.Fatalf("/graph/data?%s: %d %v\n%.500s", query, p.status, err, p.body)
	}
	if ct := p.header.Get("Content-Type"); ct != "application/json" {
		b.t.Fatalf("/graph/data: Content-Type %q", ct)
	}
	return p.status, out
}

// The explorer is for staff; it shows an ego network as a table (and as
// JSON for the script), and someone who opts out of the graph in their
// settings disappears from it at once.
func TestGraphExplorer(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *database.DB) {
		s := newSite(t, d.Dialect)
		alice, bob, carol := s.browser(), s.browser(), s.browser()
		alice.signup("alice")
		bob.signup("bob")
		carol.signup("carol")
		for _, b := range []*browser{bob, carol} {
			want(t, b.post("/u/alice", "/u/alice/follow", url.Values{}), http.StatusSeeOther)
		}
		want(t, carol.post("/u/bob", "/u/bob/follow", url.Values{}), http.StatusSeeOther)
		admin := s.browser()
		admin.signin("admin", "admin password")

		// Staff only: guests sign in, members are refused, page and data.
		want(t, s.browser().get("/graph"), http.StatusSeeOther)
		want(t, bob.get("/graph?user=alice"), http.StatusForbidden, "Only staff may use the relationship graph explorer.")
		if code, out := bob.explorerData("user=alice"); code != http.StatusForbidden || out.Error.Code != "staff_only" {
			t.Fatalf("member on /graph/data: %d %+v", code, out)
		}
		if strings.Contains(bob.get("/").body, `href="/graph"`) {
			t.Fatal("members see the explorer in the menu")
		}
		if !strings.Contains(admin.get("/").body, `href="/graph"`) {
			t.Fatal("staff do not see the explorer in the menu")
		}
		want(t, admin.get("/u/alice"), http.StatusOK, `href="/graph?user=alice"`)

		// The form without a customer; the top influencers once ranked.
		p := admin.get("/graph")
		want(t, p, http.StatusOK, `<form class="graph-form" method="get" action="/graph">`, `name="kind" value="reply"`)
		checkSafePage(t, p)
		if strings.Contains(p.body, "cytoscape") && !strings.Contains(p.body, "__________cytoscape_stylesheet") {
			t.Fatal("the script is loaded without its style sheet stand-in")
		}
		if strings.Contains(p.body, "vendor/cytoscape.min.js") {
			t.Fatal("the graph script is loaded without a network to draw")
		}

		// The follows reach the graph through the outbox consumer.
		eventually(t, "alice's network to hold bob and carol", func() bool {
			p := admin.get("/graph?user=alice&depth=1")
			return strings.Contains(p.body, `data-user="bob"`) && strings.Contains(p.body, `data-user="carol"`)
		})
		p = admin.get("/graph?user=alice&depth=2&kind=follow")
		want(t, p, http.StatusOK, `id="graph-people"`, `data-user="alice"`, `<a href="/u/bob">bob</a>`, `id="graph-canvas"`,
			`data-src="/graph/data?depth=2&amp;kind=follow&amp;user=alice"`, "vendor/cytoscape.min.js", "js/graph.js",
			`id="__________cytoscape_stylesheet"`, `name="kind" value="follow" checked`)
		checkSafePage(t, p)
		if !strings.Contains(p.body, `id="graph-influencers"`) && !strings.Contains(p.body, `id="graph-ranks-not-ready"`) {
			t.Fatal("no influencers and no word about them")
		}
		if !strings.Contains(p.body, `id="graph-communities"`) && !strings.Contains(p.body, `id="graph-communities-not-ready"`) {
			t.Fatal("no communities and no word about them")
		}
		code, out := admin.explorerData("user=alice&depth=2&kind=follow")
		if code != http.StatusOK || out.Ego == 0 || len(out.Nodes) != 3 || len(out.Edges) != 3 {
			t.Fatalf("data: %d %+v", code, out)
		}
		for _, n := range out.Nodes {
			if n.Circle < 1 || n.Href != "/u/"+n.Username || (n.Username == "alice") != (n.Depth == 0) {
				t.Fatalf("node %+v", n)
			}
		}
		// Other kinds hold none of these ties.
		want(t, admin.get("/graph?user=alice&kind=reply"), http.StatusOK, `id="graph-no-ties"`)

		// Bad input.
		want(t, admin.get("/graph?user=alice&depth=3"), http.StatusBadRequest)
		want(t, admin.get("/graph?user=alice&kind=gossip"), http.StatusBadRequest)
		want(t, admin.get("/graph?user=nobody"), http.StatusNotFound, `id="graph-not-found"`)
		if code, out := admin.explorerData("user=nobody"); code != http.StatusNotFound || out.Error.Code != "user_not_found" {
			t.Fatalf("unknown user on /graph/data: %d %+v", code, out)
		}
		if code, _ := admin.explorerData(""); code != http.StatusBadRequest {
			t.Fatalf("no user on /graph/data: %d", code)
		}

		// Bob opts out in his settings: the box is ticked afterwards, and he
		// is gone from the explorer, the data and alice's followers at once.
		p = bob.get("/settings")
		want(t, p, http.StatusOK, `name="graph_opt_out"`, "Leave me out of the relationship graph")
		if strings.Contains(p.body, `value="1" checked`) {
			t.Fatal("the opt-out is ticked before it was chosen")
		}
		p = bob.post("/settings", "/settings", url.Values{"display_name": {"bob"}, "bio": {""}, "locale": {"en"}, "graph_opt_out": {"1"}})
		want(t, p, http.StatusSeeOther)
		want(t, bob.get("/settings"), http.StatusOK, `name="graph_opt_out" value="1" checked`)
		u, err := s.app.Accounts.ByUsername(context.Background(), "bob")
		if err != nil || !u.GraphOptOut {
			t.Fatalf("opt-out not saved: %v %v", u.GraphOptOut, err)
		}
		p = admin.get("/graph?user=alice")
		want(t, p, http.StatusOK, `data-user="carol"`)
		if strings.Contains(p.body, `data-user="bob"`) || strings.Contains(p.body, "@bob") {
			t.Fatalf("bob opted out but is in alice's network:\n%.4000s", p.body)
		}
		_, out = admin.explorerData("user=alice&depth=2")
		for _, n := range out.Nodes {
			if n.Username == "bob" {
				t.Fatal("bob opted out but is in the data")
			}
		}
		want(t, admin.get("/graph?user=bob"), http.StatusNotFound, `id="graph-not-found"`)
		want(t, carol.get("/u/alice"), http.StatusOK, "1 follower")
		// His own profile still counts for himself.
		want(t, bob.get("/u/bob"), http.StatusOK, "1 following")

		// Saving the settings without the box opts back in.
		want(t, bob.post("/settings", "/settings", url.Values{"display_name": {"bob"}, "bio": {""}, "locale": {"en"}}), http.StatusSeeOther)
		want(t, admin.get("/graph?user=alice"), http.StatusOK, `data-user="bob"`)
	})
}
