package group

import (
	"github.com/crn-dev/crn/ent/forum"
	"github.com/crn-dev/crn/ent/predicate"
)

// forumInGroup selects a group's live forums.
func forumInGroup(groupID int) predicate.Forum {
	return forum.And(forum.GroupID(groupID), forum.DeletedAtIsNil())
}
