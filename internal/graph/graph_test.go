package graph

import (
	"bytes"
	"context"
	"math"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/database"
	"github.com/crn-dev/crn/internal/database/dbtest"
)

func TestDecayHalvesAWeightAfterOneHalfLife(t *testing.T) {
	d := Decay{HalfLife: 24 * time.Hour}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if got := d.Factor(t0, t0.Add(24*time.Hour)); got != 0.5 {
		t.Fatalf("factor after one half-life = %v, want 0.5", got)
	}
	// Two interactions a half-life apart: the first counts half at the second.
	score, asOf := d.Accumulate(0, t0, 1, t0)
	score, asOf = d.Accumulate(score, asOf, 1, t0.Add(24*time.Hour))
	if score != 1.5 || !asOf.Equal(t0.Add(24*time.Hour)) {
		t.Fatalf("accumulated %v at %v, want 1.5", score, asOf)
	}
	// A late, older contribution is decayed to asOf rather than moving it back.
	score, asOf = d.Accumulate(score, asOf, 1, t0)
	if score != 2 || !asOf.Equal(t0.Add(24*time.Hour)) {
		t.Fatalf("late contribution: %v at %v, want 2", score, asOf)
	}
	// Follows do not fade.
	if Follow.decays() || !Reply.decays() {
		t.Fatal("follows must not decay; replies must")
	}

	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db, "alice", "bob")
		f.s = New(db, NewMemory(d.HalfLife), Options{Decay: d, Now: func() time.Time { return f.now }})
		f.tie("alice", "bob", Reply, 1, 0)
		read := func() float64 {
			net, err := f.s.Neighbors(context.Background(), f.viewer("alice"), "alice", NeighborQuery{})
			if err != nil || len(net.Edges) != 1 {
				t.Fatalf("neighbors: %v %+v", err, net)
			}
			return net.Edges[0].Weight
		}
		before := read()
		f.now = f.now.Add(24 * time.Hour)
		after := read()
		if before != DefaultWeights[Reply] || math.Abs(after-before/2) > 1e-6 {
			t.Fatalf("weight %v then %v a half-life later, want %v then half", before, after, DefaultWeights[Reply])
		}
	})
}

func TestParseKindsAndWeights(t *testing.T) {
	set, err := ParseKinds("reply, follow")
	if err != nil || !set.Has(Reply) || !set.Has(Follow) || set.Has(Mention) {
		t.Fatalf("ParseKinds: %v %b", err, set)
	}
	if _, err := ParseKinds("reply,hug"); err == nil {
		t.Fatal("unknown kind accepted")
	}
	w, err := ParseWeights("reply=5, follow=0")
	if err != nil || w[Reply] != 5 || w[Follow] != 0 || w[Mention] != DefaultWeights[Mention] {
		t.Fatalf("ParseWeights: %v %v", err, w)
	}
	for _, bad := range []string{"reply=-1", "reply", "hug=1", "reply=x"} {
		if _, err := ParseWeights(bad); err == nil {
			t.Fatalf("ParseWeights(%q) accepted", bad)
		}
	}
	if back, err := ParseWeights(DefaultWeights.String()); err != nil || back != DefaultWeights {
		t.Fatalf("round trip: %v", err)
	}
}

// bridged is two triangles (a1 a2 a3, b1 b2 b3) joined by a3 — x — b3.
func bridged(t *testing.T, db *database.DB) *fixture {
	f := newFixture(t, db, "a1", "a2", "a3", "b1", "b2", "b3", "x", "loner", "staff")
	for _, p := range [][2]string{{"a1", "a2"}, {"a2", "a3"}, {"a1", "a3"}, {"b1", "b2"}, {"b2", "b3"}, {"b1", "b3"}} {
		f.tie(p[0], p[1], Reply, 3, 0)
	}
	f.tie("a3", "x", Reply, 1, 0)
	f.tie("x", "b3", Mention, 2, 0)
	return f
}

