// Package notify turns domain events into persisted notifications: replies,
// mentions, quotes, reactions, new posts in watched topics and forums, and
// accepted answers. It consumes the outbox, so a notification exists only
// for a committed change, and redelivery never notifies anyone twice.
package notify

import (
	"context"
	"fmt"
	"time"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/feedbackvote"
	"github.com/crn-dev/crn/ent/forum"
	"github.com/crn-dev/crn/ent/forumsubscription"
	"github.com/crn-dev/crn/ent/groupmember"
	"github.com/crn-dev/crn/ent/notification"
	"github.com/crn-dev/crn/ent/topicuser"
	"github.com/crn-dev/crn/ent/user"
	"github.com/crn-dev/crn/ent/usermute"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/event"
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

// Consumer is the outbox consumer that writes notifications. For each one
// it records a notification.created event in the same transaction, which
// the realtime publisher pushes to the recipient's user channel.
type Consumer struct {
	Postgres bool // the database dialect, for event.Record
}

// Name implements event.Consumer.
func (Consumer) Name() string { return "notifications" }

// Handle implements event.Consumer; the relay uses HandleTx.
func (Consumer) Handle(context.Context, []event.Event) error {
	return fmt.Errorf("notifications: use HandleTx")
}

// HandleTx implements event.TxConsumer.
func (c Consumer) HandleTx(ctx context.Context, tx *ent.Tx, evs []event.Event) error {
	for _, e := range evs {
		if err := c.handle(ctx, tx, e); err != nil {
			return fmt.Errorf("notify %s #%d: %w", e.Type, e.ID, err)
		}
	}
	return nil
}

func (c Consumer) handle(ctx context.Context, tx *ent.Tx, e event.Event) error {
	want := map[int]string{} // recipient -> kind
	add := func(uid int, kind string) {
		if uid == 0 || uid == e.ActorID {
			return
		}
		if cur, ok := want[uid]; !ok || rank[kind] < rank[cur] {
			want[uid] = kind
		}
	}
	switch e.Type {
	case event.PostCreated:
		number := intOf(e.Payload["post_number"])
		if number > 1 {
			add(intOf(e.Payload["reply_to_user_id"]), KindReply)
		}
		for _, id := range intsOf(e.Payload["quoted_user_ids"]) {
			add(id, KindQuote)
		}
		for _, id := range intsOf(e.Payload["mentioned_user_ids"]) {
			add(id, KindMention)
		}
		watchers, err := c.watchers(ctx, tx, e, number == 1)
		if err != nil {
			return err
		}
		for uid, kind := range watchers {
			add(uid, kind)
		}
	case event.ReactionAdded:
		add(intOf(e.Payload["post_author_id"]), KindReaction)
	case event.TopicAccepted:
		add(intOf(e.Payload["answerer_id"]), KindAccepted)
	case event.GroupInviteCreated:
		add(e.UserID, KindGroupInvite) // personal invites only: links name no one
	case event.GroupRequestApproved:
		add(e.UserID, KindGroupApproved)
	case event.GroupRequestRejected:
		add(e.UserID, KindGroupRejected)
	case event.PostHidden:
		add(e.UserID, KindPostHidden)
	case event.ResourceHidden:
		add(e.UserID, KindResourceHidden)
	case event.PostApproved:
		add(e.UserID, KindPostApproved)
	case event.UserWarned:
		add(e.UserID, KindWarning)
	case event.UserSilenced:
		add(e.UserID, KindSilenced)
	case event.FeedbackStatusChanged:
		audience, err := feedbackAudience(ctx, tx, e.TopicID)
		if err != nil {
			return err
		}
		for _, uid := range audience {
			add(uid, KindFeedbackStatus)
		}
	default:
		return nil
	}
	if len(want) == 0 {
		return nil
	}
	ids := make([]int, 0, len(want))
	for uid := range want {
		ids = append(ids, uid)
	}
	filter := e
	for _, k := range want {
		if moderationKinds[k] {
			filter.ActorID = 0 // nobody mutes the moderators' notices
		}
	}
	allowed, err := c.allowed(ctx, tx, filter, ids)
	if err != nil {
		return err
	}
	var creates []*ent.NotificationCreate
	data := map[string]any{}
	for _, k := range []string{"topic_title", "excerpt", "post_number", "kind", "slug", "reason", "ends_at", "status", "from_status", "duplicate_of", "resource_id", "title"} {
		if v, ok := e.Payload[k]; ok {
			data[k] = v
		}
	}
	for _, uid := range ids {
		if !allowed[uid] {
			continue
		}
		creates = append(creates, tx.Notification.Create().SetUserID(uid).SetKind(want[uid]).
			SetNillableActorID(nz(e.ActorID)).SetNillableTopicID(nz(e.TopicID)).SetNillablePostID(nz(e.PostID)).
			SetEventID(e.ID).SetData(data).SetCreatedAt(e.CreatedAt))
	}
	if len(creates) == 0 {
		return nil
	}
	// (user_id, event_id) is unique: a redelivered event adds nothing.
	if err := tx.Notification.CreateBulk(creates...).
		OnConflictColumns(notification.FieldUserID, notification.FieldEventID).Ignore().Exec(ctx); err != nil {
		return err
	}
	made, err := tx.Notification.Query().Where(notification.EventID(e.ID), notification.UserIDIn(ids...)).All(ctx)
	if err != nil {
		return err
	}
	evs := make([]event.Event, 0, len(made))
	for _, n := range made {
		unread, err := tx.Notification.Query().Where(notification.UserID(n.UserID), notification.ReadAtIsNil()).Count(ctx)
		if err != nil {
			return err
		}
		evs = append(evs, event.Event{
			Type: event.NotificationCreated, ActorID: e.ActorID, TopicID: e.TopicID, PostID: e.PostID, UserID: n.UserID,
			Visibility: event.UserOnly(n.UserID),
			Payload: map[string]any{
				"notification_id": n.ID, "kind": n.Kind, "data": n.Data, "unread_count": unread,
			},
		})
	}
	return event.Record(ctx, tx, c.Postgres, evs...)
}

// feedbackAudience is who hears of a feedback item's status change: its
// author, everyone whose vote was cast on it or counts for it, and the
// topic's followers (watching or tracking).
func feedbackAudience(ctx context.Context, tx *ent.Tx, itemID int) ([]int, error) {
	var out []int
	t, err := tx.Topic.Get(ctx, itemID)
	if err != nil && !ent.IsNotFound(err) {
		return nil, err
	}
	if t != nil {
		out = append(out, t.UserID)
	}
	voters, err := tx.FeedbackVote.Query().Where(feedbackvote.Or(feedbackvote.ItemID(itemID), feedbackvote.OriginItemID(itemID))).
		Select(feedbackvote.FieldUserID).Ints(ctx)
	if err != nil {
		return nil, err
	}
	out = append(out, voters...)
	followers, err := tx.TopicUser.Query().Where(topicuser.TopicID(itemID), topicuser.LevelIn(topicuser.LevelWatching, topicuser.LevelTracking)).
		Select(topicuser.FieldUserID).Ints(ctx)
	if err != nil {
		return nil, err
	}
	return append(out, followers...), nil
}

// watchers returns users watching the topic, and users watching the forum
// (unless they set the topic itself to something else).
func (Consumer) watchers(ctx context.Context, tx *ent.Tx, e event.Event, newTopic bool) (map[int]string, error) {
	out := map[int]string{}
	tus, err := tx.TopicUser.Query().Where(topicuser.TopicID(e.TopicID)).All(ctx)
	if err != nil {
		return nil, err
	}
	topicLevel := map[int]topicuser.Level{}
	for _, tu := range tus {
		topicLevel[tu.UserID] = tu.Level
		if tu.Level == topicuser.LevelWatching {
			out[tu.UserID] = KindWatching
		}
	}
	subs, err := tx.ForumSubscription.Query().Where(forumsubscription.ForumID(e.ForumID), forumsubscription.LevelEQ(forumsubscription.LevelWatching)).All(ctx)
	if err != nil {
		return nil, err
	}
	for _, sub := range subs {
		if lvl, set := topicLevel[sub.UserID]; set && lvl != topicuser.LevelNormal {
			continue // the topic-level choice wins
		}
		if newTopic {
			out[sub.UserID] = KindNewTopic
		} else {
			out[sub.UserID] = KindWatching
		}
	}
	return out, nil
}

// allowed filters recipients: active users who can still read the forum,
// who have not muted the actor, the topic or the forum.
func (Consumer) allowed(ctx context.Context, tx *ent.Tx, e event.Event, ids []int) (map[int]bool, error) {
	out := map[int]bool{}
	users, err := tx.User.Query().Where(user.IDIn(ids...), user.StatusNEQ(user.StatusSuspended)).IDs(ctx)
	if err != nil {
		return nil, err
	}
	for _, id := range users {
		out[id] = true
	}
	if e.ForumID != 0 {
		f, err := tx.Forum.Query().Where(forum.ID(e.ForumID)).WithGroup().Only(ctx)
		if err != nil && !ent.IsNotFound(err) {
			return nil, err
		}
		if f == nil || f.DeletedAt != nil {
			return map[int]bool{}, nil
		}
		if f.GroupID != nil {
			if err := keepGroupReaders(ctx, tx, f, out); err != nil {
				return nil, err
			}
		}
	}
	if e.ActorID != 0 {
		muters, err := tx.UserMute.Query().Where(usermute.MutedUserID(e.ActorID), usermute.UserIDIn(ids...)).All(ctx)
		if err != nil {
			return nil, err
		}
		for _, m := range muters {
			delete(out, m.UserID)
		}
	}
	if e.TopicID != 0 {
		muted, err := tx.TopicUser.Query().Where(topicuser.TopicID(e.TopicID), topicuser.UserIDIn(ids...), topicuser.LevelEQ(topicuser.LevelMuted)).All(ctx)
		if err != nil {
			return nil, err
		}
		for _, m := range muted {
			delete(out, m.UserID)
		}
	}
	if e.ForumID != 0 {
		muted, err := tx.ForumSubscription.Query().Where(forumsubscription.ForumID(e.ForumID), forumsubscription.UserIDIn(ids...), forumsubscription.LevelEQ(forumsubscription.LevelMuted)).All(ctx)
		if err != nil {
			return nil, err
		}
		for _, m := range muted {
			delete(out, m.UserID)
		}
	}
	return out, nil
}

// keepGroupReaders drops the recipients who may not read a group forum's
// content: in a restricted or private group (or a deleted one), everyone
// but its active members and admins. A mention of an outsider in a private
// group's post notifies no one.
func keepGroupReaders(ctx context.Context, tx *ent.Tx, f *ent.Forum, out map[int]bool) error {
	g := f.Edges.Group
	if g != nil && g.DeletedAt == nil && string(g.Visibility) == authz.GroupPublic {
		return nil
	}
	ids := make([]int, 0, len(out))
	for id := range out {
		ids = append(ids, id)
	}
	readers := map[int]bool{}
	members, err := tx.GroupMember.Query().Where(groupmember.GroupID(*f.GroupID), groupmember.UserIDIn(ids...),
		groupmember.StatusEQ(groupmember.StatusActive)).All(ctx)
	if err != nil {
		return err
	}
	for _, m := range members {
		readers[m.UserID] = g != nil && g.DeletedAt == nil
	}
	admins, err := tx.User.Query().Where(user.IDIn(ids...), user.RoleEQ(user.RoleAdmin)).IDs(ctx)
	if err != nil {
		return err
	}
	for _, id := range admins {
		readers[id] = true
	}
	for id := range out {
		if !readers[id] {
			delete(out, id)
		}
	}
	return nil
}

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

// UnreadCount counts the user's unread notifications.
func (s *Service) UnreadCount(ctx context.Context, userID int) (int, error) {
	n, err := s.db.Notification.Query().Where(notification.UserID(userID), notification.ReadAtIsNil()).Count(ctx)
	if err != nil {
		return 0, apperr.Internal("count notifications", err)
	}
	return n, nil
}

// MarkRead marks the given notifications of the user read, or all of them
// when ids is empty. It returns the unread count after.
func (s *Service) MarkRead(ctx context.Context, userID int, ids []int) (int, error) {
	if len(ids) > 1000 {
		return 0, apperr.Validation(map[string]string{"ids": "at most 1000 at a time"})
	}
	q := s.db.Notification.Update().Where(notification.UserID(userID), notification.ReadAtIsNil())
	if len(ids) > 0 {
		q = q.Where(notification.IDIn(ids...))
	}
	if _, err := q.SetReadAt(s.now()).Save(ctx); err != nil {
		return 0, apperr.Internal("mark notifications read", err)
	}
	return s.UnreadCount(ctx, userID)
}
