package moderation

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/flag"
	"github.com/crn-dev/crn/ent/reviewitem"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/database"
	"github.com/crn-dev/crn/internal/event"
)

// FlagInput is a member's report.
type FlagInput struct {
	TargetType string
	TargetID   int
	Reason     string
	Text       string
}

// MaxFlagText is the longest explanation a flag may carry, in characters.
const MaxFlagText = 1000

var flagReasons = map[string]bool{"spam": true, "off_topic": true, "inappropriate": true, "harassment": true, "other": true}

// Flag records a member's flag on an item they can see. The item joins the
// review queue; once the weight of its flags reaches the threshold, it is
// hidden pending review and its author told.
func (s *Service) Flag(ctx context.Context, a authz.Actor, in FlagInput) (*ent.Flag, error) {
	if err := requireActor(a, authz.CanFlag(a), "your account may not flag right now"); err != nil {
		return nil, err
	}
	in.Text = strings.TrimSpace(in.Text)
	problems := map[string]string{}
	if !flagReasons[in.Reason] {
		problems["reason"] = "must be spam, off_topic, inappropriate, harassment or other"
	}
	if in.Reason == "other" && in.Text == "" {
		problems["text"] = "say what is wrong when the reason is other"
	}
	if !utf8.ValidString(in.Text) || utf8.RuneCountInString(in.Text) > MaxFlagText {
		problems["text"] = "must be valid text of at most 1000 characters"
	}
	if in.TargetID <= 0 {
		problems["target_id"] = "is required"
	}
	if len(problems) > 0 {
		return nil, apperr.Validation(problems)
	}
	tg, err := s.resolve(ctx, a, in.TargetType, in.TargetID)
	if err != nil {
		return nil, err
	}
	if tg.AuthorID == a.ID {
		return nil, apperr.Conflict("own_content", "you cannot flag your own content or yourself")
	}
	if tg.Type == TargetPost && (tg.Post.DeletedAt != nil) {
		return nil, apperr.Conflict("post_deleted", "the post is deleted already")
	}
	if tg.Type == TargetResource && tg.Resource.DeletedAt != nil {
		return nil, apperr.Conflict("resource_deleted", "the resource is deleted already")
	}
	c, err := s.load(ctx)
	if err != nil {
		return nil, err
	}
	st := c.settings
	weight := st.Flags.Weights[min(max(a.TrustLevel, 0), 4)]
	if a.Staff() {
		weight = st.Flags.StaffWeight
	}
	var f *ent.Flag
	err = s.tx(ctx, "flag", func(tx *ent.Tx) ([]event.Event, error) {
		exists, err := tx.Flag.Query().Where(flag.TargetTypeEQ(flag.TargetType(tg.Type)), flag.TargetID(tg.ID), flag.UserID(a.ID)).Exist(ctx)
		if err != nil {
			return nil, err
		}
		if exists {
			return nil, apperr.Conflict("already_flagged", "you flagged this already")
		}
		item, created, err := s.openItem(ctx, tx, tg, reviewitem.KindFlagged, "flag: "+in.Reason, weight)
		if err != nil {
			return nil, err
		}
		f, err = tx.Flag.Create().SetTargetType(flag.TargetType(tg.Type)).SetTargetID(tg.ID).SetUserID(a.ID).
			SetReason(flag.Reason(in.Reason)).SetText(in.Text).SetWeight(weight).SetReviewItemID(item.ID).SetCreatedAt(s.now()).Save(ctx)
		if err != nil {
			if database.IsUnique(err) {
				return nil, apperr.Conflict("already_flagged", "you flagged this already")
			}
			return nil, err
		}
		evs := []event.Event{
			{Type: event.FlagCreated, ActorID: a.ID, ForumID: tg.ForumID, UserID: tg.AuthorID, Visibility: event.Staff,
				Payload: map[string]any{"flag_id": f.ID, "target_type": tg.Type, "target_id": tg.ID, "reason": in.Reason, "weight": weight, "item_id": item.ID, "group_id": deref(item.GroupID)}},
			queueEvent(item, changeOf(created, "flagged")),
		}
		if item.Score >= st.Flags.HideThreshold && !tg.hidden() && tg.Type != TargetUser &&
			!(tg.Type == TargetResource && s.resources == nil) {
			hev, err := s.setHidden(ctx, tx, 0, tg, true, reasonFlagged)
			if err != nil {
				return nil, err
			}
			if _, err := s.appendAudit(ctx, tx, entry{action: hideAction(tg, true), targetType: auditType(tg), targetID: auditID(tg), forumID: tg.ForumID, groupID: tg.GroupID,
				reason: "flag weight reached the threshold", before: map[string]any{"hidden": false}, after: map[string]any{"hidden": true, "item_id": item.ID}}); err != nil {
				return nil, err
			}
			evs = append(evs, hev...)
		}
		return evs, nil
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}

// auditType and auditID name what hiding a target changes: the post (a
// topic is hidden through its opening post) or the resource.
func auditType(tg *target) string {
	if tg.Type == TargetTopic {
		return TargetPost
	}
	return tg.Type
}

func auditID(tg *target) int {
	if tg.Type == TargetTopic && tg.Post != nil {
		return tg.Post.ID
	}
	return tg.ID
}

func changeOf(created bool, what string) string {
	if created {
		return "created"
	}
	return what
}

// openItem returns the open review item of the target, creating it when
// there is none, with reason added and score increased by weight.
func (s *Service) openItem(ctx context.Context, tx *ent.Tx, tg *target, kind reviewitem.Kind, reason string, weight int) (*ent.ReviewItem, bool, error) {
	q := tx.ReviewItem.Query().Where(reviewitem.TargetTypeEQ(reviewitem.TargetType(tg.Type)), reviewitem.TargetID(tg.ID),
		reviewitem.StatusEQ(reviewitem.StatusOpen))
	if s.postgres {
		q.ForUpdate() // SQLite has one writer at a time already
	}
	item, err := q.First(ctx)
	if err != nil && !ent.IsNotFound(err) {
		return nil, false, err
	}
	if item == nil {
		c := tx.ReviewItem.Create().SetTargetType(reviewitem.TargetType(tg.Type)).SetTargetID(tg.ID).SetKind(kind).
			SetReasons([]string{reason}).SetScore(weight).SetCreatedAt(s.now()).SetUpdatedAt(s.now())
		if tg.ForumID != 0 {
			c.SetForumID(tg.ForumID)
		}
		group := tg.GroupID
		if group == 0 && tg.ForumID != 0 {
			if group, err = groupOfForum(ctx, tx, tg.ForumID); err != nil {
				return nil, false, err
			}
		}
		if group != 0 {
			c.SetGroupID(group)
		}
		if tg.AuthorID != 0 {
			c.SetAuthorID(tg.AuthorID)
		}
		item, err = c.Save(ctx)
		return item, true, err
	}
	reasons := item.Reasons
	if !contains(reasons, reason) {
		reasons = append(reasons, reason)
	}
	up := tx.ReviewItem.UpdateOneID(item.ID).SetReasons(reasons).AddScore(weight).SetUpdatedAt(s.now())
	if kind == reviewitem.KindHeld {
		up.SetKind(kind) // waiting for approval is what matters most
	}
	item, err = up.Save(ctx)
	return item, false, err
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// queueEvent tells the moderation channel that an item changed.
func queueEvent(item *ent.ReviewItem, change string) event.Event {
	fid := 0
	if item.ForumID != nil {
		fid = *item.ForumID
	}
	p := map[string]any{"item_id": item.ID, "change": change, "status": string(item.Status), "kind": string(item.Kind),
		"target_type": string(item.TargetType), "target_id": item.TargetID, "score": item.Score}
	if item.GroupID != nil {
		// The moderation channel passes the event to the group's
		// moderators (realtime). Not Event.GroupID: that would put a
		// staff event into the group's activity feed.
		p["group_id"] = *item.GroupID
	}
	return event.Event{Type: event.ModerationQueueUpdate, ForumID: fid, Visibility: event.Staff, Payload: p}
}
