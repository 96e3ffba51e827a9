package moderation

import (
	"context"
	stdsql "database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/post"
	"github.com/crn-dev/crn/ent/sanction"
	"github.com/crn-dev/crn/ent/topicuser"
	"github.com/crn-dev/crn/ent/user"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/event"
)

// SetTrustLevel sets a user's trust level by hand and locks it (or
// unlocks it, handing it back to automatic promotion).
func (s *Service) SetTrustLevel(ctx context.Context, a authz.Actor, username string, level int, locked bool, reason string) (*ent.User, error) {
	return s.setTrust(ctx, a, username, level, locked, reason, 0)
}

func (s *Service) setTrust(ctx context.Context, a authz.Actor, username string, level int, locked bool, reason string, reverts int) (*ent.User, error) {
	reason, err := checkReason(reason)
	if err != nil {
		return nil, err
	}
	if level < 0 || level > 4 {
		return nil, apperr.Validation(map[string]string{"level": "must be 0 to 4"})
	}
	if a.Guest() {
		return nil, apperr.Unauthenticated("unauthenticated", "sign in first")
	}
	if !authz.CanModerateUsers(a) {
		return nil, forbidden("only moderators set trust levels")
	}
	u, err := s.db.User.Query().Where(user.UsernameKey(strings.ToLower(username))).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, notFound("user")
	}
	if err != nil {
		return nil, apperr.Internal("load user", err)
	}
	if u.TrustLevel == level && u.TrustLevelLocked == locked {
		return u, nil
	}
	err = s.tx(ctx, ActUserTrust, func(tx *ent.Tx) ([]event.Event, error) {
		if err := tx.User.UpdateOneID(u.ID).SetTrustLevel(level).SetTrustLevelLocked(locked).Exec(ctx); err != nil {
			return nil, err
		}
		id, err := s.appendAudit(ctx, tx, entry{actor: a.ID, action: ActUserTrust, targetType: TargetUser, targetID: u.ID, reason: reason,
			before: map[string]any{"level": u.TrustLevel, "locked": u.TrustLevelLocked}, after: map[string]any{"level": level, "locked": locked}, reverts: reverts})
		if err != nil {
			return nil, err
		}
		return []event.Event{trustEvent(a.ID, u.ID, u.TrustLevel, level, id)}, nil
	})
	if err != nil {
		return nil, err
	}
	return s.db.User.Get(ctx, u.ID)
}

func trustEvent(actorID, userID, from, to, auditID int) event.Event {
	return event.Event{Type: event.UserTrustChanged, ActorID: actorID, UserID: userID, Visibility: event.Public,
		Payload: map[string]any{"from": from, "to": to, "audit_id": auditID}}
}

// Activity is what trust promotion looks at.
type Activity struct {
	DaysVisited       int
	TopicsEntered     int
	PostsRead         int
	RepliesPosted     int
	ReactionsReceived int
	LastSanction      *time.Time
}

func activity(ctx context.Context, c *ent.Client, u *ent.User) (Activity, error) {
	act := Activity{DaysVisited: u.DaysVisited}
	var err error
	if act.TopicsEntered, err = c.TopicUser.Query().Where(topicuser.UserID(u.ID)).Count(ctx); err != nil {
		return act, err
	}
	var sums []struct {
		Sum stdsql.NullInt64 `json:"sum"`
	}
	if err = c.TopicUser.Query().Where(topicuser.UserID(u.ID)).Aggregate(ent.Sum(topicuser.FieldLastReadPostNumber)).Scan(ctx, &sums); err != nil {
		return act, err
	}
	if len(sums) > 0 {
		act.PostsRead = int(sums[0].Sum.Int64)
	}
	if act.RepliesPosted, err = c.Post.Query().Where(post.UserID(u.ID), post.PostNumberGT(1), post.DeletedAtIsNil(), post.Pending(false)).Count(ctx); err != nil {
		return act, err
	}
	sums = nil
	if err = c.Post.Query().Where(post.UserID(u.ID), post.DeletedAtIsNil()).Aggregate(ent.Sum(post.FieldReactionCount)).Scan(ctx, &sums); err != nil {
		return act, err
	}
	if len(sums) > 0 {
		act.ReactionsReceived = int(sums[0].Sum.Int64)
	}
	last, err := c.Sanction.Query().Where(sanction.UserID(u.ID)).Order(ent.Desc(sanction.FieldCreatedAt)).First(ctx)
	if err != nil && !ent.IsNotFound(err) {
		return act, err
	}
	if last != nil {
		act.LastSanction = &last.CreatedAt
	}
	return act, nil
}

