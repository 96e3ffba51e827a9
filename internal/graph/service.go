package graph

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"strings"
	"sync"
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/predicate"
	"github.com/crn-dev/crn/ent/user"
	"github.com/crn-dev/crn/ent/userfollow"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/database"
	"github.com/crn-dev/crn/internal/event"
)

// Groups tells which private groups a user belongs to. The groups feature
// provides it; until then nobody belongs to any.
type Groups interface {
	MemberGroupIDs(ctx context.Context, userID int) ([]int, error)
}

// NoGroups is Groups before groups exist.
type NoGroups struct{}

// MemberGroupIDs implements Groups.
func (NoGroups) MemberGroupIDs(context.Context, int) ([]int, error) { return nil, nil }

// Options configure a Service.
type Options struct {
	Decay   Decay
	Weights Weights
	Limits  Limits
	Groups  Groups
	// Committed is called after every transaction that recorded events.
	Committed func()
	Now       func() time.Time
	// PageSize and PageMax bound follower lists.
	PageSize, PageMax int
	// Community tunes the cache of community detection results.
	Community CommunityOptions
}

// Service is the relationship graph: follows, and queries over the graph.
type Service struct {
	db       *ent.Client
	postgres bool
	opts     Options
	mem      *Memory

	communities communityCache
	// Background work (community detection) runs under bgCtx; Close
	// cancels it and waits.
	bgCtx      context.Context
	stopBG     context.CancelFunc
	background sync.WaitGroup
}

// DefaultHalfLife is how long an interaction takes to count half as much.
const DefaultHalfLife = 90 * 24 * time.Hour

// New returns a Service over db that queries mem.
func New(db *database.DB, mem *Memory, opts Options) *Service {
	if opts.Decay.HalfLife == 0 {
		opts.Decay.HalfLife = DefaultHalfLife
	}
	if opts.Weights == (Weights{}) {
		opts.Weights = DefaultWeights
	}
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
	if opts.PageSize == 0 {
		opts.PageSize, opts.PageMax = 20, 100
	}
	opts.Community.defaults()
	s := &Service{db: db.Client, postgres: db.Dialect == database.Postgres, opts: opts, mem: mem}
	s.communities.seed = maphash.MakeSeed()
	s.bgCtx, s.stopBG = context.WithCancel(context.Background())
	return s
}

// Memory is the in-memory graph the service queries.
func (s *Service) Memory() *Memory { return s.mem }

// Consumer is the outbox consumer that keeps the graph table current.
func (s *Service) Consumer() Consumer { return Consumer{Decay: s.opts.Decay, Limits: s.opts.Limits} }

// Viewer builds what an actor may see of the graph.
func (s *Service) Viewer(ctx context.Context, a authz.Actor) (Viewer, error) {
	v := Viewer{UserID: a.ID, Staff: a.Staff()}
	if a.Guest() {
		return v, nil
	}
	ids, err := s.opts.Groups.MemberGroupIDs(ctx, a.ID)
	if err != nil {
		return v, apperr.Internal("graph viewer", err)
	}
	if len(ids) > 0 {
		v.Groups = make(map[int]bool, len(ids))
		for _, id := range ids {
			v.Groups[id] = true
		}
	}
	return v, nil
}

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
		s.opts.Committed()
	}
	return nil
}

var errNoUser = apperr.NotFound("user_not_found", "no such user")

// userByName finds a user that v may see in the graph: one who opted out
// is visible to themselves only.
func (s *Service) userByName(ctx context.Context, v Viewer, name string) (*ent.User, error) {
	u, err := s.db.User.Query().Where(user.UsernameKey(foldName(name))).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, errNoUser
	}
	if err != nil {
		return nil, apperr.Internal("find user", err)
	}
	if u.GraphOptOut && u.ID != v.UserID {
		return nil, errNoUser
	}
	return u, nil
}

// Follow makes the actor follow (on) or stop following the user named
// username. Doing what is already done changes nothing and records nothing.
func (s *Service) Follow(ctx context.Context, a authz.Actor, username string, on bool) error {
	if err := authz.WriteRefusal(a); err != nil {
		return err
	}
	u, err := s.db.User.Query().Where(user.UsernameKey(foldName(username))).Only(ctx)
	if ent.IsNotFound(err) {
		return errNoUser
	}
	if err != nil {
		return apperr.Internal("follow", err)
	}
	if u.ID == a.ID {
		return apperr.Validation(map[string]string{"username": "you cannot follow yourself"})
	}
	return s.tx(ctx, "follow", func(tx *ent.Tx) ([]event.Event, error) {
		existing, err := tx.UserFollow.Query().Where(userfollow.FollowerID(a.ID), userfollow.FolloweeID(u.ID)).Only(ctx)
		if err != nil && !ent.IsNotFound(err) {
			return nil, err
		}
		typ := event.UserFollowed
		switch {
		case on && existing != nil, !on && existing == nil:
			return nil, nil
		case on:
			err = tx.UserFollow.Create().SetFollowerID(a.ID).SetFolloweeID(u.ID).SetCreatedAt(s.opts.Now()).Exec(ctx)
		default:
			typ = event.UserUnfollowed
			err = tx.UserFollow.DeleteOne(existing).Exec(ctx)
		}
		if err != nil {
			return nil, err
		}
		return []event.Event{{Type: typ, ActorID: a.ID, UserID: u.ID, Visibility: event.Members,
			Payload: map[string]any{"follower": a.ID, "followee_username": u.Username}}}, nil
	})
}