func TestPathGoesThroughTheBridge(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		f := bridged(t, db)
		ctx := context.Background()
		p, err := f.s.Path(ctx, f.viewer("a1"), "a1", "b1", 0)
		if err != nil {
			t.Fatal(err)
		}
		if got := f.usernames(p.Nodes); !slices.Equal(got, []string{"a1", "a3", "x", "b3", "b1"}) {
			t.Fatalf("path %v", got)
		}
		if len(p.Hops) != 4 || p.Hops[2].Counts["mention"] != 2 || p.Hops[1].Counts["reply"] != 1 {
			t.Fatalf("hops %+v", p.Hops)
		}
		// cost = 1/6 + 1/2 + 1/3 + 1/6 (reply weight 2 × 3, 2 × 1, mention 1.5 × 2, 2 × 3).
		if want := 1.0/6 + 1.0/2 + 1.0/3 + 1.0/6; math.Abs(p.Cost-want) > 1e-6 {
			t.Fatalf("cost %v, want %v", p.Cost, want)
		}
		// A stronger detour wins over a weak direct tie.
		f.tie("a1", "b1", Reaction, 1, 0) // weight 0.5: cost 2
		p, _ = f.s.Path(ctx, f.viewer("a1"), "a1", "b1", 0)
		if len(p.Nodes) != 5 {
			t.Fatalf("took the weak direct tie: %v", f.usernames(p.Nodes))
		}
		// Restricted to reactions, only the direct tie is left.
		p, err = f.s.Path(ctx, f.viewer("a1"), "a1", "b1", 1<<Reaction)
		if err != nil || len(p.Nodes) != 2 {
			t.Fatalf("kinds=reaction: %v %v", err, f.usernames(p.Nodes))
		}
		if _, err := f.s.Path(ctx, f.viewer("a1"), "a1", "loner", 0); apperr.As(err) == nil || apperr.As(err).Kind != apperr.KindNotFound {
			t.Fatalf("no path: %v", err)
		}
		if _, err := f.s.Path(ctx, f.viewer("a1"), "a1", "nobody", 0); apperr.As(err) == nil || apperr.As(err).Kind != apperr.KindNotFound {
			t.Fatalf("unknown user: %v", err)
		}
	})
}

func TestNeighborsByDepthAndLimit(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		f := bridged(t, db)
		ctx := context.Background()
		net, err := f.s.Neighbors(ctx, f.viewer("a1"), "a3", NeighborQuery{Depth: 1})
		if err != nil {
			t.Fatal(err)
		}
		got := f.usernames(net.Nodes)
		if !slices.Equal(got, []string{"a3", "a1", "a2", "x"}) { // strongest first, then by id
			t.Fatalf("depth 1: %v", got)
		}
		// Edges among them: a1-a2, a1-a3, a2-a3, a3-x.
		if len(net.Edges) != 4 {
			t.Fatalf("edges %+v", net.Edges)
		}
		net, _ = f.s.Neighbors(ctx, f.viewer("a1"), "a3", NeighborQuery{Depth: 2})
		if got := f.usernames(net.Nodes); len(got) != 5 || got[4] != "b3" || net.Nodes[4].Depth != 2 {
			t.Fatalf("depth 2: %v", got)
		}
		net, _ = f.s.Neighbors(ctx, f.viewer("a1"), "a3", NeighborQuery{Depth: 3, Limit: 2})
		if len(net.Nodes) != 3 {
			t.Fatalf("limit 2 gives the user and 2 others: %v", f.usernames(net.Nodes))
		}
		net, _ = f.s.Neighbors(ctx, f.viewer("a1"), "a3", NeighborQuery{Depth: 1, MinWeight: 3})
		if got := f.usernames(net.Nodes); !slices.Equal(got, []string{"a3", "a1", "a2"}) {
			t.Fatalf("min_weight 3: %v", got)
		}
		for _, q := range []NeighborQuery{{Depth: 4}, {Depth: -1}, {Limit: 501}, {MinWeight: -1}} {
			if _, err := f.s.Neighbors(ctx, f.viewer("a1"), "a3", q); apperr.As(err) == nil || apperr.As(err).Kind != apperr.KindUnprocessable {
				t.Fatalf("%+v: %v", q, err)
			}
		}
	})
}

