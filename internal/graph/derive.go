package graph

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/crn-dev/crn/internal/event"
)

// Event types of other features that the graph consumes by name.
const (
	typeMemberJoined  event.Type = "group.member_joined"
	typeMemberLeft    event.Type = "group.member_left"
	typeMemberRemoved event.Type = "group.member_removed"
	typeMemberBanned  event.Type = "group.member_banned"
	typeRated         event.Type = "resource.rated"
	typeDownloaded    event.Type = "resource.downloaded"
	typeVoted         event.Type = "feedback.voted"
	typeUnvoted       event.Type = "feedback.unvoted"
)

// Scopes of a contribution besides a private group's id.
const (
	scopeMembers = 0  // every signed-in member
	scopeStaff   = -1 // staff only
)

// edgeKey identifies one accumulator: one kind of interaction from src to
// dst within one scope and forum.
type edgeKey struct {
	src, dst     int
	kind         Kind
	scope, forum int
}

// edgeState is an accumulator: count interactions whose decayed sum was
// score at asOf.
type edgeState struct {
	count int
	score float64
	asOf  time.Time
}

// change is one interaction added (delta +1) or taken back (delta -1); at is
// when the interaction happened.
type change struct {
	key   edgeKey
	delta int
	at    time.Time
}

// apply folds c into st at time now.
func (d Decay) apply(st edgeState, c change, now time.Time) edgeState {
	if !c.key.kind.decays() {
		st.count += c.delta
		if st.count < 0 {
			st.count = 0
		}
		st.score, st.asOf = float64(st.count), now
		return st
	}
	if st.asOf.IsZero() {
		st.asOf = now
	}
	if c.delta > 0 {
		st.score, st.asOf = d.Accumulate(st.score, st.asOf, d.Factor(c.at, now), now)
		st.count++
		return st
	}
	st.score, st.asOf = st.score*d.Factor(st.asOf, now), now
	st.score -= d.Factor(c.at, now)
	st.count--
	if st.count <= 0 || st.score < 0 {
		st.score = 0
	}
	if st.count <= 0 {
		st.count = 0
	}
	return st
}

// member is one user affiliated with a group or a feedback item.
type member struct {
	user  int
	since time.Time
}

// affiliations remember who belongs to which group and who voted on which
// feedback item: the database in the consumer, memory in a rebuild.
type affiliations interface {
	// join adds user to (kind, ref); it reports false when already there.
	join(ctx context.Context, kind string, ref, user, scope int, at time.Time) (bool, error)
	// leave removes user; it reports when they had joined, and false when
	// they were not there.
	leave(ctx context.Context, kind string, ref, user int) (time.Time, bool, error)
	// members lists at most limit members of (kind, ref), newest first, and
	// how many there are in all.
	members(ctx context.Context, kind string, ref, limit int) ([]member, int, error)
}

// Affiliation kinds.
const (
	affGroup = "group"
	affItem  = "item"
)

// Limits bound the edges a single event may create.
type Limits struct {
	// GroupMax is the largest group whose members are all tied to each
	// other; bigger groups say little about any two of their members.
	GroupMax int
	// CoVoteMax is how many of an item's latest voters a new voter is tied to.
	CoVoteMax int
}

// DefaultLimits are documented in docs/graph.md.
var DefaultLimits = Limits{GroupMax: 50, CoVoteMax: 20}

