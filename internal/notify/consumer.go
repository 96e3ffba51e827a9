package notify

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/feedbackvote"
	"github.com/crn-dev/crn/ent/forum"
	"github.com/crn-dev/crn/ent/forumsubscription"
	"github.com/crn-dev/crn/ent/groupmember"
	"github.com/crn-dev/crn/ent/topicuser"
	"github.com/crn-dev/crn/ent/user"
	"github.com/crn-dev/crn/ent/usermute"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/event"
)

// Consumer is the outbox consumer that writes notifications. For each one
// it records a notification.created event in the same transaction, which
// the realtime publisher pushes to the recipient's user channel.
//
// It works a batch at a time: who watches or muted a topic, a forum or an
// author is read once per batch (a batch's posts mostly land in a few busy
// topics), the notifications of the whole batch are inserted in one
// statement, and their unread counts and events cost one statement each.
// Like before, it decides by the state of the database when the batch is
// handled, not when each event happened.
type Consumer struct {
	Postgres bool // the database dialect, for event.Record
}

// Name implements event.Consumer.
func (Consumer) Name() string { return "notifications" }

// Linger implements event.Lingerer: a short wait gathers a busy topic's
// replies into one batch (its watchers are read once a batch).
func (Consumer) Linger() time.Duration { return 50 * time.Millisecond }

// Handle implements event.Consumer; the relay uses HandleTx.
func (Consumer) Handle(context.Context, []event.Event) error {
	return fmt.Errorf("notifications: use HandleTx")
}

// batch holds what one HandleTx has read, by key, and what it will insert.
type batch struct {
	tx         *ent.Tx
	topicUsers map[int][]*ent.TopicUser         // by topic
	forumSubs  map[int][]*ent.ForumSubscription // by forum, every level
	forums     map[int]*ent.Forum               // with their group; nil: gone
	active     map[int]bool                     // user -> not suspended
	muters     map[int]map[int]bool             // muted user -> users who muted them
	creates    []*ent.NotificationCreate
}

// HandleTx implements event.TxConsumer.
func (c Consumer) HandleTx(ctx context.Context, tx *ent.Tx, evs []event.Event) error {
	b := &batch{tx: tx, topicUsers: map[int][]*ent.TopicUser{}, forumSubs: map[int][]*ent.ForumSubscription{},
		forums: map[int]*ent.Forum{}, active: map[int]bool{}, muters: map[int]map[int]bool{}}
	for _, e := range evs {
		if err := c.handle(ctx, b, e); err != nil {
			return fmt.Errorf("notify %s #%d: %w", e.Type, e.ID, err)
		}
	}
	if len(b.creates) == 0 {
		return nil
	}
	// (user_id, event_id) is unique, and the relay applies each batch
	// once (a batch that another node delivered meanwhile fails here or
	// at the cursor, and rolls back), so a plain insert returns exactly
	// this batch's rows. Reading them back instead was a query that
	// PostgreSQL's planner, with the table growing fast, answered by
	// reading every notification of each recipient.
	made, err := tx.Notification.CreateBulk(b.creates...).Save(ctx)
	if err != nil {
		return fmt.Errorf("notify: insert: %w", err)
	}
	unread, err := unreadCounts(ctx, tx, made)
	if err != nil {
		return fmt.Errorf("notify: unread counts: %w", err)
	}
	// Each event carries the recipient's unread count as it was right
	// after that notification: all of the batch's are unread, so that is
	// today's count less the recipient's later ones in the batch.
	later := map[int]int{}
	out := make([]event.Event, len(made))
	for i := len(made) - 1; i >= 0; i-- {
		n := made[i]
		out[i] = event.Event{
			Type: event.NotificationCreated, ActorID: deref(n.ActorID), TopicID: deref(n.TopicID), PostID: deref(n.PostID),
			UserID: n.UserID, Visibility: event.UserOnly(n.UserID),
			Payload: map[string]any{
				"notification_id": n.ID, "kind": n.Kind, "data": n.Data, "unread_count": unread[n.UserID] - later[n.UserID],
			},
		}
		later[n.UserID]++
	}
	return event.Record(ctx, tx, c.Postgres, out...)
}