func TestPageRankOrdersAStar(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db, "hub", "l1", "l2", "l3", "l4", "staff")
		for _, l := range []string{"l1", "l2", "l3", "l4"} {
			f.tie(l, "hub", Reply, 1, 0)
		}
		f.tie("hub", "l1", Reaction, 1, 0) // the hub gives back a little to one leaf
		ctx := context.Background()
		got, err := f.s.Influencers(ctx, f.viewer("staff"), AnalyticsQuery{Metric: MetricPageRank})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 5 || got[0].Username != "hub" || got[1].Username != "l1" {
			t.Fatalf("pagerank order %+v", got)
		}
		for i := 2; i < 5; i++ {
			if math.Abs(got[i].Score-got[2].Score) > 1e-9 {
				t.Fatalf("symmetric leaves differ: %+v", got)
			}
		}
		bt, err := f.s.Influencers(ctx, f.viewer("staff"), AnalyticsQuery{Metric: MetricBetweenness})
		if err != nil || len(bt) != 1 || bt[0].Username != "hub" {
			t.Fatalf("betweenness: only the hub lies between others: %v %+v", err, bt)
		}
		if _, err := f.s.Influencers(ctx, f.viewer("hub"), AnalyticsQuery{}); apperr.As(err) == nil || apperr.As(err).Kind != apperr.KindForbidden {
			t.Fatalf("members may not rank: %v", err)
		}
		if _, err := f.s.Influencers(ctx, f.viewer("staff"), AnalyticsQuery{Metric: "fame"}); apperr.As(err) == nil || apperr.As(err).Kind != apperr.KindUnprocessable {
			t.Fatalf("bad metric: %v", err)
		}
	})
}

func TestTwoCliquesAreTwoCommunities(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		left := []string{"p1", "p2", "p3", "p4", "p5"}
		right := []string{"q1", "q2", "q3", "q4", "q5"}
		f := newFixture(t, db, append(append(append([]string{}, left...), right...), "staff")...)
		for _, side := range [][]string{left, right} {
			for i := range side {
				for j := i + 1; j < len(side); j++ {
					f.tie(side[i], side[j], Reply, 2, 0)
				}
			}
		}
		f.tie("p5", "q1", Mention, 1, 0)
		got, err := f.s.Communities(context.Background(), f.viewer("staff"), AnalyticsQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if got.Total != 2 || len(got.Communities) != 2 || got.Modularity < 0.4 {
			t.Fatalf("communities %+v", got)
		}
		var sides [][]string
		for _, c := range got.Communities {
			if c.Size != 5 {
				t.Fatalf("size %d", c.Size)
			}
			var names []string
			for _, m := range c.TopMembers {
				names = append(names, m.Username)
			}
			sort.Strings(names)
			sides = append(sides, names)
		}
		sort.Slice(sides, func(i, j int) bool { return sides[i][0] < sides[j][0] })
		if !slices.Equal(sides[0], left) || !slices.Equal(sides[1], right) {
			t.Fatalf("communities %v", sides)
		}
	})
}

