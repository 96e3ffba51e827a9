package authz_test

import (
	"testing"

	"github.com/crn-dev/crn/internal/authz"
)

func TestGroupModerationScope(t *testing.T) {
	const alpha, beta = 1, 2
	const alphaForum, betaForum, community = 10, 20, 30
	gmod := authz.Actor{ID: 5, Role: "member", Status: "active"}.
		WithGroups(map[int]string{alpha: authz.GroupModerator, beta: authz.GroupMember}, []int{alphaForum})
	owner := authz.Actor{ID: 6, Role: "member", Status: "active"}.WithGroups(map[int]string{beta: authz.GroupOwner}, []int{betaForum})
	member := authz.Actor{ID: 7, Role: "member", Status: "active"}.WithGroups(map[int]string{alpha: authz.GroupMember}, nil)
	forumMod := authz.Actor{ID: 8, Role: "moderator", Status: "active", ModeratedForums: map[int]bool{community: true}}

	for _, tc := range []struct {
		name string
		got  bool
		want bool
	}{
		{"group moderator reviews", authz.CanReview(gmod), true},
		{"group owner reviews", authz.CanReview(owner), true},
		{"plain member does not review", authz.CanReview(member), false},
		{"group moderator moderates the group's forum item", authz.CanModerateIn(gmod, alphaForum, alpha), true},
		{"group moderator not another group's forum", authz.CanModerateIn(gmod, betaForum, beta), false},
		{"group moderator not a community forum", authz.CanModerateIn(gmod, community, 0), false},
		{"group moderator moderates the group's resource item", authz.CanModerateIn(gmod, 0, alpha), true},
		{"group moderator not a user item", authz.CanModerateIn(gmod, 0, 0), false},
		{"group owner the group's forum", authz.CanModerateIn(owner, betaForum, beta), true},
		{"forum moderator not a group forum", authz.CanModerateIn(forumMod, alphaForum, alpha), false},
		{"forum moderator their forum", authz.CanModerateIn(forumMod, community, 0), true},
		{"forum moderator group resources", authz.CanModerateIn(forumMod, 0, alpha), true},
		{"group moderator warns a member in the group", authz.CanWarnIn(gmod, alphaForum, alpha, 99, "member"), true},
		{"group moderator does not warn elsewhere", authz.CanWarnIn(gmod, betaForum, beta, 99, "member"), false},
		{"group moderator does not warn a site moderator", authz.CanWarnIn(gmod, alphaForum, alpha, 99, "moderator"), false},
		{"group moderator does not warn themselves", authz.CanWarnIn(gmod, alphaForum, alpha, gmod.ID, "member"), false},
		{"group moderator does not sanction accounts", authz.CanSanction(gmod, 99, "member"), false},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, tc.got, tc.want)
		}
	}
	if got := gmod.ModeratedGroups(); len(got) != 1 || got[0] != alpha {
		t.Errorf("ModeratedGroups = %v", got)
	}
}
