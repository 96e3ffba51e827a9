package realtime

import (
	"testing"

	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/event"
)

// The moderation channel gives a group's owners and moderators the events
// of their groups only, and everyone else what visibility allows.
func TestModerationChannelFiltersGroupModerators(t *testing.T) {
	const alpha, beta = 1, 2
	const alphaForum, betaForum, community = 10, 20, 30
	gmod := authz.Actor{ID: 5, Role: "member", Status: "active"}.
		WithGroups(map[int]string{alpha: authz.GroupModerator, beta: authz.GroupMember}, []int{alphaForum})
	member := authz.Actor{ID: 6, Role: "member", Status: "active"}.WithGroups(map[int]string{alpha: authz.GroupMember}, nil)
	siteMod := authz.Actor{ID: 7, Role: "moderator", Status: "active"}
	meta := func(vis string, forumID, groupID int) fanoutMeta {
		m := fanoutMeta{Visibility: vis, ForumID: forumID}
		m.Payload.GroupID = groupID
		return m
	}
	for _, tc := range []struct {
		name string
		ch   string
		m    fanoutMeta
		a    authz.Actor
		want bool
	}{
		{"queue item in the group's forum", "moderation", meta(event.Staff, alphaForum, alpha), gmod, true},
		{"queue item in another group's forum", "moderation", meta(event.Staff, betaForum, beta), gmod, false},
		{"queue item in a community forum", "moderation", meta(event.Staff, community, 0), gmod, false},
		{"group resource item", "moderation", meta(event.Staff, 0, alpha), gmod, true},
		{"other group's resource item", "moderation", meta(event.Staff, 0, beta), gmod, false},
		{"a sanction (no group)", "moderation", meta(event.Staff, 0, 0), gmod, false},
		{"a public post.hidden elsewhere", "moderation", meta(event.Public, community, 0), gmod, false},
		{"a public post.hidden in the group", "moderation", meta(event.Public, alphaForum, 0), gmod, true},
		{"a plain group member", "moderation", meta(event.Staff, alphaForum, alpha), member, false},
		{"site moderators see every staff event", "moderation", meta(event.Staff, betaForum, beta), siteMod, true},
		{"site moderators see sanctions", "moderation", meta(event.Staff, 0, 0), siteMod, true},
		{"other channels go by visibility", "topic:3", meta(event.Staff, alphaForum, alpha), gmod, false},
		{"other channels go by visibility (public)", "topic:3", meta(event.Public, community, 0), gmod, true},
	} {
		if got := deliverable(tc.ch, tc.m, tc.a); got != tc.want {
			t.Errorf("%s: deliverable = %v, want %v", tc.name, got, tc.want)
		}
	}
}
