package moderation

import (
	"context"
	"sort"
	"strings"
	"unicode/utf8"

	"entgo.io/ent/dialect/sql"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/post"
	"github.com/crn-dev/crn/ent/topic"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/event"
)

// topicTarget loads a topic a moderator of its forum acts on.
func (s *Service) topicTarget(ctx context.Context, a authz.Actor, topicID int) (*target, error) {
	if a.Guest() {
		return nil, apperr.Unauthenticated("unauthenticated", "sign in first")
	}
	tg, err := s.resolve(ctx, a, TargetTopic, topicID)
	if err != nil {
		return nil, err
	}
	if !authz.CanModerateTopic(a, tg.ForumID) {
		return nil, forbidden("you do not moderate this forum")
	}
	return tg, nil
}

var topicFlags = map[string]struct {
	field string
	on    bool
	act   string
}{
	"lock": {"locked", true, ActTopicLock}, "unlock": {"locked", false, ActTopicUnlock},
	"pin": {"pinned", true, ActTopicPin}, "unpin": {"pinned", false, ActTopicUnpin},
}

// TopicAction locks, unlocks, pins or unpins a topic.
func (s *Service) TopicAction(ctx context.Context, a authz.Actor, topicID int, action, reason string) error {
	return s.topicAction(ctx, a, topicID, action, reason, 0)
}

func (s *Service) topicAction(ctx context.Context, a authz.Actor, topicID int, action, reason string, reverts int) error {
	spec, ok := topicFlags[action]
	if !ok {
		return apperr.NotFound("unknown_action", "no such action; one of lock, unlock, pin, unpin")
	}
	reason, err := checkReason(reason)
	if err != nil {
		return err
	}
	tg, err := s.topicTarget(ctx, a, topicID)
	if err != nil {
		return err
	}
	cur := tg.Topic.Locked
	if spec.field == "pinned" {
		cur = tg.Topic.Pinned
	}
	if cur == spec.on {
		return nil
	}
	return s.tx(ctx, spec.act, func(tx *ent.Tx) ([]event.Event, error) {
		up := tx.Topic.UpdateOneID(topicID)
		if spec.field == "locked" {
			up.SetLocked(spec.on)
		} else {
			up.SetPinned(spec.on)
		}
		if err := up.Exec(ctx); err != nil {
			return nil, err
		}
		id, err := s.appendAudit(ctx, tx, entry{actor: a.ID, action: spec.act, targetType: TargetTopic, targetID: topicID, forumID: tg.ForumID,
			reason: reason, before: map[string]any{spec.field: !spec.on}, after: map[string]any{spec.field: spec.on}, reverts: reverts})
		if err != nil {
			return nil, err
		}
		return []event.Event{{Type: event.TopicUpdated, ActorID: a.ID, ForumID: tg.ForumID, TopicID: topicID, Visibility: forumVisibility(tg.Forum),
			Payload: map[string]any{"changes": []string{spec.field}, "audit_id": id}}}, nil
	})
}

// MoveTopic moves a topic to another forum; the actor must moderate both.
func (s *Service) MoveTopic(ctx context.Context, a authz.Actor, topicID, forumID int, reason string) error {
	return s.moveTopic(ctx, a, topicID, forumID, reason, 0)
}

func (s *Service) moveTopic(ctx context.Context, a authz.Actor, topicID, forumID int, reason string, reverts int) error {
	reason, err := checkReason(reason)
	if err != nil {
		return err
	}
	tg, err := s.topicTarget(ctx, a, topicID)
	if err != nil {
		return err
	}
	dest, err := s.destForum(ctx, a, forumID)
	if err != nil {
		return err
	}
	if dest.ID == tg.ForumID {
		return nil
	}
	return s.tx(ctx, ActTopicMove, func(tx *ent.Tx) ([]event.Event, error) {
		if err := tx.Topic.UpdateOneID(topicID).SetForumID(dest.ID).Exec(ctx); err != nil {
			return nil, err
		}
		if err := recountForums(ctx, tx, tg.ForumID, dest.ID); err != nil {
			return nil, err
		}
		id, err := s.appendAudit(ctx, tx, entry{actor: a.ID, action: ActTopicMove, targetType: TargetTopic, targetID: topicID, forumID: tg.ForumID,
			reason: reason, before: map[string]any{"forum_id": tg.ForumID}, after: map[string]any{"forum_id": dest.ID}, reverts: reverts})
		if err != nil {
			return nil, err
		}
		return []event.Event{{Type: event.TopicMoved, ActorID: a.ID, ForumID: dest.ID, TopicID: topicID,
			Visibility: strictest(forumVisibility(tg.Forum), forumVisibility(dest)),
			Payload:    map[string]any{"from_forum_id": tg.ForumID, "to_forum_id": dest.ID, "audit_id": id}}}, nil
	})
}