// derive turns one event into the changes it makes to the graph.
func derive(ctx context.Context, e event.Event, aff affiliations, lim Limits) ([]change, error) {
	scope, ok := scopeOf(e.Visibility)
	if !ok {
		return nil, nil // one user's private event: nothing between customers
	}
	at := e.CreatedAt
	var out []change
	add := func(src, dst int, k Kind, delta int, forum int) {
		if src == 0 || dst == 0 || src == dst {
			return
		}
		out = append(out, change{key: edgeKey{src: src, dst: dst, kind: k, scope: scope, forum: forum}, delta: delta, at: at})
	}
	p := e.Payload
	switch e.Type {
	case event.PostCreated:
		seen := map[int]bool{}
		if intOf(p["post_number"]) > 1 {
			if to := intOf(p["reply_to_user_id"]); to != 0 {
				add(e.ActorID, to, Reply, 1, e.ForumID)
				seen[to] = true
			}
		}
		for _, id := range intsOf(p["quoted_user_ids"]) {
			add(e.ActorID, id, Quote, 1, e.ForumID)
		}
		for _, id := range intsOf(p["mentioned_user_ids"]) {
			if !seen[id] {
				add(e.ActorID, id, Mention, 1, e.ForumID)
			}
		}
	case event.ReactionAdded:
		add(e.ActorID, intOf(p["post_author_id"]), Reaction, 1, e.ForumID)
	case event.ReactionRemoved:
		// When the reaction was added is not known any more: one full unit
		// is taken back, clamped at zero (exact when it was the only one).
		add(e.ActorID, intOf(p["post_author_id"]), Reaction, -1, e.ForumID)
	case event.TopicAccepted:
		if intOf(p["post_id"]) != 0 {
			add(e.ActorID, intOf(p["answerer_id"]), Answer, 1, e.ForumID)
		}
	case event.UserFollowed:
		add(e.ActorID, e.UserID, Follow, 1, 0)
	case event.UserUnfollowed:
		add(e.ActorID, e.UserID, Follow, -1, 0)
	case typeRated:
		add(e.ActorID, e.UserID, Rating, 1, 0)
	case typeDownloaded:
		add(e.ActorID, e.UserID, Download, 1, 0)
	case typeMemberJoined:
		g := groupOf(e)
		if g == 0 || e.UserID == 0 {
			return nil, nil
		}
		added, err := aff.join(ctx, affGroup, g, e.UserID, scope, at)
		if err != nil || !added {
			return nil, err
		}
		ms, total, err := aff.members(ctx, affGroup, g, lim.GroupMax+1)
		if err != nil || total > lim.GroupMax {
			return nil, err
		}
		for _, m := range ms {
			add(e.UserID, m.user, Group, 1, 0)
		}
	case typeMemberLeft, typeMemberRemoved, typeMemberBanned:
		g := groupOf(e)
		if g == 0 || e.UserID == 0 {
			return nil, nil
		}
		since, was, err := aff.leave(ctx, affGroup, g, e.UserID)
		if err != nil || !was {
			return nil, err
		}
		ms, total, err := aff.members(ctx, affGroup, g, lim.GroupMax+1)
		if err != nil || total+1 > lim.GroupMax {
			return nil, err
		}
		for _, m := range ms {
			// The later of the two joiners holds the tie (see the join case).
			if since.Before(m.since) {
				add(m.user, e.UserID, Group, -1, 0)
			} else {
				add(e.UserID, m.user, Group, -1, 0)
			}
		}
	case typeVoted:
		item := itemOf(e)
		if item == 0 || e.ActorID == 0 {
			return nil, nil
		}
		ms, _, err := aff.members(ctx, affItem, item, lim.CoVoteMax)
		if err != nil {
			return nil, err
		}
		added, err := aff.join(ctx, affItem, item, e.ActorID, scope, at)
		if err != nil || !added {
			return nil, err
		}
		for _, m := range ms {
			add(e.ActorID, m.user, CoVote, 1, 0)
		}
	case typeUnvoted:
		// The co-votes happened; they fade like any interaction. The voter
		// just stops tying later voters to themselves.
		if item := itemOf(e); item != 0 {
			_, _, err := aff.leave(ctx, affItem, item, e.ActorID)
			return nil, err
		}
	}
	return out, nil
}

// scopeOf maps an event's visibility to the scope of its contributions;
// false means the event concerns one user alone.
func scopeOf(vis string) (int, bool) {
	switch {
	case vis == event.Public || vis == event.Members:
		return scopeMembers, true
	case vis == event.Staff:
		return scopeStaff, true
	case strings.HasPrefix(vis, "group:"):
		id, err := strconv.Atoi(strings.TrimPrefix(vis, "group:"))
		if err != nil || id <= 0 {
			return scopeStaff, true // unreadable: show it to staff only
		}
		return id, true
	}
	return 0, false
}

// groupOf finds the group of a membership event: the payload's group_id,
// else the group named by its visibility.
func groupOf(e event.Event) int {
	if id := intOf(e.Payload["group_id"]); id > 0 {
		return id
	}
	if s, ok := scopeOf(e.Visibility); ok && s > 0 {
		return s
	}
	return 0
}

// itemOf finds the feedback item of a vote event.
func itemOf(e event.Event) int {
	for _, k := range []string{"item_id", "feedback_item_id", "feedback_id"} {
		if id := intOf(e.Payload[k]); id > 0 {
			return id
		}
	}
	return e.TopicID
}

// intOf reads a JSON number (float64 after decoding, int before).
func intOf(v any) int {
	switch n := v.(type) {
	case float64:
		return int(n)
	case int:
		return n
	case int64:
		return int(n)
	case string:
		i, _ := strconv.Atoi(n)
		return i
	}
	return 0
}

func intsOf(v any) []int {
	var out []int
	switch l := v.(type) {
	case []any:
		for _, x := range l {
			if i := intOf(x); i != 0 {
				out = append(out, i)
			}
		}
	case []int:
		out = append(out, l...)
	}
	return out
}