func TestOptOutRemovesAUserEverywhere(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		f := bridged(t, db)
		f.optOut("x")
		ctx := context.Background()
		v := f.viewer("a1")
		if _, err := f.s.Neighbors(ctx, v, "x", NeighborQuery{}); apperr.As(err) == nil || apperr.As(err).Kind != apperr.KindNotFound {
			t.Fatalf("neighbors of x: %v", err)
		}
		net, _ := f.s.Neighbors(ctx, v, "a3", NeighborQuery{Depth: 3})
		if slices.Contains(f.usernames(net.Nodes), "x") {
			t.Fatalf("x in ego network %v", f.usernames(net.Nodes))
		}
		if _, err := f.s.Path(ctx, v, "a1", "b1", 0); apperr.As(err) == nil || apperr.As(err).Kind != apperr.KindNotFound {
			t.Fatalf("path through the only bridge must be gone: %v", err)
		}
		for _, m := range []string{MetricPageRank, MetricBetweenness} {
			got, _ := f.s.Influencers(ctx, f.viewer("staff"), AnalyticsQuery{Metric: m})
			for _, r := range got {
				if r.Username == "x" {
					t.Fatalf("%s lists x", m)
				}
			}
		}
		cs, _ := f.s.Communities(ctx, f.viewer("staff"), AnalyticsQuery{})
		total := 0
		for _, c := range cs.Communities {
			total += c.Size
		}
		if total != 6 {
			t.Fatalf("communities count %d members, want 6 without x", total)
		}
		for _, format := range []string{FormatGraphML, FormatGEXF, FormatJSON} {
			var b bytes.Buffer
			if err := f.s.Export(ctx, f.viewer("staff"), format, 0, &b); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(b.String(), `"x"`) || strings.Contains(b.String(), ">x<") || !strings.Contains(b.String(), "a1") {
				t.Fatalf("%s export shows x:\n%s", format, b.String())
			}
		}
		// x still sees their own graph.
		net, err := f.s.Neighbors(ctx, f.viewer("x"), "x", NeighborQuery{})
		if err != nil || len(net.Nodes) != 3 {
			t.Fatalf("x's own network: %v %v", err, f.usernames(net.Nodes))
		}
	})
}

func TestPrivateGroupEdgesAreHiddenFromNonMembers(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db, "alice", "bob", "carol", "staff")
		const secret = 7
		f.s.opts.Groups = staticGroups{f.users["alice"]: {secret}, f.users["bob"]: {secret}}
		f.tie("alice", "bob", Reply, 4, secret)
		f.tie("alice", "bob", Reaction, 1, 0)
		f.tie("bob", "carol", Reply, 1, 0)
		ctx := context.Background()
		weight := func(viewer string) (float64, map[string]int32) {
			net, err := f.s.Neighbors(ctx, f.viewer(viewer), "alice", NeighborQuery{})
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range net.Edges {
				return e.Weight, e.Counts
			}
			return 0, nil
		}
		if w, c := weight("carol"); w != 0.5 || c["reply"] != 0 {
			t.Fatalf("carol sees %v %v, want only the public reaction", w, c)
		}
		for _, v := range []string{"bob", "staff"} {
			if w, c := weight(v); w != 8.5 || c["reply"] != 4 {
				t.Fatalf("%s sees %v %v", v, w, c)
			}
		}
		// The private replies do not make a path for carol either.
		f.tie("alice", "bob", Reaction, 0, 0) // remove the public tie
		if _, err := f.s.Path(ctx, f.viewer("carol"), "carol", "alice", 0); apperr.As(err) == nil {
			t.Fatalf("carol found a path through a private group: %v", err)
		}
		if p, err := f.s.Path(ctx, f.viewer("bob"), "carol", "alice", 0); err != nil || len(p.Nodes) != 3 {
			t.Fatalf("bob's path: %v", err)
		}
	})
}

