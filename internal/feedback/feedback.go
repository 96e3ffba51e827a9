// Package feedback is feedback boards and feedback mining: items (topics in
// a board of kind feedback) with a type, a status whose changes carry an
// official response, votes that snapshot the voter's CRM attributes, merging
// of duplicates that moves votes and can be undone, internal notes for
// staff, satisfaction scores once an item is closed, and insights for
// product teams (weighted demand, trends, times to status, CSAT, themes).
//
// The feedback data lives in its own tables keyed by topic id; comments are
// the topic's posts. Every change records its event in the same transaction.
package feedback

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/database"
	"github.com/crn-dev/crn/internal/discovery"
	"github.com/crn-dev/crn/internal/event"
	"github.com/crn-dev/crn/internal/forum"
)

// Topics is what the feedback service needs of the forum service: opening
// an item's topic (with the item attached in the same transaction) and the
// forum's rules for tags, which areas are.
type Topics interface {
	CreateTopic(ctx context.Context, a authz.Actor, forumID int, in forum.TopicInput) (*forum.TopicView, *ent.Post, error)
	NormalizeTags(field string, in []string) ([]string, error)
}

// Searcher finds feedback items by text; discovery.Service implements it.
type Searcher interface {
	Search(ctx context.Context, a authz.Actor, p discovery.Params) (*discovery.Page, error)
}

// Limits bound what users may write, in characters.
type Limits struct {
	ResponseMax int // official response at a status change
	NoteMax     int // internal note
	CommentMax  int // CSAT comment
	VoteNoteMax int // note on a vote recorded on a customer's behalf
	EstimateMax int
	PageSize    int
	PageMax     int
	SimilarMax  int // most similar items returned
	// InsightItemsMax bounds the items an insights request reads; a larger
	// selection is refused with a hint to narrow it.
	InsightItemsMax int
}

// DefaultLimits are documented in docs/feedback.md.
var DefaultLimits = Limits{
	ResponseMax: 10000, NoteMax: 10000, CommentMax: 2000, VoteNoteMax: 1000, EstimateMax: 40,
	PageSize: 20, PageMax: 100, SimilarMax: 10, InsightItemsMax: 20000,
}

// DefaultPlanWeights weight votes by the voter's plan when no other weights
// are configured (CRN_FEEDBACK_PLAN_WEIGHTS). Unknown or missing plans weigh 1.
var DefaultPlanWeights = map[string]float64{"free": 1, "starter": 2, "pro": 5, "business": 10, "enterprise": 20}

// Options configure a Service.
type Options struct {
	Limits Limits
	// Committed is called after every transaction that recorded events.
	Committed func()
	Now       func() time.Time
	// PlanWeights map a plan (the "plan" CRM attribute) to its weight.
	PlanWeights map[string]float64
	// Search backs Similar; nil uses the SQL fallback.
	Search Searcher
}

// Service implements the feedback rules.
type Service struct {
	db       *ent.Client
	postgres bool
	topics   Topics
	search   Searcher
	limits   Limits
	weights  map[string]float64
	notify   func()
	now      func() time.Time
}

// New returns a Service over db that opens topics through topics.
func New(db *database.DB, topics Topics, opts Options) *Service {
	if opts.Limits == (Limits{}) {
		opts.Limits = DefaultLimits
	}
	if opts.Committed == nil {
		opts.Committed = func() {}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.PlanWeights == nil {
		opts.PlanWeights = DefaultPlanWeights
	}
	return &Service{
		db: db.Client, postgres: db.Dialect == database.Postgres, topics: topics, search: opts.Search,
		limits: opts.Limits, weights: opts.PlanWeights, notify: opts.Committed, now: opts.Now,
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

func notFound() error { return apperr.NotFound("feedback_not_found", "no such feedback item") }

func signInFirst() error { return apperr.Unauthenticated("unauthenticated", "sign in first") }
