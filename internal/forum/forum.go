// Package forum holds the rules of the community core: forums, topics,
// posts, reactions, bookmarks, read tracking and subscriptions. Every change
// others may see records its domain event in the same transaction.
package forum

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/forum"
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
	render   Renderer
	limits   Limits
	notify   func() // wakes the outbox relay after a commit
	now      func() time.Time
	views    *viewCounter
	screener Screener
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
	s := &Service{db: db.Client, postgres: db.Dialect == database.Postgres, render: r, limits: opts.Limits, notify: opts.Committed, now: opts.Now, screener: opts.Screen}
	s.views = newViewCounter(db.Client)
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
	return authz.ActorOf(u, moderated), nil
}

// tx runs fn in a transaction; the events it returns are recorded last, and
// the relay is woken after commit.
func (s *Service) tx(ctx context.Context, op string, fn func(tx *ent.Tx) ([]event.Event, error)) error {
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
	if err == nil {
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
