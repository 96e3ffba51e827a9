package graph

import (
	"context"

	"entgo.io/ent/dialect/sql"

	"github.com/crn-dev/crn/ent/predicate"
	"github.com/crn-dev/crn/ent/user"
	"github.com/crn-dev/crn/ent/userfollow"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
)

// FollowCounts is how many follow the user named username and how many they
// follow, counting, as Follows lists them, nobody who opted out of the graph
// except the actor.
func (s *Service) FollowCounts(ctx context.Context, a authz.Actor, username string) (followers, following int, err error) {
	u, err := s.userByName(ctx, Viewer{UserID: a.ID, Staff: a.Staff()}, username)
	if err != nil {
		return 0, 0, err
	}
	followers, err = s.db.UserFollow.Query().
		Where(userfollow.FolloweeID(u.ID), notOptedOut(userfollow.FieldFollowerID, a.ID)).Count(ctx)
	if err != nil {
		return 0, 0, apperr.Internal("count followers", err)
	}
	following, err = s.db.UserFollow.Query().
		Where(userfollow.FollowerID(u.ID), notOptedOut(userfollow.FieldFolloweeID, a.ID)).Count(ctx)
	if err != nil {
		return 0, 0, apperr.Internal("count following", err)
	}
	return followers, following, nil
}

// notOptedOut keeps the follows whose column names a user who has not opted
// out of the graph, or the user except.
func notOptedOut(column string, except int) predicate.UserFollow {
	return func(s *sql.Selector) {
		t := sql.Table(user.Table)
		out := sql.Select(t.C(user.FieldID)).From(t).
			Where(sql.And(sql.EQ(t.C(user.FieldGraphOptOut), true), sql.NEQ(t.C(user.FieldID), except)))
		s.Where(sql.NotIn(s.C(column), out))
	}
}
