package account

import (
	"context"
	"sync"
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
// every node), a forget bumps a generation so that a read that raced it is
// not stored, and the TTL bounds everything else.
type userCache struct {
	ttl time.Duration
	max int // entries; past it the cache is emptied (a guard, not an LRU)

	mu  sync.Mutex
	gen uint64
	m   map[int]cachedUser
}

type cachedUser struct {
	u     ent.User // only the fields ByIDs selects
	until time.Time
}

// userCacheMax bounds the cache: the authors shown in one TTL.
const userCacheMax = 50_000

func newUserCache(ttl time.Duration) *userCache {
	if ttl <= 0 {
		return nil
	}
	return &userCache{ttl: ttl, max: userCacheMax, m: map[int]cachedUser{}}
}

// forget drops userID's entry, or every entry for 0. A nil cache holds nothing.
func (c *userCache) forget(userID int) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if userID == 0 {
		c.m = map[int]cachedUser{}
		return
	}
	delete(c.m, userID)
}

// ByIDs batch-loads users' public fields (username, display name, avatar,
// status) by id, from the node's cache where fresh. Each returned user is
// the caller's own copy. Unknown ids are left out.
func (s *Service) ByIDs(ctx context.Context, ids []int) (map[int]*ent.User, error) {
	out := make(map[int]*ent.User, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	c := s.users
	missing := ids
	var gen uint64
	if c != nil {
		missing = make([]int, 0, len(ids))
		now := s.opts.Now()
		c.mu.Lock()
		for _, id := range ids {
			if e, ok := c.m[id]; ok && now.Before(e.until) {
				u := e.u
				out[id] = &u
			} else {
				missing = append(missing, id)
			}
		}
		gen = c.gen
		c.mu.Unlock()
		if len(missing) == 0 {
			return out, nil
		}
	}
	us, err := s.db.User.Query().Where(user.IDIn(missing...)).
		Select(user.FieldUsername, user.FieldDisplayName, user.FieldAvatarURL, user.FieldStatus).All(ctx)
	if err != nil {
		return nil, apperr.Internal("users by id", err)
	}
	for _, u := range us {
		out[u.ID] = u
	}
	if c != nil {
		until := s.opts.Now().Add(c.ttl)
		c.mu.Lock()
		if c.gen == gen {
			if len(c.m)+len(us) > c.max {
				c.m = map[int]cachedUser{}
			}
			for _, u := range us {
				c.m[u.ID] = cachedUser{u: *u, until: until}
			}
		}
		c.mu.Unlock()
	}
	return out, nil
}
