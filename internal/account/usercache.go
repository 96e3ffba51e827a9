package account

import (
	"context"
	"time"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/user"
	"github.com/crn-dev/crn/internal/apperr"
)

// userCache keeps the public fields ByIDs reads (username, display name,
// avatar, status) for the principal cache's TTL, so the authors of a page
// of posts or topics cost no query when the node has shown them lately
// (one query in nine of a signed-in topic page). It follows the same rules
// as the principal cache: UpdateProfile, ForgetUser and ForgetAll drop
// entries at once (the app calls the last two for the domain events of
// every node), a read that raced a forget is not stored, and the TTL
// bounds everything else.
type userCache struct {
	c *expiring[int, ent.User] // only the fields ByIDs selects
}

// userCacheMax bounds the cache: the authors shown in one TTL.
const userCacheMax = 50_000

func newUserCache(ttl time.Duration) userCache {
	return userCache{newExpiring[int, ent.User](ttl, userCacheMax)}
}

// forget drops userID's entry, or every entry for 0.
func (uc userCache) forget(userID int) {
	if userID == 0 {
		uc.c.forget(nil)
		return
	}
	uc.c.forget(func(id int, _ ent.User) bool { return id == userID })
}

// ByIDs batch-loads users' public fields (username, display name, avatar,
// status) by id, from the node's cache where fresh. Each returned user is
// the caller's own copy. Unknown ids are left out.
func (s *Service) ByIDs(ctx context.Context, ids []int) (map[int]*ent.User, error) {
	out := make(map[int]*ent.User, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	c := s.users.c
	now := s.opts.Now()
	gen := c.generation()
	missing := make([]int, 0, len(ids))
	for _, id := range ids {
		if u, ok := c.get(id, now); ok {
			out[id] = &u
		} else {
			missing = append(missing, id)
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	us, err := s.db.User.Query().Where(user.IDIn(missing...)).
		Select(user.FieldUsername, user.FieldDisplayName, user.FieldAvatarURL, user.FieldStatus).All(ctx)
	if err != nil {
		return nil, apperr.Internal("users by id", err)
	}
	for _, u := range us {
		out[u.ID] = u
		c.put(u.ID, gen, *u, now)
	}
	return out, nil
}
