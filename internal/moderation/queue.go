package moderation

import (
	"context"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/flag"
	"github.com/crn-dev/crn/ent/groupmember"
	"github.com/crn-dev/crn/ent/post"
	"github.com/crn-dev/crn/ent/reviewitem"
	"github.com/crn-dev/crn/ent/reviewnote"
	"github.com/crn-dev/crn/ent/sanction"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/event"
)

// resolveItems closes the open review item of a target, if any, marking
// its open flags with flagStatus (agreed or dismissed).
func (s *Service) resolveItems(ctx context.Context, tx *ent.Tx, actorID int, targetType string, targetID int, resolution, flagStatus string) ([]event.Event, error) {
	items, err := tx.ReviewItem.Query().Where(reviewitem.TargetTypeEQ(reviewitem.TargetType(targetType)), reviewitem.TargetID(targetID),
		reviewitem.StatusEQ(reviewitem.StatusOpen)).All(ctx)
	if err != nil {
		return nil, err
	}
	var evs []event.Event
	now := s.now()
	for _, it := range items {
		up := tx.ReviewItem.UpdateOneID(it.ID).SetStatus(reviewitem.StatusResolved).SetResolution(resolution).
			SetResolvedAt(now).SetUpdatedAt(now)
		if actorID != 0 {
			up.SetResolvedByID(actorID)
		}
		if it.FirstActionAt == nil {
			up.SetFirstActionAt(now)
		}
		it, err = up.Save(ctx)
		if err != nil {
			return nil, err
		}
		if err := tx.Flag.Update().Where(flag.ReviewItemID(it.ID), flag.StatusEQ(flag.StatusOpen)).
			SetStatus(flag.Status(flagStatus)).SetResolvedAt(now).Exec(ctx); err != nil {
			return nil, err
		}
		evs = append(evs, queueEvent(it, "resolved"))
	}
	return evs, nil
}

// Item is a review-queue entry with the context a moderator decides on.
type Item struct {
	*ent.ReviewItem
	Age     time.Duration
	Post    *ent.Post  // the post, or a topic's opening post
	Topic   *ent.Topic // its topic
	User    *ent.User  // for user targets, the user
	Flags   []*ent.Flag
	Notes   []*ent.ReviewNote
	History AuthorHistory
}

// AuthorHistory summarises the author of a queued item.
type AuthorHistory struct {
	Posts         int `json:"posts"`
	FlagsAgreed   int `json:"flags_agreed"`
	FlagsReceived int `json:"flags_received"`
	Sanctions     int `json:"sanctions"`
	TrustLevel    int `json:"trust_level"`
}

// QueueQuery asks for a page of the queue.
type QueueQuery struct {
	Status   string // open (default) or resolved
	Kind     string // flagged, held or automod; empty for all
	Assigned int    // only items assigned to this user
	Before   int    // item id cursor
	Limit    int
}

// QueuePage is a page of the queue with its statistics.
type QueuePage struct {
	Items []*Item
	Next  int // pass as before for the next page; 0 at the end
	Open  int // open items the actor may review
	// MedianFirstAction is the median time from an item's creation to the
	// first moderator action, over the last 500 acted-on items in scope.
	MedianFirstAction time.Duration
}

