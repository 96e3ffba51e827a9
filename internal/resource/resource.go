// Package resource holds the rules of shared resources: files with
// versions, links and Markdown guides, with ratings, bookmarks, download
// counts and a discussion thread. File contents live in a storage.Store as
// content-addressed blobs; every change records its domain event in the same
// transaction.
package resource

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/resource"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/database"
	"github.com/crn-dev/crn/internal/event"
	"github.com/crn-dev/crn/internal/markup"
	"github.com/crn-dev/crn/internal/storage"
)

// Limits bound what users may share. Lengths count characters unless
// they say bytes.
type Limits struct {
	TitleMin, TitleMax int
	DescriptionMax     int
	TagsMax, TagMax    int
	NoteMax            int   // a version's note
	FilenameMax        int   // bytes of a stored file name
	URLMax             int   // bytes of a link
	UploadMax          int64 // bytes of one uploaded file
	PageSize, PageMax  int
	VersionsShown      int // versions listed with a resource, newest first
}

// DefaultLimits are documented in docs/resources.md.
var DefaultLimits = Limits{
	TitleMin: 3, TitleMax: 200, DescriptionMax: 32000, TagsMax: 5, TagMax: 40, NoteMax: 2000,
	FilenameMax: 255, URLMax: 2048, UploadMax: 100 << 20, PageSize: 20, PageMax: 100, VersionsShown: 100,
}

// Renderer turns Markdown into safe HTML (internal/markup, as for posts).
type Renderer interface {
	Render(src string) markup.Result
}

// GroupAccess answers what an actor may do in a group. The group feature
// provides the real one; until it is wired, NoGroups applies.
type GroupAccess interface {
	// CanRead reports whether a may see the group and its resources.
	CanRead(ctx context.Context, a authz.Actor, groupID int) (bool, error)
	// CanContribute reports whether a may share resources into the group.
	CanContribute(ctx context.Context, a authz.Actor, groupID int) (bool, error)
	// Readable returns the groups a may read, for list queries.
	Readable(ctx context.Context, a authz.Actor) (authz.Groups, error)
}

// NoGroups is the GroupAccess of a server without groups: every group is
// closed to everyone but administrators.
type NoGroups struct{}

// CanRead implements GroupAccess.
func (NoGroups) CanRead(_ context.Context, a authz.Actor, _ int) (bool, error) { return a.Admin(), nil }

// CanContribute implements GroupAccess.
func (NoGroups) CanContribute(_ context.Context, a authz.Actor, _ int) (bool, error) {
	return a.Admin(), nil
}

// Readable implements GroupAccess.
func (NoGroups) Readable(_ context.Context, a authz.Actor) (authz.Groups, error) {
	return authz.Groups{All: a.Admin()}, nil
}

// Discussions opens the discussion thread of a resource: a topic in a
// forum. internal/app adapts the forum service to it.
type Discussions interface {
	// Start opens a topic titled title with body as its first post, on
	// behalf of owner, in the resources forum of the given visibility
	// (public or members), and returns the topic's id.
	Start(ctx context.Context, owner authz.Actor, visibility, title, body string) (int, error)
	// Move puts the topic into the resources forum of the new visibility,
	// on behalf of a (who changed the resource).
	Move(ctx context.Context, a authz.Actor, topicID int, visibility string) error
}

// Options configure a Service.
type Options struct {
	Limits      Limits
	Groups      GroupAccess // nil: NoGroups
	Discussions Discussions // nil: resources get no discussion thread
	// Committed is called after every transaction that recorded events.
	Committed func()
	Now       func() time.Time
	Log       *slog.Logger
}

// Service implements the resource rules.
type Service struct {
	db       *ent.Client
	postgres bool
	store    storage.Store
	render   Renderer
	limits   Limits
	groups   GroupAccess
	discuss  Discussions
	notify   func()
	now      func() time.Time
	log      *slog.Logger
}

// New returns a Service over db keeping file contents in store.
func New(db *database.DB, store storage.Store, r Renderer, opts Options) *Service {
	if opts.Limits == (Limits{}) {
		opts.Limits = DefaultLimits
	}
	if opts.Groups == nil {
		opts.Groups = NoGroups{}
	}
	if opts.Committed == nil {
		opts.Committed = func() {}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	return &Service{
		db: db.Client, postgres: db.Dialect == database.Postgres, store: store, render: r, limits: opts.Limits,
		groups: opts.Groups, discuss: opts.Discussions, notify: opts.Committed, now: opts.Now, log: opts.Log,
	}
}

// Limits returns the limits in force.
func (s *Service) Limits() Limits { return s.limits }

// tx runs fn in a transaction; the events it returns are recorded last, and
// the relay is woken after commit.
func (s *Service) tx(ctx context.Context, op string, fn func(tx *ent.Tx) ([]event.Event, error)) error {
	tx, err := s.db.Tx(ctx)
	if err != nil {
		return apperr.Internal(op, err)
	}
	evs, err := fn(tx)
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

// bump updates counters of resource id in one statement. Unlike ent's
// update builders it leaves updated_at alone: a download or a rating does
// not change the resource.
func (s *Service) bump(ctx context.Context, tx *ent.Tx, id int, set func(*sql.UpdateBuilder)) error {
	d := dialect.SQLite
	if s.postgres {
		d = dialect.Postgres
	}
	u := sql.Dialect(d).Update(resource.Table).Where(sql.EQ(resource.FieldID, id))
	set(u)
	q, args := u.Query()
	_, err := tx.ExecContext(ctx, q, args...)
	return err
}

func notFound() error { return apperr.NotFound("resource_not_found", "no such resource") }

// visibility is who may see events about r.
func visibility(r *ent.Resource) string {
	switch {
	case r.GroupID != nil:
		return fmt.Sprintf("group:%d", *r.GroupID)
	case r.Visibility == resource.VisibilityMembers:
		return event.Members
	}
	return event.Public
}

// load returns resource id if the actor may see it, with its owner and tags.
func (s *Service) load(ctx context.Context, a authz.Actor, id int) (*ent.Resource, error) {
	r, err := s.db.Resource.Query().Where(resource.ID(id)).WithOwner().WithTags().Only(ctx)
	if ent.IsNotFound(err) {
		return nil, notFound()
	}
	if err != nil {
		return nil, apperr.Internal("get resource", err)
	}
	if err := s.checkRead(ctx, a, r); err != nil {
		return nil, err
	}
	return r, nil
}

func (s *Service) checkRead(ctx context.Context, a authz.Actor, r *ent.Resource) error {
	groupReadable := false
	if r.GroupID != nil {
		ok, err := s.groups.CanRead(ctx, a, *r.GroupID)
		if err != nil {
			return apperr.Internal("group access", err)
		}
		groupReadable = ok
	}
	if !authz.CanReadResource(a, r, groupReadable) {
		return notFound()
	}
	return nil
}

// forbidden explains a refusal: guests are asked to sign in, silenced
// accounts told so (authz.WriteRefusal).
func forbidden(a authz.Actor, code, msg string) error {
	if err := authz.WriteRefusal(a); err != nil {
		return err
	}
	return apperr.Forbidden(code, msg)
}

// groupOf is the group a resource's events belong to (0: none), so the
// group's feed and realtime channel carry them.
func groupOf(r *ent.Resource) int {
	if r.GroupID == nil {
		return 0
	}
	return *r.GroupID
}
