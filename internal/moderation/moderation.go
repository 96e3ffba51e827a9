// Package moderation keeps the community healthy: member flags weighted by
// trust, the review queue, moderators' actions on posts, topics and users,
// sanctions, auto-moderation rules screening what members write, trust
// levels, and the append-only audit log from which every action can be
// reverted. Nothing a moderator does destroys data. See docs/moderation.md.
package moderation

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/forum"
	"github.com/crn-dev/crn/ent/predicate"
	"github.com/crn-dev/crn/ent/topic"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/database"
	"github.com/crn-dev/crn/internal/event"
	"github.com/crn-dev/crn/internal/ratelimit"
)

// Posts is what moderation needs from the forum service for actions the
// forum owns (revisions, counters, the events consumers rely on). ctx
// carries moderation's audit hook into the forum's transaction.
type Posts interface {
	EditPost(ctx context.Context, a authz.Actor, postID int, body string) (*ent.Post, error)
	DeletePost(ctx context.Context, a authz.Actor, postID int) error
	RestorePost(ctx context.Context, a authz.Actor, postID int) (*ent.Post, error)
	PublishPost(ctx context.Context, a authz.Actor, postID int) (*ent.Post, error)
}

// Resources lets moderation act on shared resources, which their own
// service owns (internal/resource); until one is wired, flags on resources
// are refused.
type Resources interface {
	// ModerationTarget returns a resource the actor may see, or an apperr
	// NotFound.
	ModerationTarget(ctx context.Context, a authz.Actor, id int) (*ent.Resource, error)
	// SetHidden hides or shows a resource pending review in tx, moderation's
	// transaction, and returns the events to record with it (none when it
	// is already so). actorID is 0 for the system.
	SetHidden(ctx context.Context, tx *ent.Tx, actorID, id int, hidden bool, reason string) ([]event.Event, error)
}

// Options configure a Service.
type Options struct {
	// Committed is called after every transaction that recorded events.
	Committed func()
	Now       func() time.Time
	// Resources is the shared-resources service; nil until it exists.
	Resources Resources
	// DisconnectUser closes a suspended user's sockets on this node at once
	// (other nodes do so when the user.suspended event reaches them).
	DisconnectUser func(userID int)
	// UserChanged is called after a commit that changed what userID may do
	// (silenced, suspended, their trust level), so that caches of who may
	// do what on this node can drop the user at once.
	UserChanged func(userID int)
	// RateBuckets count members' posts and topics against the rate limits;
	// nil keeps them in process memory, which is right for a single node.
	// Nodes that share a database share ratelimit.RedisBuckets.
	RateBuckets ratelimit.Buckets
}

// Service implements moderation.
type Service struct {
	db        *ent.Client
	postgres  bool
	posts     Posts
	resources Resources
	notify    func()
	now       func() time.Time
	kick      func(int)
	changed   func(int) // Options.UserChanged
	buckets   ratelimit.Buckets

	mu          sync.Mutex
	compiled    *compiledSettings // cache of the rules, keyed by the row's update time
	checkedAt   time.Time         // when compiled was last found current
	settingsGen int               // changes committed through this Service
}

// New returns a Service over db. It installs a hook on db that refuses to
// update or delete audit entries, so the log is append-only whatever code
// holds the client.
func New(db *database.DB, posts Posts, opts Options) *Service {
	if opts.Committed == nil {
		opts.Committed = func() {}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.DisconnectUser == nil {
		opts.DisconnectUser = func(int) {}
	}
	if opts.UserChanged == nil {
		opts.UserChanged = func(int) {}
	}
	if opts.RateBuckets == nil {
		opts.RateBuckets = ratelimit.NewMemoryBuckets(opts.Now)
	}
	db.Client.AuditEntry.Use(appendOnly)
	return &Service{db: db.Client, postgres: db.Dialect == database.Postgres, posts: posts, resources: opts.Resources,
		notify: opts.Committed, now: opts.Now, kick: opts.DisconnectUser, changed: opts.UserChanged, buckets: opts.RateBuckets}
}

// ErrAuditImmutable is returned for any attempt to change the audit log.
var ErrAuditImmutable = errors.New("the audit log is append-only")

func appendOnly(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		if !m.Op().Is(ent.OpCreate) {
			return nil, ErrAuditImmutable
		}
		return next.Mutate(ctx, m)
	})
}