// Queue lists review items in the actor's scope, oldest open first for
// open items, newest first for resolved ones.
func (s *Service) Queue(ctx context.Context, a authz.Actor, q QueueQuery) (*QueuePage, error) {
	if err := requireActor(a, authz.CanReview(a), "only moderators review the queue"); err != nil {
		return nil, err
	}
	if q.Status == "" {
		q.Status = "open"
	}
	if q.Status != "open" && q.Status != "resolved" {
		return nil, apperr.Validation(map[string]string{"status": "must be open or resolved"})
	}
	if q.Kind != "" && reviewitem.KindValidator(reviewitem.Kind(q.Kind)) != nil {
		return nil, apperr.Validation(map[string]string{"kind": "must be flagged, held or automod"})
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 20
	}
	limit = min(limit, 100)
	base := s.db.ReviewItem.Query().Where(authz.ReviewableItems(a))
	page := &QueuePage{}
	open, err := base.Clone().Where(reviewitem.StatusEQ(reviewitem.StatusOpen)).Count(ctx)
	if err != nil {
		return nil, apperr.Internal("queue", err)
	}
	page.Open = open
	lq := base.Clone().Where(reviewitem.StatusEQ(reviewitem.Status(q.Status)))
	if q.Kind != "" {
		lq = lq.Where(reviewitem.KindEQ(reviewitem.Kind(q.Kind)))
	}
	if q.Assigned != 0 {
		lq = lq.Where(reviewitem.AssignedToID(q.Assigned))
	}
	if q.Status == "open" {
		if q.Before > 0 {
			lq = lq.Where(reviewitem.IDGT(q.Before))
		}
		lq = lq.Order(ent.Asc(reviewitem.FieldID))
	} else {
		if q.Before > 0 {
			lq = lq.Where(reviewitem.IDLT(q.Before))
		}
		lq = lq.Order(ent.Desc(reviewitem.FieldID))
	}
	items, err := lq.Limit(limit + 1).All(ctx)
	if err != nil {
		return nil, apperr.Internal("queue", err)
	}
	if len(items) > limit {
		items = items[:limit]
		page.Next = items[limit-1].ID
	}
	for _, it := range items {
		full, err := s.withContext(ctx, it)
		if err != nil {
			return nil, err
		}
		page.Items = append(page.Items, full)
	}
	acted, err := base.Clone().Where(reviewitem.FirstActionAtNotNil()).Order(ent.Desc(reviewitem.FieldID)).Limit(500).
		Select(reviewitem.FieldCreatedAt, reviewitem.FieldFirstActionAt).All(ctx)
	if err != nil {
		return nil, apperr.Internal("queue", err)
	}
	page.MedianFirstAction = median(acted)
	return page, nil
}

