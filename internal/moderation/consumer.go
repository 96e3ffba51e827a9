package moderation

import (
	"context"
	"fmt"
	"time"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/reviewitem"
	"github.com/crn-dev/crn/internal/event"
)

// Consumer is the outbox consumer of moderation: it queues posts that
// auto-moderation held or flagged, and re-evaluates trust levels when users
// do something that counts towards them, rather than on every request.
type Consumer struct{ S *Service }

// Name implements event.Consumer.
func (Consumer) Name() string { return "moderation" }

// Linger implements event.Lingerer: a batch re-evaluates the trust level
// of every user in it once, so under a stream of posts larger batches
// cost much less; the review queue and promotions wait this long.
func (Consumer) Linger() time.Duration { return 250 * time.Millisecond }

// Handle implements event.Consumer; the relay uses HandleTx.
func (Consumer) Handle(context.Context, []event.Event) error {
	return fmt.Errorf("moderation: use HandleTx")
}

// HandleTx implements event.TxConsumer.
func (c Consumer) HandleTx(ctx context.Context, tx *ent.Tx, evs []event.Event) error {
	s := c.S
	var out []event.Event
	users := map[int]bool{}
	for _, e := range evs {
		if err := s.auditForumEvent(ctx, tx, e); err != nil {
			return fmt.Errorf("moderation: audit %s #%d: %w", e.Type, e.ID, err)
		}
		switch e.Type {
		case event.PostScreened:
			more, err := s.queueScreened(ctx, tx, e)
			if err != nil {
				return fmt.Errorf("moderation %s #%d: %w", e.Type, e.ID, err)
			}
			out = append(out, more...)
		case event.PostCreated, event.TopicRead:
			users[e.ActorID] = true
		case event.ReactionAdded:
			users[e.UserID] = true
		}
	}
	if len(users) > 0 {
		st, err := s.loadWith(ctx, tx.Client())
		if err != nil {
			return err
		}
		for uid := range users {
			if uid == 0 {
				continue
			}
			more, err := s.promote(ctx, tx, st.settings.Trust, uid)
			if err != nil {
				return fmt.Errorf("moderation: trust of user %d: %w", uid, err)
			}
			out = append(out, more...)
		}
	}
	return event.Record(ctx, tx, s.postgres, out...)
}

// queueScreened puts a post auto-moderation held or flagged in the queue.
func (s *Service) queueScreened(ctx context.Context, tx *ent.Tx, e event.Event) ([]event.Event, error) {
	kind := reviewitem.KindAutomod
	if held, _ := e.Payload["held"].(bool); held {
		kind = reviewitem.KindHeld
	}
	tg := &target{Type: TargetPost, ID: e.PostID, ForumID: e.ForumID, AuthorID: e.UserID}
	var reasons []string
	if rs, ok := e.Payload["reasons"].([]any); ok {
		for _, r := range rs {
			if str, ok := r.(string); ok {
				reasons = append(reasons, str)
			}
		}
	}
	if len(reasons) == 0 {
		reasons = []string{"auto-moderation"}
	}
	var item *ent.ReviewItem
	created := false
	for _, r := range reasons {
		it, c, err := s.openItem(ctx, tx, tg, kind, r, 0)
		if err != nil {
			return nil, err
		}
		item, created = it, created || c
	}
	return []event.Event{queueEvent(item, changeOf(created, "screened"))}, nil
}

// Run does moderation's periodic work until ctx ends: lifting expired
// sanctions every minute and re-evaluating trust levels at the configured
// interval. log receives errors; the work is retried at the next tick.
func (s *Service) Run(ctx context.Context, log func(msg string, err error)) {
	tick := time.NewTicker(time.Minute)
	defer tick.Stop()
	var lastTrust time.Time
	for {
		if _, err := s.LiftExpired(ctx); err != nil && ctx.Err() == nil {
			log("lifting expired sanctions", err)
		}
		if c, err := s.load(ctx); err == nil {
			every := time.Duration(c.settings.Trust.IntervalMinutes) * time.Minute
			if time.Since(lastTrust) >= every {
				lastTrust = time.Now()
				if _, err := s.EvaluateTrust(ctx); err != nil && ctx.Err() == nil {
					log("evaluating trust levels", err)
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