// tx runs fn in a transaction; the events it returns are recorded last and
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
		if database.IsUnique(err) {
			return apperr.Conflict("conflict", "this was changed at the same time; try again").WithCause(err)
		}
		return apperr.Internal(op, err)
	}
	if err := tx.Commit(); err != nil {
		return apperr.Internal(op, fmt.Errorf("commit: %w", err))
	}
	if len(evs) > 0 {
		s.notify()
	}
	for _, e := range evs {
		switch e.Type {
		case event.AutomodUpdated:
			s.dropSettings()
		case event.UserSilenced, event.UserUnsilenced, event.UserSuspended, event.UserUnsuspended, event.UserTrustChanged:
			s.changed(e.UserID)
		}
	}
	return nil
}

// Actions recorded in the audit log.
const (
	ActPostHide       = "post.hide"
	ActPostUnhide     = "post.unhide"
	ActPostApprove    = "post.approve"
	ActPostDelete     = "post.delete"
	ActPostRestore    = "post.restore"
	ActPostEdit       = "post.edit"
	ActResourceHide   = "resource.hide"
	ActResourceUnhide = "resource.unhide"
	ActTopicLock      = "topic.lock"
	ActTopicUnlock    = "topic.unlock"
	ActTopicPin       = "topic.pin"
	ActTopicUnpin     = "topic.unpin"
	ActTopicMove      = "topic.move"
	ActTopicMerge     = "topic.merge"
	ActTopicUnmerge   = "topic.unmerge"
	ActTopicSplit     = "topic.split"
	ActTopicUnsplit   = "topic.unsplit"
	ActUserWarn       = "user.warn"
	ActUserSilence    = "user.silence"
	ActUserUnsilence  = "user.unsilence"
	ActUserSuspend    = "user.suspend"
	ActUserUnsuspend  = "user.unsuspend"
	ActUserTrust      = "user.trust_level"
	ActFlagsDismiss   = "flags.dismiss"
	ActQueueAssign    = "queue.assign"
	ActQueueNote      = "queue.note"
	ActSettingsUpdate = "automod.update"
	ActForumAdmin     = "forum.admin" // forum changes made outside this service, recorded from their events
	ActModeratorEvent = "moderator.action"
)

// entry is an audit record about to be appended.
type entry struct {
	actor      int // 0: the system
	action     string
	targetType string
	targetID   int
	forumID    int
	groupID    int // 0: the group of forumID, if any
	reason     string
	before     map[string]any
	after      map[string]any
	reverts    int
	at         time.Time // zero: now
}

// appendAudit writes e in tx and returns its id.
func (s *Service) appendAudit(ctx context.Context, tx *ent.Tx, e entry) (int, error) {
	at := e.at
	if at.IsZero() {
		at = s.now()
	}
	c := tx.AuditEntry.Create().SetAction(e.action).SetTargetType(e.targetType).
		SetReason(truncate(e.reason, 4000)).SetCreatedAt(at)
	if e.actor != 0 {
		c.SetActorID(e.actor)
	}
	if e.targetID != 0 {
		c.SetTargetID(e.targetID)
	}
	if e.forumID != 0 {
		c.SetForumID(e.forumID)
	}
	if e.groupID == 0 && e.forumID != 0 {
		g, err := groupOfForum(ctx, tx, e.forumID)
		if err != nil {
			return 0, fmt.Errorf("audit: %w", err)
		}
		e.groupID = g
	}
	if e.groupID != 0 {
		c.SetGroupID(e.groupID)
	}
	if e.before != nil {
		c.SetBefore(e.before)
	}
	if e.after != nil {
		c.SetAfter(e.after)
	}
	if e.reverts != 0 {
		c.SetRevertsID(e.reverts)
	}
	row, err := c.Save(ctx)
	if err != nil {
		return 0, fmt.Errorf("audit: %w", err)
	}
	return row.ID, nil
}

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

func notFound(what string) error { return apperr.NotFound(what+"_not_found", "no such "+what) }

func forbidden(msg string) error { return apperr.Forbidden("forbidden", msg) }

// requireActor refuses guests (401) and those who are not allowed (403).
func requireActor(a authz.Actor, allowed bool, msg string) error {
	if a.Guest() {
		return apperr.Unauthenticated("unauthenticated", "sign in first")
	}
	if !allowed {
		return forbidden(msg)
	}
	return nil
}

func topicIs(id int) predicate.Topic { return topic.ID(id) }

// groupOfForum returns the group forumID belongs to (0: none, or no such
// forum), read in tx.
func groupOfForum(ctx context.Context, tx *ent.Tx, forumID int) (int, error) {
	f, err := tx.Forum.Query().Where(forum.ID(forumID)).Select(forum.FieldGroupID).Only(ctx)
	if ent.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if f.GroupID == nil {
		return 0, nil
	}
	return *f.GroupID, nil
}