func TestRecommendations(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db, "me", "f1", "f2", "f3", "cand", "popular", "other", "followed", "staff")
		f.tie("me", "f1", Reply, 1, 0)
		f.tie("me", "f2", Reply, 1, 0)
		f.tie("me", "f3", Reply, 1, 0)
		f.tie("me", "followed", Follow, 1, 0)
		// cand is a friend of two of my friends, popular of one, followed of all three.
		f.tie("f1", "cand", Reply, 1, 0)
		f.tie("f2", "cand", Reply, 1, 0)
		f.tie("f3", "popular", Reply, 1, 0)
		for _, x := range []string{"f1", "f2", "f3"} {
			f.tie(x, "followed", Reply, 1, 0)
		}
		f.tie("popular", "other", Reply, 1, 0)
		ctx := context.Background()
		r, err := f.s.Recommend(ctx, f.viewer("me"), "me")
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, p := range r.People {
			names = append(names, p.User.Username)
		}
		if !slices.Equal(names, []string{"cand", "popular"}) {
			t.Fatalf("people %v", names)
		}
		if r.People[0].Reason != "2 connection in common" && !strings.HasPrefix(r.People[0].Reason, "2 ") {
			t.Fatalf("reason %q", r.People[0].Reason)
		}
		if len(r.People[0].Via) != 2 {
			t.Fatalf("via %v", r.People[0].Via)
		}
		if _, err := f.s.Recommend(ctx, f.viewer("f1"), "me"); apperr.As(err) == nil || apperr.As(err).Kind != apperr.KindForbidden {
			t.Fatalf("someone else's recommendations: %v", err)
		}
		if _, err := f.s.Recommend(ctx, f.viewer("staff"), "me"); err != nil {
			t.Fatalf("staff: %v", err)
		}
	})
}

func TestCommunitiesAreCachedUntilTheGraphChanges(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db, "a", "b", "c", "d", "e", "f", "staff")
		for _, tri := range [][3]string{{"a", "b", "c"}, {"d", "e", "f"}} {
			f.tie(tri[0], tri[1], Reply, 2, 0)
			f.tie(tri[1], tri[2], Reply, 2, 0)
			f.tie(tri[0], tri[2], Reply, 2, 0)
		}
		ctx := context.Background()
		staff := f.viewer("staff")
		first, err := f.s.Communities(ctx, staff, AnalyticsQuery{})
		if err != nil || first.Status != StatusReady || first.Total != 2 || first.ComputedAt == nil || !first.ComputedAt.Equal(f.now) || first.Stale {
			t.Fatalf("first: %v %+v", err, first)
		}
		// Unchanged graph: the cached result, however late.
		f.now = f.now.Add(10 * time.Minute)
		again, _ := f.s.Communities(ctx, staff, AnalyticsQuery{})
		if !again.ComputedAt.Equal(*first.ComputedAt) || again.Total != 2 {
			t.Fatalf("recomputed an unchanged graph: %+v", again)
		}
		// A filter is a result of its own.
		forum, _ := f.s.Communities(ctx, staff, AnalyticsQuery{Forum: 99})
		if forum.Total != 0 || !forum.ComputedAt.Equal(f.now) {
			t.Fatalf("forum 99: %+v", forum)
		}
		// A change to the graph makes it stale; a small graph is recomputed
		// within the request's wait.
		f.tie("c", "d", Reply, 9, 0)
		f.tie("a", "f", Reply, 9, 0)
		changed, _ := f.s.Communities(ctx, staff, AnalyticsQuery{})
		if !changed.ComputedAt.Equal(f.now) || changed.Stale {
			t.Fatalf("not recomputed after a change: %+v", changed)
		}
		// So does an opt-out; the user is gone from the result.
		f.now = f.now.Add(time.Minute)
		f.optOut("a")
		out, _ := f.s.Communities(ctx, staff, AnalyticsQuery{})
		if !out.ComputedAt.Equal(f.now) {
			t.Fatalf("not recomputed after an opt-out: %+v", out)
		}
		for _, c := range out.Communities {
			for _, m := range c.TopMembers {
				if m.Username == "a" {
					t.Fatalf("opted-out user listed: %+v", out)
				}
			}
		}
		// And the TTL.
		f.now = f.now.Add(DefaultCommunityTTL)
		if late, _ := f.s.Communities(ctx, staff, AnalyticsQuery{}); !late.ComputedAt.Equal(f.now) {
			t.Fatalf("not recomputed after the TTL: %+v", late)
		}
		f.s.Close()
	})
}
