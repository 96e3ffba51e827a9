package forum

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/forum"
	"github.com/crn-dev/crn/internal/event"
)

// forumTTL bounds how long a node trusts a forum row it read: changes made
// through this node's forum service drop the cache at once, changes
// anywhere drop it when their event reaches the node (App wires
// ForgetForums to the hub), and this bounds the rest.
const forumTTL = 2 * time.Second

// forumCache keeps forum rows for the topic reads and writes that need
// one: a handful of rows that change rarely, which every topic page and
// every reply read (a query of its own, 6-12 % of a post's CPU on
// PostgreSQL). A group forum's group is read fresh every time (group
// settings change in another service, and who may read its forums follows
// them at once). Cached forums are shared: nobody may modify one.
type forumCache struct {
	mu  sync.Mutex
	m   map[int]cachedForum
	gen uint64 // bumped by forget, so a read that raced it is not stored
}

type cachedForum struct {
	f  *ent.Forum
	at time.Time
}

// forumOf returns forum id with its group loaded: the row from the cache
// when fresh, the group (if any) from the database.
func (s *Service) forumOf(ctx context.Context, id int) (*ent.Forum, error) {
	c := &s.forums
	c.mu.Lock()
	e, ok := c.m[id]
	gen := c.gen
	c.mu.Unlock()
	f := e.f
	if !ok || time.Since(e.at) >= forumTTL {
		var err error
		if f, err = s.db.Forum.Query().Where(forum.ID(id)).Only(ctx); err != nil {
			return nil, err
		}
		c.mu.Lock()
		if c.gen == gen {
			if c.m == nil {
				c.m = map[int]cachedForum{}
			}
			c.m[id] = cachedForum{f: f, at: time.Now()}
		}
		c.mu.Unlock()
	}
	if f.GroupID == nil {
		return f, nil
	}
	g, err := s.db.Group.Get(ctx, *f.GroupID)
	if err != nil && !ent.IsNotFound(err) {
		return nil, err
	}
	withGroup := *f // a copy: the cached row stays as read
	withGroup.Edges.Group = g
	if g != nil && g.DeletedAt != nil && withGroup.DeletedAt == nil {
		withGroup.DeletedAt = g.DeletedAt // deleting a group deletes its forums
	}
	return &withGroup, nil
}

// ForgetForums drops every cached forum; the app calls it when an event
// about a forum or a group reaches this node.
func (s *Service) ForgetForums() {
	c := &s.forums
	c.mu.Lock()
	c.m = nil
	c.gen++
	c.mu.Unlock()
}

// ChangesForums reports whether an event may change a forum row as topic
// reads and writes see it: the events after which ForgetForums must run.
// (Deleting a group deletes its forums with it.)
func ChangesForums(t event.Type) bool {
	if t == event.ForumCountsUpdated {
		return false
	}
	return strings.HasPrefix(string(t), "forum.") || t == event.GroupDeleted
}
