package account

import (
	"context"
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
// TTL everywhere else (expiring has the mechanism).
type principalCache struct {
	c *expiring[string, Principal] // by token hash
}

// principalCacheMax bounds the cache: 100,000 live tokens in one TTL.
const principalCacheMax = 100_000

func newPrincipalCache(ttl time.Duration) principalCache {
	return principalCache{newExpiring[string, Principal](ttl, principalCacheMax)}
}

// get returns a copy of the cached principal for hash, if fresh. The copy
// has its own User and Token structs, so a caller may change them.
func (pc principalCache) get(hash string, now time.Time) (Principal, bool) {
	p, ok := pc.c.get(hash, now)
	if !ok {
		return Principal{}, false
	}
	return p.clone(), true
}

// generation is read before a lookup in the database (expiring.generation).
func (pc principalCache) generation() uint64 { return pc.c.generation() }

func (pc principalCache) put(hash string, gen uint64, p Principal, now time.Time) {
	pc.c.put(hash, gen, p.clone(), now)
}

// forget drops the entries of userID (0: all of them).
func (pc principalCache) forget(userID int) {
	if userID == 0 {
		pc.c.forget(nil)
		return
	}
	pc.c.forget(func(_ string, p Principal) bool { return p.User.ID == userID })
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