func median(items []*ent.ReviewItem) time.Duration {
	if len(items) == 0 {
		return 0
	}
	ds := make([]time.Duration, 0, len(items))
	for _, it := range items {
		ds = append(ds, it.FirstActionAt.Sub(it.CreatedAt))
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	n := len(ds)
	if n%2 == 1 {
		return ds[n/2]
	}
	return (ds[n/2-1] + ds[n/2]) / 2
}

// QueueItem returns one item with its context.
func (s *Service) QueueItem(ctx context.Context, a authz.Actor, id int) (*Item, error) {
	it, err := s.item(ctx, a, id)
	if err != nil {
		return nil, err
	}
	return s.withContext(ctx, it)
}

// item loads a review item within the actor's scope.
func (s *Service) item(ctx context.Context, a authz.Actor, id int) (*ent.ReviewItem, error) {
	if err := requireActor(a, authz.CanReview(a), "only moderators review the queue"); err != nil {
		return nil, err
	}
	it, err := s.db.ReviewItem.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, notFound("item")
	}
	if err != nil {
		return nil, apperr.Internal("queue item", err)
	}
	if !authz.CanModerateIn(a, deref(it.ForumID), deref(it.GroupID)) {
		return nil, forbidden("you do not moderate this item's forum")
	}
	return it, nil
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

// historyFlagWindow bounds the author history to recent activity.
const historyFlagWindow = 365 * 24 * time.Hour

func (s *Service) withContext(ctx context.Context, it *ent.ReviewItem) (*Item, error) {
	out := &Item{ReviewItem: it, Age: s.now().Sub(it.CreatedAt)}
	if it.Status == reviewitem.StatusResolved && it.ResolvedAt != nil {
		out.Age = it.ResolvedAt.Sub(it.CreatedAt)
	}
	var err error
	switch string(it.TargetType) {
	case TargetPost:
		out.Post, err = s.db.Post.Get(ctx, it.TargetID)
	case TargetTopic:
		out.Post, err = s.db.Post.Query().Where(post.TopicID(it.TargetID), post.PostNumber(1)).Only(ctx)
	case TargetUser:
		out.User, err = s.db.User.Get(ctx, it.TargetID)
	}
	if err != nil && !ent.IsNotFound(err) {
		return nil, apperr.Internal("queue item", err)
	}
	if out.Post != nil {
		if out.Topic, err = s.db.Topic.Get(ctx, out.Post.TopicID); err != nil && !ent.IsNotFound(err) {
			return nil, apperr.Internal("queue item", err)
		}
	}
	if out.Flags, err = s.db.Flag.Query().Where(flag.TargetTypeEQ(flag.TargetType(it.TargetType)), flag.TargetID(it.TargetID)).
		Order(ent.Asc(flag.FieldID)).Limit(100).All(ctx); err != nil {
		return nil, apperr.Internal("queue item", err)
	}
	if out.Notes, err = s.db.ReviewNote.Query().Where(reviewnote.ReviewItemID(it.ID)).Order(ent.Asc(reviewnote.FieldID)).Limit(100).All(ctx); err != nil {
		return nil, apperr.Internal("queue item", err)
	}
	if it.AuthorID != nil {
		if out.History, err = s.history(ctx, *it.AuthorID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Service) history(ctx context.Context, userID int) (AuthorHistory, error) {
	var h AuthorHistory
	var err error
	fail := func(err error) (AuthorHistory, error) { return h, apperr.Internal("author history", err) }
	if h.Posts, err = s.db.Post.Query().Where(post.UserID(userID)).Count(ctx); err != nil {
		return fail(err)
	}
	since := s.now().Add(-historyFlagWindow)
	items, err := s.db.ReviewItem.Query().Where(reviewitem.AuthorID(userID), reviewitem.CreatedAtGT(since)).IDs(ctx)
	if err != nil {
		return fail(err)
	}
	if len(items) > 0 {
		if h.FlagsReceived, err = s.db.Flag.Query().Where(flag.ReviewItemIDIn(items...)).Count(ctx); err != nil {
			return fail(err)
		}
		if h.FlagsAgreed, err = s.db.Flag.Query().Where(flag.ReviewItemIDIn(items...), flag.StatusEQ(flag.StatusAgreed)).Count(ctx); err != nil {
			return fail(err)
		}
	}
	if h.Sanctions, err = s.db.Sanction.Query().Where(sanction.UserID(userID)).Count(ctx); err != nil {
		return fail(err)
	}
	u, err := s.db.User.Get(ctx, userID)
	if err == nil {
		h.TrustLevel = u.TrustLevel
	}
	return h, nil
}

// MaxNote is the longest moderator note, in characters.
const MaxNote = 4000

// ActInput carries what an item action needs.
type ActInput struct {
	Reason        string
	Body          string // edit: the new text; note: the note
	UserID        int    // assign: the moderator (0 unassigns)
	DurationHours int    // silence, suspend: 0 until lifted
}

// Queue actions.
var queueActions = []string{"approve", "dismiss", "hide", "unhide", "delete", "edit", "lock", "unlock", "assign", "note", "warn", "silence", "suspend"}

// QueueActions lists the actions POST /moderation/queue/{id}/{action} takes.
func QueueActions() []string { return append([]string(nil), queueActions...) }

// Act applies a moderator's action to a review item and records it.
func (s *Service) Act(ctx context.Context, a authz.Actor, id int, action string, in ActInput) (*Item, error) {
	it, err := s.item(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if !contains(queueActions, action) {
		return nil, apperr.NotFound("unknown_action", "no such action; one of "+strings.Join(queueActions, ", "))
	}
	tt := string(it.TargetType)
	postID := 0
	if tt == TargetPost {
		postID = it.TargetID
	}
	if tt == TargetTopic {
		if p, err := s.db.Post.Query().Where(post.TopicID(it.TargetID), post.PostNumber(1)).Only(ctx); err == nil {
			postID = p.ID
		}
	}
	authorUsername := func() (string, error) {
		if it.AuthorID == nil {
			return "", apperr.Conflict("no_author", "this item has no author")
		}
		u, err := s.db.User.Get(ctx, *it.AuthorID)
		if err != nil {
			return "", apperr.Internal("queue action", err)
		}
		return u.Username, nil
	}
	needPost := func() error {
		if postID == 0 {
			return apperr.Conflict("not_a_post", "this action applies to posts and topics only")
		}
		return nil
	}
	resourceID := 0
	if tt == TargetResource {
		resourceID = it.TargetID
	}
	switch {
	case resourceID != 0 && action == "approve":
		// Approving a flagged resource shows it again and closes its item.
		if err = s.UnhideResource(ctx, a, resourceID, in.Reason); err == nil {
			err = s.closeItem(ctx, a, it, "approved", "dismissed")
		}
	case resourceID != 0 && action == "hide":
		if err = s.HideResource(ctx, a, resourceID, in.Reason); err == nil {
			err = s.closeItem(ctx, a, it, "hidden", "agreed")
		}
	case resourceID != 0 && action == "unhide":
		err = s.UnhideResource(ctx, a, resourceID, in.Reason)
	default:
		err = s.actOnPostOrUser(ctx, a, it, action, postID, in, needPost, authorUsername)
	}
	if err != nil {
		return nil, err
	}
	if action != "assign" && action != "note" && action != "warn" && action != "silence" && action != "suspend" {
		if err := s.touch(ctx, it); err != nil {
			return nil, err
		}
	}
	return s.QueueItem(ctx, a, id)
}

// actOnPostOrUser applies the actions every item takes, and those on posts
// and topics.
func (s *Service) actOnPostOrUser(ctx context.Context, a authz.Actor, it *ent.ReviewItem, action string, postID int, in ActInput,
	needPost func() error, authorUsername func() (string, error)) error {
	var err error
	switch action {
	case "approve":
		if err = needPost(); err == nil {
			err = s.approveItem(ctx, a, it, postID, in.Reason)
		}
	case "dismiss":
		err = s.dismiss(ctx, a, it, postID, in.Reason)
	case "hide":
		if err = needPost(); err == nil {
			if err = s.HidePost(ctx, a, postID, in.Reason); err == nil {
				err = s.closeItem(ctx, a, it, "hidden", "agreed")
			}
		}
	case "unhide":
		if err = needPost(); err == nil {
			err = s.UnhidePost(ctx, a, postID, in.Reason)
		}
	case "delete":
		if err = needPost(); err == nil {
			if err = s.DeletePost(ctx, a, postID, in.Reason); err == nil {
				err = s.closeItem(ctx, a, it, "deleted", "agreed")
			}
		}
	case "edit":
		if err = needPost(); err == nil {
			err = s.EditPost(ctx, a, postID, in.Body, in.Reason)
		}
	case "lock", "unlock":
		tid := 0
		if postID != 0 {
			if p, err2 := s.db.Post.Get(ctx, postID); err2 == nil {
				tid = p.TopicID
			}
		}
		if tid == 0 {
			err = apperr.Conflict("not_a_topic", "this action applies to posts and topics only")
		} else {
			err = s.TopicAction(ctx, a, tid, action, in.Reason)
		}
	case "assign":
		err = s.assign(ctx, a, it, in.UserID)
	case "note":
		err = s.note(ctx, a, it, in.Body)
	case "warn", "silence", "suspend":
		var name string
		if name, err = authorUsername(); err == nil {
			switch action {
			case "warn":
				err = s.warnFromItem(ctx, a, it, name, in.Reason)
			case "silence":
				err = s.Silence(ctx, a, name, hours(in.DurationHours), in.Reason)
			case "suspend":
				err = s.Suspend(ctx, a, name, hours(in.DurationHours), in.Reason)
			}
		}
		if err == nil {
			err = s.touch(ctx, it)
		}
	}
	return err
}

func hours(h int) time.Duration { return time.Duration(h) * time.Hour }

// touch records the first moderator action on an item (for the median).
func (s *Service) touch(ctx context.Context, it *ent.ReviewItem) error {
	if it.FirstActionAt != nil {
		return nil
	}
	if err := s.db.ReviewItem.Update().Where(reviewitem.ID(it.ID), reviewitem.FirstActionAtIsNil()).SetFirstActionAt(s.now()).Exec(ctx); err != nil {
		return apperr.Internal("queue action", err)
	}
	return nil
}

// closeItem resolves an item after an action that settled it.
func (s *Service) closeItem(ctx context.Context, a authz.Actor, it *ent.ReviewItem, resolution, flagStatus string) error {
	return s.tx(ctx, "resolve item", func(tx *ent.Tx) ([]event.Event, error) {
		return s.resolveItems(ctx, tx, a.ID, string(it.TargetType), it.TargetID, resolution, flagStatus)
	})
}

// approveItem publishes a held post, shows a hidden one, and closes the
// item with its flags dismissed.
func (s *Service) approveItem(ctx context.Context, a authz.Actor, it *ent.ReviewItem, postID int, reason string) error {
	p, err := s.db.Post.Get(ctx, postID)
	if err != nil {
		return apperr.Internal("approve", err)
	}
	if p.Pending {
		if err := s.ApprovePost(ctx, a, postID, reason); err != nil {
			return err
		}
	}
	if p.HiddenAt != nil {
		if err := s.UnhidePost(ctx, a, postID, reason); err != nil {
			return err
		}
	}
	// A topic's item is about the topic, not its opening post: close it too.
	return s.closeItem(ctx, a, it, "approved", "dismissed")
}

// dismiss closes an item as unfounded: its flags are dismissed, a post the
// flags hid is shown again. A held post stays held (approve publishes it).
func (s *Service) dismiss(ctx context.Context, a authz.Actor, it *ent.ReviewItem, postID int, reason string) error {
	reason, err := checkReason(reason)
	if err != nil {
		return err
	}
	var tg *target
	switch {
	case postID != 0:
		if tg, err = s.resolve(ctx, a, TargetPost, postID); err != nil {
			return err
		}
	case string(it.TargetType) == TargetResource && s.resources != nil:
		if tg, err = s.resolve(ctx, a, TargetResource, it.TargetID); err != nil {
			return err
		}
	}
	return s.tx(ctx, "dismiss flags", func(tx *ent.Tx) ([]event.Event, error) {
		evs, err := s.resolveItems(ctx, tx, a.ID, string(it.TargetType), it.TargetID, "dismissed", "dismissed")
		if err != nil {
			return nil, err
		}
		unhid := false
		if tg != nil && tg.hiddenBy(reasonFlagged) {
			hev, err := s.setHidden(ctx, tx, a.ID, tg, false, reason)
			if err != nil {
				return nil, err
			}
			evs, unhid = append(evs, hev...), true
		}
		_, err = s.appendAudit(ctx, tx, entry{actor: a.ID, action: ActFlagsDismiss, targetType: string(it.TargetType), targetID: it.TargetID,
			forumID: deref(it.ForumID), groupID: deref(it.GroupID), reason: reason, before: map[string]any{"item_id": it.ID, "status": "open"},
			after: map[string]any{"item_id": it.ID, "status": "dismissed", "unhidden_post_id": unhidID(unhid && postID != 0, postID),
				"unhidden": unhid}})
		return evs, err
	})
}

func unhidID(unhid bool, id int) int {
	if unhid {
		return id
	}
	return 0
}

// assign gives an item to a moderator (0: nobody).
func (s *Service) assign(ctx context.Context, a authz.Actor, it *ent.ReviewItem, userID int) error {
	if userID != 0 {
		u, err := s.db.User.Get(ctx, userID)
		if ent.IsNotFound(err) {
			return apperr.Validation(map[string]string{"user_id": "no such user"})
		}
		if err != nil {
			return apperr.Internal("assign", err)
		}
		if u.Role != "admin" && u.Role != "moderator" {
			// A group's item may also go to the group's owners and moderators.
			ok := false
			if it.GroupID != nil {
				if ok, err = s.db.GroupMember.Query().Where(groupmember.GroupID(*it.GroupID), groupmember.UserID(userID),
					groupmember.StatusEQ(groupmember.StatusActive), groupmember.RoleIn(groupmember.RoleOwner, groupmember.RoleModerator)).Exist(ctx); err != nil {
					return apperr.Internal("assign", err)
				}
			}
			if !ok {
				return apperr.Validation(map[string]string{"user_id": "is not a moderator of this item"})
			}
		}
	}
	return s.tx(ctx, "assign", func(tx *ent.Tx) ([]event.Event, error) {
		up := tx.ReviewItem.UpdateOneID(it.ID).SetUpdatedAt(s.now())
		if userID == 0 {
			up.ClearAssignedToID()
		} else {
			up.SetAssignedToID(userID)
		}
		saved, err := up.Save(ctx)
		if err != nil {
			return nil, err
		}
		if _, err := s.appendAudit(ctx, tx, entry{actor: a.ID, action: ActQueueAssign, targetType: "review_item", targetID: it.ID,
			forumID: deref(it.ForumID), groupID: deref(it.GroupID), before: map[string]any{"assigned_to_id": deref(it.AssignedToID)},
			after: map[string]any{"assigned_to_id": userID}}); err != nil {
			return nil, err
		}
		return []event.Event{queueEvent(saved, "assigned")}, nil
	})
}

// note adds a private moderator note to an item.
func (s *Service) note(ctx context.Context, a authz.Actor, it *ent.ReviewItem, body string) error {
	body = strings.TrimSpace(body)
	if body == "" || !utf8.ValidString(body) || utf8.RuneCountInString(body) > MaxNote {
		return apperr.Validation(map[string]string{"body": "a note is 1 to 4000 characters"})
	}
	return s.tx(ctx, "note", func(tx *ent.Tx) ([]event.Event, error) {
		n, err := tx.ReviewNote.Create().SetReviewItemID(it.ID).SetUserID(a.ID).SetBody(body).SetCreatedAt(s.now()).Save(ctx)
		if err != nil {
			return nil, err
		}
		if _, err := s.appendAudit(ctx, tx, entry{actor: a.ID, action: ActQueueNote, targetType: "review_item", targetID: it.ID,
			forumID: deref(it.ForumID), groupID: deref(it.GroupID), after: map[string]any{"note_id": n.ID}}); err != nil {
			return nil, err
		}
		return []event.Event{queueEvent(it, "noted")}, nil
	})
}