// unreadCounts adds the batch's notifications, made, to their recipients'
// unread counters and returns the counters after. Counting the unread rows
// instead read every unread notification of each recipient, per batch:
// more work the longer a member stays away.
func unreadCounts(ctx context.Context, tx *ent.Tx, made []*ent.Notification) (map[int]int, error) {
	added := map[int]int{}
	for _, n := range made {
		added[n.UserID]++
	}
	// One update per distinct amount (most recipients get one), users in
	// id order within each.
	byAmount := map[int][]int{}
	for uid, k := range added {
		byAmount[k] = append(byAmount[k], uid)
	}
	ids := make([]int, 0, len(added))
	for k, uids := range byAmount {
		slices.Sort(uids)
		if err := tx.User.Update().Where(user.IDIn(uids...)).AddUnreadNotifications(k).Exec(ctx); err != nil {
			return nil, err
		}
		ids = append(ids, uids...)
	}
	users, err := tx.User.Query().Where(user.IDIn(ids...)).Select(user.FieldUnreadNotifications).All(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[int]int, len(users))
	for _, u := range users {
		out[u.ID] = u.UnreadNotifications
	}
	return out, nil
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

func (c Consumer) handle(ctx context.Context, b *batch, e event.Event) error {
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
		watchers, err := b.watchers(ctx, e, number == 1)
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
		audience, err := feedbackAudience(ctx, b.tx, e.TopicID)
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
	slices.Sort(ids)
	filter := e
	for _, k := range want {
		if moderationKinds[k] {
			filter.ActorID = 0 // nobody mutes the moderators' notices
		}
	}
	allowed, err := b.allowed(ctx, filter, ids)
	if err != nil {
		return err
	}
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
		b.creates = append(b.creates, b.tx.Notification.Create().SetUserID(uid).SetKind(want[uid]).
			SetNillableActorID(nz(e.ActorID)).SetNillableTopicID(nz(e.TopicID)).SetNillablePostID(nz(e.PostID)).
			SetEventID(e.ID).SetData(data).SetCreatedAt(e.CreatedAt))
	}
	return nil
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

// topicUsersOf returns every user's state in a topic (read once a batch).
func (b *batch) topicUsersOf(ctx context.Context, topicID int) ([]*ent.TopicUser, error) {
	if tus, ok := b.topicUsers[topicID]; ok {
		return tus, nil
	}
	tus, err := b.tx.TopicUser.Query().Where(topicuser.TopicID(topicID)).
		Select(topicuser.FieldUserID, topicuser.FieldLevel).All(ctx)
	if err != nil {
		return nil, err
	}
	b.topicUsers[topicID] = tus
	return tus, nil
}

// forumSubsOf returns a forum's subscriptions, every level (read once a batch).
func (b *batch) forumSubsOf(ctx context.Context, forumID int) ([]*ent.ForumSubscription, error) {
	if subs, ok := b.forumSubs[forumID]; ok {
		return subs, nil
	}
	subs, err := b.tx.ForumSubscription.Query().Where(forumsubscription.ForumID(forumID)).
		Select(forumsubscription.FieldUserID, forumsubscription.FieldLevel).All(ctx)
	if err != nil {
		return nil, err
	}
	b.forumSubs[forumID] = subs
	return subs, nil
}

// watchers returns users watching the topic, and users watching the forum
// (unless they set the topic itself to something else).
func (b *batch) watchers(ctx context.Context, e event.Event, newTopic bool) (map[int]string, error) {
	out := map[int]string{}
	tus, err := b.topicUsersOf(ctx, e.TopicID)
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
	subs, err := b.forumSubsOf(ctx, e.ForumID)
	if err != nil {
		return nil, err
	}
	for _, sub := range subs {
		if sub.Level != forumsubscription.LevelWatching {
			continue
		}
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
func (b *batch) allowed(ctx context.Context, e event.Event, ids []int) (map[int]bool, error) {
	var unknown []int
	for _, id := range ids {
		if _, ok := b.active[id]; !ok {
			unknown = append(unknown, id)
		}
	}
	if len(unknown) > 0 {
		users, err := b.tx.User.Query().Where(user.IDIn(unknown...), user.StatusNEQ(user.StatusSuspended)).IDs(ctx)
		if err != nil {
			return nil, err
		}
		for _, id := range unknown {
			b.active[id] = false
		}
		for _, id := range users {
			b.active[id] = true
		}
	}
	out := map[int]bool{}
	for _, id := range ids {
		if b.active[id] {
			out[id] = true
		}
	}
	if e.ForumID != 0 {
		f, ok := b.forums[e.ForumID]
		if !ok {
			var err error
			f, err = b.tx.Forum.Query().Where(forum.ID(e.ForumID)).WithGroup().Only(ctx)
			if err != nil && !ent.IsNotFound(err) {
				return nil, err
			}
			b.forums[e.ForumID] = f
		}
		if f == nil || f.DeletedAt != nil {
			return map[int]bool{}, nil
		}
		if f.GroupID != nil {
			if err := keepGroupReaders(ctx, b.tx, f, out); err != nil {
				return nil, err
			}
		}
	}
	if e.ActorID != 0 {
		muters, ok := b.muters[e.ActorID]
		if !ok {
			ms, err := b.tx.UserMute.Query().Where(usermute.MutedUserID(e.ActorID)).Select(usermute.FieldUserID).All(ctx)
			if err != nil {
				return nil, err
			}
			muters = make(map[int]bool, len(ms))
			for _, m := range ms {
				muters[m.UserID] = true
			}
			b.muters[e.ActorID] = muters
		}
		for id := range muters {
			delete(out, id)
		}
	}
	if e.TopicID != 0 {
		tus, err := b.topicUsersOf(ctx, e.TopicID)
		if err != nil {
			return nil, err
		}
		for _, tu := range tus {
			if tu.Level == topicuser.LevelMuted {
				delete(out, tu.UserID)
			}
		}
	}
	if e.ForumID != 0 {
		subs, err := b.forumSubsOf(ctx, e.ForumID)
		if err != nil {
			return nil, err
		}
		for _, sub := range subs {
			if sub.Level == forumsubscription.LevelMuted {
				delete(out, sub.UserID)
			}
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
