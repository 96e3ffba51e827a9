package moderation

import (
	"context"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/forum"
	"github.com/crn-dev/crn/ent/post"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/event"
)

// Target types.
const (
	TargetPost     = "post"
	TargetTopic    = "topic"
	TargetResource = "resource"
	TargetUser     = "user"
)

// target is something flagged or acted on, with its scope and author.
type target struct {
	Type     string
	ID       int
	ForumID  int // 0 outside forums
	GroupID  int // the group of the forum or resource; 0 outside groups
	AuthorID int
	Post     *ent.Post // for topics, the opening post
	Topic    *ent.Topic
	Forum    *ent.Forum
	User     *ent.User
	Resource *ent.Resource
}

// resolve loads a target the actor may see.
func (s *Service) resolve(ctx context.Context, a authz.Actor, typ string, id int) (*target, error) {
	tg := &target{Type: typ, ID: id}
	switch typ {
	case TargetPost:
		p, err := s.db.Post.Get(ctx, id)
		if ent.IsNotFound(err) {
			return nil, notFound("post")
		}
		if err != nil {
			return nil, apperr.Internal("load post", err)
		}
		if err := s.loadTopic(ctx, a, tg, p.TopicID); err != nil {
			if apperr.Is(err, apperr.KindNotFound) {
				return nil, notFound("post")
			}
			return nil, err
		}
		if !authz.CanSeePost(a, tg.ForumID, p) {
			return nil, notFound("post")
		}
		tg.Post, tg.AuthorID = p, p.UserID
	case TargetTopic:
		if err := s.loadTopic(ctx, a, tg, id); err != nil {
			return nil, err
		}
		first, err := s.db.Post.Query().Where(post.TopicID(id), post.PostNumber(1)).Only(ctx)
		if err != nil && !ent.IsNotFound(err) {
			return nil, apperr.Internal("load topic", err)
		}
		tg.Post, tg.AuthorID = first, tg.Topic.UserID
	case TargetUser:
		u, err := s.db.User.Get(ctx, id)
		if ent.IsNotFound(err) {
			return nil, notFound("user")
		}
		if err != nil {
			return nil, apperr.Internal("load user", err)
		}
		tg.User, tg.AuthorID = u, u.ID
	case TargetResource:
		if s.resources == nil {
			return nil, notFound("resource")
		}
		r, err := s.resources.ModerationTarget(ctx, a, id)
		if err != nil {
			return nil, err
		}
		tg.Resource, tg.AuthorID = r, r.UserID
		if r.GroupID != nil {
			tg.GroupID = *r.GroupID
		}
	default:
		return nil, apperr.Validation(map[string]string{"target_type": "must be post, topic, resource or user"})
	}
	return tg, nil
}

func (s *Service) loadTopic(ctx context.Context, a authz.Actor, tg *target, topicID int) error {
	t, err := s.db.Topic.Query().Where(topicIs(topicID)).WithForum().Only(ctx)
	if ent.IsNotFound(err) {
		return notFound("topic")
	}
	if err != nil {
		return apperr.Internal("load topic", err)
	}
	if !authz.CanReadForum(a, t.Edges.Forum) || !authz.CanSeeTopic(a, t) {
		return notFound("topic")
	}
	tg.Topic, tg.Forum, tg.ForumID = t, t.Edges.Forum, t.ForumID
	if g := t.Edges.Forum.GroupID; g != nil {
		tg.GroupID = *g
	}
	return nil
}

// forumVisibility is who may see events about content of f.
func forumVisibility(f *ent.Forum) string {
	if f != nil && f.ReadVisibility == forum.ReadVisibilityMembers {
		return event.Members
	}
	return event.Public
}

// hidden reports whether the target is hidden by moderation now.
func (tg *target) hidden() bool {
	if tg.Resource != nil {
		return tg.Resource.HiddenAt != nil
	}
	return tg.Post != nil && tg.Post.HiddenAt != nil
}

// hiddenBy reports whether the target is hidden with the given reason.
func (tg *target) hiddenBy(reason string) bool {
	if tg.Resource != nil {
		return tg.Resource.HiddenAt != nil && tg.Resource.HiddenReason == reason
	}
	return tg.Post != nil && tg.Post.HiddenAt != nil && tg.Post.HiddenReason == reason
}

// hideAction is the audit action of hiding (hide) or showing the target.
func hideAction(tg *target, hide bool) string {
	switch {
	case tg.Type == TargetResource && hide:
		return ActResourceHide
	case tg.Type == TargetResource:
		return ActResourceUnhide
	case hide:
		return ActPostHide
	}
	return ActPostUnhide
}

// setHidden hides or shows a post target (for a topic, its opening post and
// with it the topic) in tx, returning the events to record.
func (s *Service) setHidden(ctx context.Context, tx *ent.Tx, actorID int, tg *target, hide bool, reason string) ([]event.Event, error) {
	if tg.Type == TargetResource {
		evs, err := s.resources.SetHidden(ctx, tx, actorID, tg.ID, hide, reason)
		if err != nil {
			return nil, err
		}
		if hide {
			now := s.now()
			tg.Resource.HiddenAt, tg.Resource.HiddenReason = &now, reason
		} else {
			tg.Resource.HiddenAt, tg.Resource.HiddenReason = nil, ""
		}
		return evs, nil
	}
	p := tg.Post
	if p == nil {
		return nil, apperr.Conflict("not_hideable", "only posts, topics and resources can be hidden")
	}
	now := s.now()
	up := tx.Post.UpdateOneID(p.ID)
	typ := event.PostHidden
	if hide {
		up.SetHiddenAt(now).SetHiddenReason(truncate(reason, 400))
	} else {
		up.ClearHiddenAt().SetHiddenReason("")
		typ = event.PostUnhidden
	}
	if err := up.Exec(ctx); err != nil {
		return nil, err
	}
	if p.PostNumber == 1 {
		tu := tx.Topic.UpdateOneID(p.TopicID)
		switch {
		case hide:
			tu.SetHiddenAt(now)
		case !p.Pending:
			tu.ClearHiddenAt()
		}
		if err := tu.Exec(ctx); err != nil {
			return nil, err
		}
	}
	if hide {
		p.HiddenAt, p.HiddenReason = &now, reason
	} else {
		p.HiddenAt, p.HiddenReason = nil, ""
	}
	// The event carries no content: clients drop or restore the post, and
	// the author is told (notifications).
	return []event.Event{{Type: typ, ActorID: actorID, ForumID: tg.ForumID, TopicID: p.TopicID, PostID: p.ID, UserID: p.UserID,
		Visibility: forumVisibility(tg.Forum), Payload: map[string]any{"post_number": p.PostNumber, "topic_title": tg.Topic.Title}}}, nil
}