func (s *Service) destForum(ctx context.Context, a authz.Actor, forumID int) (*ent.Forum, error) {
	dest, err := s.db.Forum.Get(ctx, forumID)
	if ent.IsNotFound(err) || (err == nil && dest.DeletedAt != nil) {
		return nil, apperr.Validation(map[string]string{"forum_id": "no such forum"})
	}
	if err != nil {
		return nil, apperr.Internal("load forum", err)
	}
	if !authz.CanModerateTopic(a, dest.ID) {
		return nil, forbidden("you do not moderate the destination forum")
	}
	return dest, nil
}

func strictest(a, b string) string {
	if a == event.Public {
		return b
	}
	return a
}

// placement is where a post was before a merge or split, kept in the audit
// log so the action can be undone exactly.
type placement struct {
	PostID     int `json:"post_id"`
	TopicID    int `json:"topic_id"`
	PostNumber int `json:"post_number"`
}

// MergeTopic moves every post of topic source to the end of topic into,
// in order, and soft-deletes the emptied source topic.
func (s *Service) MergeTopic(ctx context.Context, a authz.Actor, source, into int, reason string) (int, error) {
	reason, err := checkReason(reason)
	if err != nil {
		return 0, err
	}
	if source == into {
		return 0, apperr.Validation(map[string]string{"into_topic_id": "is the topic itself"})
	}
	src, err := s.topicTarget(ctx, a, source)
	if err != nil {
		return 0, err
	}
	dst, err := s.topicTarget(ctx, a, into)
	if err != nil {
		if apperr.Is(err, apperr.KindNotFound) {
			return 0, apperr.Validation(map[string]string{"into_topic_id": "no such topic"})
		}
		return 0, err
	}
	if src.Topic.DeletedAt != nil || dst.Topic.DeletedAt != nil {
		return 0, apperr.Conflict("topic_deleted", "deleted topics cannot be merged")
	}
	var auditID int
	err = s.tx(ctx, ActTopicMerge, func(tx *ent.Tx) ([]event.Event, error) {
		posts, err := tx.Post.Query().Where(post.TopicID(source)).Order(ent.Asc(post.FieldPostNumber)).All(ctx)
		if err != nil {
			return nil, err
		}
		cur, err := tx.Topic.Get(ctx, into)
		if err != nil {
			return nil, err
		}
		next := cur.HighestPostNumber
		before := make([]placement, 0, len(posts))
		for _, p := range posts {
			next++
			before = append(before, placement{PostID: p.ID, TopicID: p.TopicID, PostNumber: p.PostNumber})
			if err := tx.Post.UpdateOneID(p.ID).SetTopicID(into).SetPostNumber(next).Exec(ctx); err != nil {
				return nil, err
			}
		}
		if err := tx.Topic.UpdateOneID(source).SetDeletedAt(s.now()).Exec(ctx); err != nil {
			return nil, err
		}
		if err := recountTopics(ctx, tx, source, into); err != nil {
			return nil, err
		}
		if err := recountForums(ctx, tx, src.ForumID, dst.ForumID); err != nil {
			return nil, err
		}
		auditID, err = s.appendAudit(ctx, tx, entry{actor: a.ID, action: ActTopicMerge, targetType: TargetTopic, targetID: source, forumID: src.ForumID,
			reason: reason, before: map[string]any{"placements": before}, after: map[string]any{"target_topic_id": into}})
		if err != nil {
			return nil, err
		}
		return []event.Event{{Type: event.TopicMerged, ActorID: a.ID, ForumID: dst.ForumID, TopicID: into,
			Visibility: strictest(forumVisibility(src.Forum), forumVisibility(dst.Forum)),
			Payload:    map[string]any{"source_topic_id": source, "target_topic_id": into, "posts": len(before), "audit_id": auditID}}}, nil
	})
	return auditID, err
}

// MaxSplitPosts bounds one split.
const MaxSplitPosts = 500

// SplitInput moves some replies of a topic into a new topic.
type SplitInput struct {
	PostIDs []int
	Title   string
	ForumID int // 0: the same forum
	Reason  string
}

