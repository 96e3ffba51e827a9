package authz_test

import (
	"testing"
	"time"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/forum"
	"github.com/crn-dev/crn/ent/group"
	"github.com/crn-dev/crn/internal/authz"
)

func groupForum(groupID int, vis group.Visibility, loaded bool) *ent.Forum {
	f := &ent.Forum{ID: 10, GroupID: &groupID, ReadVisibility: forum.ReadVisibilityPublic}
	if loaded {
		f.Edges.Group = &ent.Group{ID: groupID, Visibility: vis}
	}
	return f
}

func TestGroupForumReaders(t *testing.T) {
	guest := authz.Actor{}
	outsider := authz.Actor{ID: 2, Role: "member", Status: "active"}
	member := outsider.WithGroups(map[int]string{7: authz.GroupMember}, nil)
	staff := authz.Actor{ID: 3, Role: "staff", Status: "active"}
	admin := authz.Actor{ID: 1, Role: "admin", Status: "active"}
	for _, tc := range []struct {
		vis                                      group.Visibility
		guest, outsider, member, staffer, admins bool
	}{
		{group.VisibilityPublic, true, true, true, true, true},
		{group.VisibilityRestricted, false, false, true, false, true},
		{group.VisibilityPrivate, false, false, true, false, true},
	} {
		f := groupForum(7, tc.vis, true)
		for name, c := range map[string]struct {
			a    authz.Actor
			want bool
		}{"guest": {guest, tc.guest}, "outsider": {outsider, tc.outsider}, "member": {member, tc.member}, "staff": {staff, tc.staffer}, "admin": {admin, tc.admins}} {
			if got := authz.CanReadForum(c.a, f); got != c.want {
				t.Errorf("%s forum, %s: %v", tc.vis, name, got)
			}
		}
	}
	// Without its group loaded, a group forum is for members and admins only.
	f := groupForum(7, group.VisibilityPublic, false)
	if authz.CanReadForum(outsider, f) || !authz.CanReadForum(member, f) || !authz.CanReadForum(admin, f) {
		t.Error("an unloaded group does not fail closed")
	}
	if v := authz.ForumContentVisibility(f); v != "group:7" {
		t.Errorf("unloaded visibility %s", v)
	}
	// A deleted group's forums are no one's but the admins'.
	f = groupForum(7, group.VisibilityPublic, true)
	now := time.Now()
	f.Edges.Group.DeletedAt = &now
	if authz.CanReadForum(outsider, f) || authz.ForumContentVisibility(f) != "group:7" {
		t.Error("a deleted group's forum is readable")
	}
	// Members-only forums of public groups stay members-only.
	f = groupForum(7, group.VisibilityPublic, true)
	f.ReadVisibility = forum.ReadVisibilityMembers
	if authz.CanReadForum(guest, f) || !authz.CanReadForum(outsider, f) || authz.ForumContentVisibility(f) != "members" {
		t.Error("a public group's members-only forum")
	}
}

func TestGroupRoles(t *testing.T) {
	owner := authz.Actor{ID: 2, Role: "member", Status: "active"}.WithGroups(map[int]string{7: authz.GroupOwner}, []int{10})
	mod := authz.Actor{ID: 3, Role: "member", Status: "active"}.WithGroups(map[int]string{7: authz.GroupModerator}, []int{10})
	member := authz.Actor{ID: 4, Role: "member", Status: "active"}.WithGroups(map[int]string{7: authz.GroupMember}, nil)
	if !authz.CanManageGroup(owner, 7) || authz.CanManageGroup(mod, 7) || authz.CanManageGroup(owner, 8) {
		t.Error("CanManageGroup")
	}
	if !authz.CanModerateGroup(mod, 7) || authz.CanModerateGroup(member, 7) {
		t.Error("CanModerateGroup")
	}
	if !owner.Moderates(10) || !mod.Moderates(10) || member.Moderates(10) || mod.Moderates(11) {
		t.Error("Moderates")
	}
	if authz.CanSeeGroup(authz.Actor{}, 7, authz.GroupPrivate) || !authz.CanSeeGroup(authz.Actor{}, 7, authz.GroupRestricted) ||
		authz.CanReadGroup(authz.Actor{}, 7, authz.GroupRestricted) || !authz.CanReadGroup(member, 7, authz.GroupPrivate) {
		t.Error("CanSeeGroup / CanReadGroup")
	}
}