// earned is the highest level whose requirements act meets.
func earned(st TrustSettings, act Activity, now time.Time) int {
	level := 0
	for i, r := range st.Levels {
		ok := act.DaysVisited >= r.DaysVisited && act.TopicsEntered >= r.TopicsEntered && act.PostsRead >= r.PostsRead &&
			act.RepliesPosted >= r.RepliesPosted && act.ReactionsReceived >= r.ReactionsReceived
		if r.SanctionFreeDays > 0 && act.LastSanction != nil && now.Sub(*act.LastSanction) < time.Duration(r.SanctionFreeDays)*24*time.Hour {
			ok = false
		}
		if !ok {
			break
		}
		level = i + 1
	}
	return level
}

// promote raises a user's level to what they earned, using c (a client or
// a transaction's client) and writing the audit entry with tx. It never
// demotes and leaves locked levels alone. It returns the event to record.
func (s *Service) promote(ctx context.Context, tx *ent.Tx, st TrustSettings, userID int) ([]event.Event, error) {
	c := tx.Client()
	u, err := c.User.Get(ctx, userID)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if u.TrustLevelLocked || u.TrustLevel >= 4 || u.Status != user.StatusActive {
		return nil, nil
	}
	// Promotion needs the next level's requirements met; the days visited
	// are on the user's row, so most checks end here without counting the
	// user's posts and reads.
	if u.TrustLevel >= len(st.Levels) || u.DaysVisited < st.Levels[u.TrustLevel].DaysVisited {
		return nil, nil
	}
	act, err := activity(ctx, c, u)
	if err != nil {
		return nil, err
	}
	to := earned(st, act, s.now())
	if to <= u.TrustLevel {
		return nil, nil
	}
	n, err := c.User.Update().Where(user.ID(u.ID), user.TrustLevel(u.TrustLevel), user.TrustLevelLocked(false)).SetTrustLevel(to).Save(ctx)
	if err != nil || n == 0 {
		return nil, err
	}
	id, err := s.appendAudit(ctx, tx, entry{action: ActUserTrust, targetType: TargetUser, targetID: u.ID, reason: "automatic promotion",
		before: map[string]any{"level": u.TrustLevel, "locked": false}, after: map[string]any{"level": to, "locked": false}})
	if err != nil {
		return nil, err
	}
	return []event.Event{trustEvent(0, u.ID, u.TrustLevel, to, id)}, nil
}

// EvaluateTrust promotes every active, unlocked user below level 4 who
// earned it, in batches; the background job runs it periodically.
func (s *Service) EvaluateTrust(ctx context.Context) (int, error) {
	c, err := s.load(ctx)
	if err != nil {
		return 0, err
	}
	promoted, after := 0, 0
	for {
		ids, err := s.db.User.Query().Where(user.IDGT(after), user.TrustLevelLT(4), user.TrustLevelLocked(false), user.StatusEQ(user.StatusActive)).
			Order(ent.Asc(user.FieldID)).Limit(200).IDs(ctx)
		if err != nil {
			return promoted, apperr.Internal("evaluate trust", err)
		}
		if len(ids) == 0 {
			return promoted, nil
		}
		for _, id := range ids {
			var got bool
			err := s.tx(ctx, "evaluate trust", func(tx *ent.Tx) ([]event.Event, error) {
				evs, err := s.promote(ctx, tx, c.settings.Trust, id)
				got = len(evs) > 0
				return evs, err
			})
			if err != nil {
				return promoted, fmt.Errorf("evaluate trust of user %d: %w", id, err)
			}
			if got {
				promoted++
			}
		}
		after = ids[len(ids)-1]
	}
}
