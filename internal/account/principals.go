package account

import (
	"context"
	"sync"
	"time"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/internal/authz"
)

// ActorLoader builds the authorization view of a user (the forum service
// does: moderated forums, group memberships). Authenticate caches its
// answer with the principal.
type ActorLoader interface {
	Actor(ctx context.Context, u *ent.User) (authz.Actor, error)
}

// principalCache keeps authenticated principals by token hash for a few
// seconds, so a signed-in request costs no statement for who is asking.
//
// What may change under an entry, and how it leaves the cache:
//   - the token is revoked (sign-out, revocation, password change) through
//     this Service: the user's entries go at once, on this node;
//   - anything else about the user (suspension, silencing, trust level,
//     group memberships, forum moderators), or a revocation on another
//     node: ForgetUser or ForgetAll, called by whoever learns of it (the
//     app wires the domain events of every node to them), and in any case
//     the entry expires after the TTL.
//
// So a change takes effect at once on the node that made it and within the
// TTL everywhere else. Forgetting bumps a generation, so that a lookup that
// read the database before the change cannot store its stale answer after
// it.
type principalCache struct {
	ttl time.Duration
	max int // entries; past it the cache is emptied (a guard, not an LRU)

	mu  sync.Mutex
	gen uint64
	m   map[string]cachedPrincipal
}

type cachedPrincipal struct {
	p     Principal
	until time.Time
}

// principalCacheMax bounds the cache: 100,000 live tokens in one TTL.
const principalCacheMax = 100_000

func newPrincipalCache(ttl time.Duration) *principalCache {
	if ttl <= 0 {
		return nil
	}
	return &principalCache{ttl: ttl, max: principalCacheMax, m: map[string]cachedPrincipal{}}
}

// get returns a copy of the cached principal for hash, if fresh. The copy
// has its own User and Token structs, so a caller may change them.
func (c *principalCache) get(hash string, now time.Time) (Principal, bool) {
	if c == nil {
		return Principal{}, false
	}
	c.mu.Lock()
	e, ok := c.m[hash]
	if ok && !now.Before(e.until) {
		delete(c.m, hash)
		ok = false
	}
	c.mu.Unlock()
	if !ok {
		return Principal{}, false
	}
	return e.p.clone(), true
}

// generation is read before a lookup in the database; put stores its
// answer only if nothing was forgotten meanwhile.
func (c *principalCache) generation() uint64 {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

func (c *principalCache) put(hash string, gen uint64, p Principal, now time.Time) {
	if c == nil {
		return
	}
	p = p.clone()
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if len(c.m) >= c.max {
		clear(c.m)
	}
	c.m[hash] = cachedPrincipal{p: p, until: now.Add(c.ttl)}
}

// forget drops the entries of userID (0: all of them).
func (c *principalCache) forget(userID int) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if userID == 0 {
		clear(c.m)
		return
	}
	for h, e := range c.m {
		if e.p.User.ID == userID {
			delete(c.m, h)
		}
	}
}

// clone copies the structs a caller might change.
func (p Principal) clone() Principal {
	if p.User != nil {
		u := *p.User
		p.User = &u
	}
	if p.Token != nil {
		t := *p.Token
		t.Edges.User = p.User
		p.Token = &t
	}
	if p.Actor != nil {
		a := *p.Actor // its maps are never written after it is built
		p.Actor = &a
	}
	return p
}

// ForgetUser drops what this node has cached about userID's sign-ins: call
// it when something that decides what the user may do has changed
// (suspension, silencing, trust level, role, group memberships).
func (s *Service) ForgetUser(userID int) {
	s.principals.forget(userID)
	s.users.forget(userID)
}

// ForgetAll drops every cached sign-in on this node (say, when a forum's
// moderators change).
func (s *Service) ForgetAll() {
	s.principals.forget(0)
	s.users.forget(0)
}

// ForgetProfiles drops the users' public fields this node cached (ByIDs),
// after a profile changed on any node.
func (s *Service) ForgetProfiles() { s.users.forget(0) }
