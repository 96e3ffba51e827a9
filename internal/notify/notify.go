// Package notify turns domain events into persisted notifications: replies,
// mentions, quotes, reactions, new posts in watched topics and forums, and
// accepted answers. It consumes the outbox, so a notification exists only
// for a committed change, and redelivery never notifies anyone twice.
package notify

import (
	"context"
	"time"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/notification"
	"github.com/crn-dev/crn/ent/user"
	"github.com/crn-dev/crn/internal/apperr"
)

// Kinds of notification, most specific first: a user who is both replied to
// and mentioned by one post gets one "reply" notification.
const (
	KindReply    = "reply"
	KindQuote    = "quote"
	KindMention  = "mention"
	KindAccepted = "accepted_answer"
	KindReaction = "reaction"
	KindNewTopic = "new_topic" // a new topic in a watched forum
	KindWatching = "watching"  // a new post in a watched topic or forum
	// Groups: a personal invitation, and the decision on a join request.
	KindGroupInvite   = "group_invite"
	KindGroupApproved = "group_request_approved"
	KindGroupRejected = "group_request_rejected"

	// Moderation notices, from the moderators rather than a person: muting
	// a moderator does not silence them.
	KindPostHidden = "post_hidden" // your post was hidden pending review
	// KindResourceHidden: your shared resource was hidden pending review.
	KindResourceHidden = "resource_hidden"
	KindPostApproved   = "post_approved" // your post held for approval was published
	KindWarning        = "warning"       // a private warning from the moderators
	KindSilenced       = "silenced"      // you may read but not write until ends_at

	// KindFeedbackStatus: a feedback item you wrote, voted for or follow
	// changed status (closing the loop).
	KindFeedbackStatus = "feedback_status"
)

var moderationKinds = map[string]bool{KindPostHidden: true, KindResourceHidden: true, KindPostApproved: true, KindWarning: true, KindSilenced: true}

var rank = map[string]int{KindReply: 1, KindQuote: 2, KindMention: 3, KindAccepted: 4, KindReaction: 5, KindNewTopic: 6, KindWatching: 7,
	KindGroupInvite: 8, KindGroupApproved: 8, KindGroupRejected: 8, KindFeedbackStatus: 8,
	KindPostHidden: 0, KindResourceHidden: 0, KindPostApproved: 0, KindWarning: 0, KindSilenced: 0}

func nz(v int) *int {
	if v == 0 {
		return nil
	}
	return &v
}

// intOf reads a JSON number from a payload (float64 after a round trip, int before).
func intOf(v any) int {
	switch n := v.(type) {
	case float64:
		return int(n)
	case int:
		return n
	case int64:
		return int(n)
	}
	return 0
}

func intsOf(v any) []int {
	switch s := v.(type) {
	case []any:
		out := make([]int, 0, len(s))
		for _, x := range s {
			out = append(out, intOf(x))
		}
		return out
	case []int:
		return s
	}
	return nil
}

// Service reads and marks a user's notifications.
type Service struct {
	db  *ent.Client
	now func() time.Time
}

// NewService returns a Service.
func NewService(db *ent.Client) *Service { return &Service{db: db, now: time.Now} }

// Page is a page of notifications, newest first.
type Page struct {
	Items       []*ent.Notification
	Next        int // pass as before= for the next page; 0 at the end
	UnreadCount int
}

// List returns the user's notifications with ids below before (0: newest).
func (s *Service) List(ctx context.Context, userID, before, limit int, unreadOnly bool) (*Page, error) {
	switch {
	case limit <= 0:
		limit = 20
	case limit > 100:
		limit = 100
	}
	q := s.db.Notification.Query().Where(notification.UserID(userID))
	if before > 0 {
		q = q.Where(notification.IDLT(before))
	}
	if unreadOnly {
		q = q.Where(notification.ReadAtIsNil())
	}
	items, err := q.Order(ent.Desc(notification.FieldID)).Limit(limit + 1).All(ctx)
	if err != nil {
		return nil, apperr.Internal("list notifications", err)
	}
	p := &Page{Items: items}
	if len(items) > limit {
		p.Items = items[:limit]
		p.Next = p.Items[limit-1].ID
	}
	if p.UnreadCount, err = s.UnreadCount(ctx, userID); err != nil {
		return nil, err
	}
	return p, nil
}

// UnreadCount returns the user's count of unread notifications (the
// counter the consumer and markRead keep; see the users schema).
func (s *Service) UnreadCount(ctx context.Context, userID int) (int, error) {
	u, err := s.db.User.Query().Where(user.ID(userID)).Select(user.FieldUnreadNotifications).Only(ctx)
	switch {
	case ent.IsNotFound(err):
		return 0, nil
	case err != nil:
		return 0, apperr.Internal("count notifications", err)
	}
	return u.UnreadNotifications, nil
}

// MarkRead marks the given notifications of the user read, or all of them
// when ids is empty. It returns the unread count after.
func (s *Service) MarkRead(ctx context.Context, userID int, ids []int) (int, error) {
	if len(ids) > 1000 {
		return 0, apperr.Validation(map[string]string{"ids": "at most 1000 at a time"})
	}
	unread, err := s.markRead(ctx, userID, ids, s.now())
	if err != nil {
		return 0, apperr.Internal("mark notifications read", err)
	}
	return unread, nil
}

// markRead sets read_at (now) on the user's unread notifications among ids (all
// when ids is empty) and takes as many off the user's counter, in one
// transaction; it returns the counter after. The notification consumer
// adds to the counter in the transaction that inserts, so the two agree
// whichever commits first.
func (s *Service) markRead(ctx context.Context, userID int, ids []int, now time.Time) (int, error) {
	tx, err := s.db.Tx(ctx)
	if err != nil {
		return 0, err
	}
	defer func() { _ = tx.Rollback() }()
	q := tx.Notification.Update().Where(notification.UserID(userID), notification.ReadAtIsNil())
	if len(ids) > 0 {
		q = q.Where(notification.IDIn(ids...))
	}
	n, err := q.SetReadAt(now).Save(ctx)
	if err != nil {
		return 0, err
	}
	if n > 0 {
		if err := tx.User.Update().Where(user.ID(userID)).AddUnreadNotifications(-n).Exec(ctx); err != nil {
			return 0, err
		}
	}
	u, err := tx.User.Query().Where(user.ID(userID)).Select(user.FieldUnreadNotifications).Only(ctx)
	unread := 0
	switch {
	case err == nil:
		unread = u.UnreadNotifications
	case !ent.IsNotFound(err):
		return 0, err
	}
	return unread, tx.Commit()
}
