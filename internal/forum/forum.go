// Package forum holds the rules of the community core: forums, topics,
// posts, reactions, bookmarks, read tracking and subscriptions. Every change
// others may see records its domain event in the same transaction.
package forum

import (
	"context"
	"errors"
	"fmt"
	"time"

	"entgo.io/ent/dialect/sql"
	"github.com/crn-dev/crn/ent"

	"github.com/crn-dev/crn/ent/forum"
	"github.com/crn-dev/crn/ent/group"
	"github.com/crn-dev/crn/ent/groupmember"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/database"
	"github.com/crn-dev/crn/internal/event"
	"github.com/crn-dev/crn/internal/markup"
)

// Limits bound what users may write. Lengths count characters.
type Limits struct {
	TitleMin, TitleMax int
	BodyMin, BodyMax   int
	TagsMax, TagMax    int
	EditWindow         time.Duration // how long authors may edit their posts; 0 = forever
	PageSize, PageMax  int
}

// DefaultLimits are documented in the README.
var DefaultLimits = Limits{
	TitleMin: 3, TitleMax: 200, BodyMin: 1, BodyMax: 32000, TagsMax: 5, TagMax: 40,
	EditWindow: 24 * time.Hour, PageSize: 20, PageMax: 100,
}

// Renderer turns post Markdown into safe HTML.
type Renderer interface {
	Render(src string) markup.Result
}

// Service implements the forum rules.
type Service struct {
	db       *ent.Client
	postgres bool
	dialect  string // ent's name for the database's dialect
	render   Renderer
	limits   Limits
	notify   func() // wakes the outbox relay after a commit
	now      func() time.Time
	views    *viewCounter
	screener Screener
	forums   forumCache
	topics   topicCache // replies' topic rows (topiccache.go)
}

// Options configure a Service.
type Options struct {
	Limits Limits
	// Committed is called after every transaction that recorded events.
	Committed func()
	Now       func() time.Time
	// Screen checks new topics, replies and edits before they are stored
	// (auto-moderation and rate limits); nil lets everything through.
	Screen Screener
}

// New returns a Service over db.
func New(db *database.DB, r Renderer, opts Options) *Service {
	if opts.Limits == (Limits{}) {
		opts.Limits = DefaultLimits
	}
	if opts.Committed == nil {
		opts.Committed = func() {}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Service{db: db.Client, postgres: db.Dialect == database.Postgres, dialect: db.Dialect.Ent(), render: r, limits: opts.Limits, notify: opts.Committed, now: opts.Now, screener: opts.Screen}
	s.views = newViewCounter(db.Client)
	db.Client.Post.Use(hashBodies)
	return s
}

// Limits returns the limits in force.
func (s *Service) Limits() Limits { return s.limits }

// Actor loads the authorization view of a signed-in user (nil: a guest).
func (s *Service) Actor(ctx context.Context, u *ent.User) (authz.Actor, error) {
	if u == nil {
		return authz.Actor{}, nil
	}
	var moderated []int
	if u.Role == "moderator" {
		ids, err := s.db.Forum.Query().Where(forum.HasModeratorsWith(userIDIs(u.ID))).IDs(ctx)
		if err != nil {
			return authz.Actor{}, apperr.Internal("load actor", err)
		}
		moderated = ids
	}
	roles, forums, err := s.GroupRoles(ctx, u.ID)
	if err != nil {
		return authz.Actor{}, err
	}
	return authz.ActorOf(u, moderated).WithGroups(roles, forums), nil
}

// GroupRoles loads a user's active group memberships (role by group id, live
// groups only) and the forums of the groups they own or moderate.
func (s *Service) GroupRoles(ctx context.Context, userID int) (map[int]string, []int, error) {
	ms, err := s.db.GroupMember.Query().Where(groupmember.UserID(userID), groupmember.StatusEQ(groupmember.StatusActive),
		func(sel *sql.Selector) {
			g := sql.Table(group.Table)
			sel.Where(sql.In(sel.C(groupmember.FieldGroupID), sql.Select(g.C(group.FieldID)).From(g).Where(sql.IsNull(g.C(group.FieldDeletedAt)))))
		}).All(ctx)
	if err != nil {
		return nil, nil, apperr.Internal("load actor groups", err)
	}
	roles := make(map[int]string, len(ms))
	var moderating []int
	for _, m := range ms {
		roles[m.GroupID] = string(m.Role)
		if m.Role != groupmember.RoleMember {
			moderating = append(moderating, m.GroupID)
		}
	}
	var forums []int
	if len(moderating) > 0 {
		if forums, err = s.db.Forum.Query().Where(forum.GroupIDIn(moderating...)).IDs(ctx); err != nil {
			return nil, nil, apperr.Internal("load actor groups", err)
		}
	}
	return roles, forums, nil
}

// tx runs fn in a transaction; the events it returns are recorded last, and
// the relay is woken after commit.
func (s *Service) tx(ctx context.Context, op string, fn func(tx *ent.Tx) ([]event.Event, error)) error {
	return s.txWith(ctx, op, true, fn)
}

// txWith is tx; stampGroups false says fn has set the GroupID of its
// events about group forums already, which saves a query.
func (s *Service) txWith(ctx context.Context, op string, stampGroups bool, fn func(tx *ent.Tx) ([]event.Event, error)) error {
	return s.txRun(ctx, op, stampGroups, false, fn)
}

// txRun is txWith; wrote says fn always changes a row before it returns
// events, so they are recorded with event.RecordAfterWrite.
func (s *Service) txRun(ctx context.Context, op string, stampGroups, wrote bool, fn func(tx *ent.Tx) ([]event.Event, error)) error {
	tx, err := s.db.Tx(ctx)
	if err != nil {
		return apperr.Internal(op, err)
	}
	evs, err := fn(tx)
	if hook := txHookOf(ctx); err == nil && hook != nil {
		err = hook(ctx, tx)
		for i := range evs {
			// Tell consumers the caller has audited this change already.
			if evs[i].Payload == nil {
				evs[i].Payload = map[string]any{}
			}
			evs[i].Payload["audited"] = true
		}
	}
	if err == nil && stampGroups {
		err = groupEvents(ctx, tx, evs)
	}
	if err == nil && wrote {
		err = event.RecordAfterWrite(ctx, tx, evs...)
	} else if err == nil {
		err = event.Record(ctx, tx, s.postgres, evs...)
	}
	if err != nil {
		if rerr := tx.Rollback(); rerr != nil {
			err = errors.Join(err, rerr)
		}
		if apperr.As(err) != nil {
			return err
		}
		return apperr.Internal(op, err)
	}
	if err := tx.Commit(); err != nil {
		return apperr.Internal(op, fmt.Errorf("commit: %w", err))
	}
	s.forgetTopics(evs)
	for _, e := range evs {
		if ChangesForums(e.Type) {
			s.ForgetForums()
			break
		}
	}
	if len(evs) > 0 {
		s.notify()
	}
	return nil
}

// Close flushes buffered view counts.
func (s *Service) Close(ctx context.Context) error { return s.views.flush(ctx) }

// FlushViews writes buffered view counts now (the app calls it periodically).
func (s *Service) FlushViews(ctx context.Context) error { return s.views.flush(ctx) }

func notFound(what string) error { return apperr.NotFound(what+"_not_found", "no such "+what) }