// SplitTopic moves the given replies, in order, into a new topic, and
// returns the new topic's id.
func (s *Service) SplitTopic(ctx context.Context, a authz.Actor, topicID int, in SplitInput) (int, error) {
	reason, err := checkReason(in.Reason)
	if err != nil {
		return 0, err
	}
	in.Title = strings.TrimSpace(in.Title)
	problems := map[string]string{}
	if n := utf8.RuneCountInString(in.Title); n < 3 || n > 200 || !utf8.ValidString(in.Title) {
		problems["title"] = "must be 3 to 200 characters"
	}
	if len(in.PostIDs) == 0 || len(in.PostIDs) > MaxSplitPosts {
		problems["post_ids"] = "list 1 to 500 replies of the topic"
	}
	if len(problems) > 0 {
		return 0, apperr.Validation(problems)
	}
	src, err := s.topicTarget(ctx, a, topicID)
	if err != nil {
		return 0, err
	}
	destForum := src.Forum
	if in.ForumID != 0 && in.ForumID != src.ForumID {
		if destForum, err = s.destForum(ctx, a, in.ForumID); err != nil {
			return 0, err
		}
	}
	posts, err := s.db.Post.Query().Where(post.IDIn(in.PostIDs...)).Order(ent.Asc(post.FieldPostNumber)).All(ctx)
	if err != nil {
		return 0, apperr.Internal("split", err)
	}
	if len(posts) != len(dedupe(in.PostIDs)) {
		return 0, apperr.Validation(map[string]string{"post_ids": "some posts do not exist"})
	}
	for _, p := range posts {
		if p.TopicID != topicID {
			return 0, apperr.Validation(map[string]string{"post_ids": "every post must belong to the topic"})
		}
		if p.PostNumber == 1 {
			return 0, apperr.Validation(map[string]string{"post_ids": "the opening post stays; move the topic instead"})
		}
	}
	var newID int
	err = s.tx(ctx, ActTopicSplit, func(tx *ent.Tx) ([]event.Event, error) {
		first := posts[0]
		t, err := tx.Topic.Create().SetForumID(destForum.ID).SetUserID(first.UserID).SetTitle(in.Title).
			SetCreatedAt(first.CreatedAt).SetLastPostedAt(first.CreatedAt).Save(ctx)
		if err != nil {
			return nil, err
		}
		newID = t.ID
		before := make([]placement, 0, len(posts))
		for i, p := range posts {
			before = append(before, placement{PostID: p.ID, TopicID: p.TopicID, PostNumber: p.PostNumber})
			if err := tx.Post.UpdateOneID(p.ID).SetTopicID(t.ID).SetPostNumber(i + 1).Exec(ctx); err != nil {
				return nil, err
			}
		}
		if err := recountTopics(ctx, tx, topicID, t.ID); err != nil {
			return nil, err
		}
		if err := recountForums(ctx, tx, src.ForumID, destForum.ID); err != nil {
			return nil, err
		}
		id, err := s.appendAudit(ctx, tx, entry{actor: a.ID, action: ActTopicSplit, targetType: TargetTopic, targetID: topicID, forumID: src.ForumID,
			reason: reason, before: map[string]any{"placements": before}, after: map[string]any{"new_topic_id": t.ID}})
		if err != nil {
			return nil, err
		}
		vis := forumVisibility(destForum)
		return []event.Event{
			{Type: event.TopicCreated, ActorID: a.ID, ForumID: destForum.ID, TopicID: t.ID, PostID: first.ID, Visibility: vis,
				Payload: map[string]any{"title": t.Title, "kind": string(t.Kind), "tags": []string{}, "split_from_topic_id": topicID}},
			{Type: event.TopicSplit, ActorID: a.ID, ForumID: src.ForumID, TopicID: topicID,
				Visibility: strictest(forumVisibility(src.Forum), vis),
				Payload:    map[string]any{"source_topic_id": topicID, "target_topic_id": t.ID, "posts": len(posts), "audit_id": id}},
		}, nil
	})
	return newID, err
}