// FollowPage is one page of a follower or following list.
type FollowPage struct {
	Users []*ent.User
	Next  int // cursor of the next page; 0 at the end
}

// Follows lists who follows the user named username (followers=true) or
// whom they follow, newest first. Users who opted out of the graph are left
// out, except for the viewer themselves.
func (s *Service) Follows(ctx context.Context, a authz.Actor, username string, followers bool, cursor, limit int) (FollowPage, error) {
	v := Viewer{UserID: a.ID, Staff: a.Staff()}
	u, err := s.userByName(ctx, v, username)
	if err != nil {
		return FollowPage{}, err
	}
	if limit <= 0 {
		limit = s.opts.PageSize
	}
	if limit > s.opts.PageMax {
		limit = s.opts.PageMax
	}
	q := s.db.UserFollow.Query()
	if followers {
		q = q.Where(userfollow.FolloweeID(u.ID))
	} else {
		q = q.Where(userfollow.FollowerID(u.ID))
	}
	if cursor > 0 {
		q = q.Where(userfollow.IDLT(cursor))
	}
	rows, err := q.Order(ent.Desc(userfollow.FieldID)).Limit(limit + 1).All(ctx)
	if err != nil {
		return FollowPage{}, apperr.Internal("list follows", err)
	}
	var page FollowPage
	if len(rows) > limit {
		rows = rows[:limit]
		page.Next = rows[limit-1].ID
	}
	ids := make([]int, len(rows))
	for i, r := range rows {
		ids[i] = r.FollowerID
		if !followers {
			ids[i] = r.FolloweeID
		}
	}
	users, err := s.db.User.Query().Where(user.IDIn(ids...)).All(ctx)
	if err != nil {
		return FollowPage{}, apperr.Internal("list follows", err)
	}
	byID := make(map[int]*ent.User, len(users))
	for _, x := range users {
		byID[x.ID] = x
	}
	for _, id := range ids {
		if x := byID[id]; x != nil && (!x.GraphOptOut || x.ID == a.ID) {
			page.Users = append(page.Users, x)
		}
	}
	return page, nil
}

// hidden returns the users who opted out of the graph.
func (s *Service) hidden(ctx context.Context) (map[int]bool, error) {
	ids, err := s.db.User.Query().Where(optedOut()).IDs(ctx)
	if err != nil {
		return nil, apperr.Internal("graph opt-outs", err)
	}
	out := make(map[int]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// optedOut selects the users who opted out. It is spelled "IN (true)"
// because ent writes "= true" as the bare column, which SQLite answers by
// scanning the whole index (4 ms at 100,000 users) rather than seeking it.
func optedOut() predicate.User {
	return func(s *sql.Selector) { s.Where(sql.In(s.C(user.FieldGraphOptOut), true)) }
}

// users loads the id, username and display name of users by id.
func (s *Service) users(ctx context.Context, ids []int) (map[int]*ent.User, error) {
	out := make(map[int]*ent.User, len(ids))
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), 1000)]
		ids = ids[len(chunk):]
		us, err := s.db.User.Query().Where(user.IDIn(chunk...)).
			Select(user.FieldID, user.FieldUsername, user.FieldDisplayName).All(ctx)
		if err != nil {
			return nil, apperr.Internal("load users", err)
		}
		for _, u := range us {
			out[u.ID] = u
		}
	}
	return out, nil
}

// foldName is the case-folded username that carries uniqueness.
func foldName(s string) string { return strings.ToLower(s) }

func itoa(n int) string { return fmt.Sprint(n) }

// Following reports whether followerID follows followeeID.
func (s *Service) Following(ctx context.Context, followerID, followeeID int) (bool, error) {
	n, err := s.db.UserFollow.Query().Where(userfollow.FollowerID(followerID), userfollow.FolloweeID(followeeID)).Count(ctx)
	if err != nil {
		return false, apperr.Internal("following", err)
	}
	return n > 0, nil
}