// putBack returns posts to where the audit log says they were, undoing a
// merge or a split; the topic they came out of is restored, the one they
// went into (a split's new topic) deleted when it is left empty.
func (s *Service) putBack(ctx context.Context, a authz.Actor, orig *ent.AuditEntry, action string, reason string) error {
	places, err := placementsOf(orig.Before)
	if err != nil || len(places) == 0 {
		return apperr.Conflict("not_reversible", "this entry does not record where the posts were")
	}
	origTopic := places[0].TopicID
	srcTG, err := s.topicTarget(ctx, a, origTopic)
	if err != nil {
		return err
	}
	return s.tx(ctx, action, func(tx *ent.Tx) ([]event.Event, error) {
		ids := make([]int, len(places))
		for i, p := range places {
			ids[i] = p.PostID
		}
		now, err := tx.Post.Query().Where(post.IDIn(ids...)).All(ctx)
		if err != nil {
			return nil, err
		}
		touched := map[int]bool{origTopic: true}
		for _, p := range now {
			touched[p.TopicID] = true
		}
		// Two passes: first out of the way (negative numbers are never
		// used), then into place, so no (topic, number) pair collides.
		for i, p := range places {
			if err := tx.Post.UpdateOneID(p.PostID).SetPostNumber(-(i + 1)).Exec(ctx); err != nil {
				return nil, err
			}
		}
		for _, p := range places {
			if err := tx.Post.UpdateOneID(p.PostID).SetTopicID(p.TopicID).SetPostNumber(p.PostNumber).Exec(ctx); err != nil {
				return nil, err
			}
		}
		if err := tx.Topic.UpdateOneID(origTopic).ClearDeletedAt().Exec(ctx); err != nil {
			return nil, err
		}
		var other int
		forums := []int{srcTG.ForumID}
		for tid := range touched {
			if tid == origTopic {
				continue
			}
			other = tid
			left, err := tx.Post.Query().Where(post.TopicID(tid)).Count(ctx)
			if err != nil {
				return nil, err
			}
			t, err := tx.Topic.Get(ctx, tid)
			if err != nil {
				return nil, err
			}
			forums = append(forums, t.ForumID)
			if left == 0 && t.DeletedAt == nil {
				if err := tx.Topic.UpdateOneID(tid).SetDeletedAt(s.now()).Exec(ctx); err != nil {
					return nil, err
				}
			}
		}
		tids := make([]int, 0, len(touched))
		for tid := range touched {
			tids = append(tids, tid)
		}
		if err := recountTopics(ctx, tx, tids...); err != nil {
			return nil, err
		}
		if err := recountForums(ctx, tx, forums...); err != nil {
			return nil, err
		}
		id, err := s.appendAudit(ctx, tx, entry{actor: a.ID, action: action, targetType: TargetTopic, targetID: origTopic, forumID: srcTG.ForumID,
			reason: reason, before: orig.After, after: map[string]any{"placements": places}, reverts: orig.ID})
		if err != nil {
			return nil, err
		}
		// Posts left other for origTopic: for search and feeds, a split.
		return []event.Event{{Type: event.TopicSplit, ActorID: a.ID, ForumID: srcTG.ForumID, TopicID: origTopic,
			Visibility: forumVisibility(srcTG.Forum),
			Payload:    map[string]any{"source_topic_id": other, "target_topic_id": origTopic, "posts": len(places), "audit_id": id, "reverts": orig.ID}}}, nil
	})
}

func placementsOf(m map[string]any) ([]placement, error) {
	raw, ok := m["placements"].([]any)
	if !ok {
		return nil, apperr.Conflict("not_reversible", "no placements")
	}
	out := make([]placement, 0, len(raw))
	for _, r := range raw {
		p, _ := r.(map[string]any)
		out = append(out, placement{PostID: intOf(p["post_id"]), TopicID: intOf(p["topic_id"]), PostNumber: intOf(p["post_number"])})
	}
	return out, nil
}

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

func dedupe(ids []int) []int {
	seen := map[int]bool{}
	var out []int
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// recountTopics recomputes the counters of topics from their posts, after
// posts moved between them.
func recountTopics(ctx context.Context, tx *ent.Tx, ids ...int) error {
	for _, id := range dedupe(ids) {
		all, err := tx.Post.Query().Where(post.TopicID(id)).Order(ent.Asc(post.FieldPostNumber)).
			Select(post.FieldUserID, post.FieldPostNumber, post.FieldCreatedAt, post.FieldDeletedAt, post.FieldPending, post.FieldReactionCount).All(ctx)
		if err != nil {
			return err
		}
		highest, visible, reactions := 0, 0, 0
		users := map[int]bool{}
		up := tx.Topic.UpdateOneID(id)
		for _, p := range all {
			highest = max(highest, p.PostNumber)
			if p.DeletedAt != nil || p.Pending {
				continue
			}
			visible++
			reactions += p.ReactionCount
			users[p.UserID] = true
			up.SetLastPostedAt(p.CreatedAt).SetLastPosterID(p.UserID)
		}
		if err := up.SetHighestPostNumber(highest).SetReplyCount(max(visible-1, 0)).
			SetParticipantCount(max(len(users), 1)).SetReactionCount(reactions).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

// recountForums recomputes forums' topic and post counts.
func recountForums(ctx context.Context, tx *ent.Tx, ids ...int) error {
	sort.Ints(ids)
	for _, id := range dedupe(ids) {
		live := func(s *sql.Selector) {
			s.Where(sql.And(sql.EQ(s.C(topic.FieldForumID), id), sql.IsNull(s.C(topic.FieldDeletedAt)), sql.IsNull(s.C(topic.FieldHiddenAt))))
		}
		topics, err := tx.Topic.Query().Where(live).Count(ctx)
		if err != nil {
			return err
		}
		posts, err := tx.Post.Query().Where(post.DeletedAtIsNil(), post.Pending(false), post.HasTopicWith(live)).Count(ctx)
		if err != nil {
			return err
		}
		if err := tx.Forum.UpdateOneID(id).SetTopicCount(topics).SetPostCount(posts).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}
