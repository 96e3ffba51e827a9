package forum

import (
	"context"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/post"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/event"
)

// Screener checks what a member writes before it is stored: auto-moderation
// rules, rate limits, duplicate and spam detection. The moderation service
// implements it; forum only declares what it needs.
//
// Screen returns an apperr error to refuse the text (422 for a blocked
// word, 429 with Retry-After for a rate limit), or a Verdict.
type Screener interface {
	Screen(ctx context.Context, a authz.Actor, d Draft) (Verdict, error)
}

// Draft kinds.
const (
	DraftTopic = "topic" // a new topic's title and opening post
	DraftReply = "reply" // a new reply
	DraftEdit  = "edit"  // a changed post
)

// Draft is text about to be stored.
type Draft struct {
	Kind    string
	ForumID int
	TopicID int // 0 for a new topic
	PostID  int // the edited post
	Title   string
	Body    string
}

// Verdict is what screening decided for a draft that may be stored.
type Verdict struct {
	Title, Body string // the text to store (rules may have replaced words)
	// Hold stores the post pending a moderator's approval: only its author
	// and the forum's moderators see it until then.
	Hold bool
	// Review stores the post as usual and queues it for review.
	Review bool
	// Reasons say which rules fired, for the review queue.
	Reasons []string
}

// screen runs the screener, if any; without one every draft passes as is.
func (s *Service) screen(ctx context.Context, a authz.Actor, d Draft) (Verdict, error) {
	if s.screener == nil || a.Staff() {
		return Verdict{Title: d.Title, Body: d.Body}, nil
	}
	return s.screener.Screen(ctx, a, d)
}

// screenedPayload is the payload of post.screened.
func screenedPayload(p *ent.Post, v Verdict, kind, title string) map[string]any {
	reasons := v.Reasons
	if reasons == nil {
		reasons = []string{}
	}
	return map[string]any{"held": v.Hold, "reasons": reasons, "draft": kind, "post_number": p.PostNumber,
		"excerpt": p.Excerpt, "topic_title": title, "author_id": p.UserID}
}

type txHookKey struct{}

// TxHook runs inside a forum write's transaction, after the change and
// before its events are recorded.
type TxHook func(ctx context.Context, tx *ent.Tx) error

// WithTxHook returns a context whose forum writes also run fn in their
// transaction. Moderation appends its audit entry this way, so an action
// and its audit record commit together or not at all.
func WithTxHook(ctx context.Context, fn TxHook) context.Context {
	return context.WithValue(ctx, txHookKey{}, fn)
}

func txHookOf(ctx context.Context) TxHook {
	fn, _ := ctx.Value(txHookKey{}).(TxHook)
	return fn
}

// PublishPost approves a post held for approval (the forum's moderators):
// it becomes visible and counted, and its topic.created and post.created
// events go out now, so notifications, search and live feeds see it only
// from here on. Publishing a published post changes nothing.
func (s *Service) PublishPost(ctx context.Context, a authz.Actor, postID int) (*ent.Post, error) {
	p, tv, err := s.postInTopic(ctx, a, postID)
	if err != nil {
		return nil, err
	}
	if !authz.CanModerateTopic(a, tv.ForumID) {
		return nil, apperr.Forbidden("forbidden", "only the forum's moderators approve posts")
	}
	if !p.Pending {
		return p, nil
	}
	f := tv.Edges.Forum
	r := s.render.Render(p.Source)
	err = s.tx(ctx, "approve post", func(tx *ent.Tx) ([]event.Event, error) {
		n, err := tx.Post.Update().Where(post.ID(p.ID), post.Pending(true)).SetPending(false).Save(ctx)
		if err != nil || n == 0 {
			return nil, err
		}
		p.Pending = false
		if p.DeletedAt != nil {
			return nil, nil // approved, but it stays deleted and uncounted
		}
		last := p.CreatedAt
		if tv.LastPostedAt.After(last) {
			last = tv.LastPostedAt
		}
		vis := forumVisibility(f)
		var evs []event.Event
		if p.PostNumber == 1 {
			up := tx.Topic.UpdateOneID(p.TopicID)
			if p.HiddenAt == nil {
				up.ClearHiddenAt()
			}
			if err := up.Exec(ctx); err != nil {
				return nil, err
			}
			if err := tx.Forum.UpdateOneID(f.ID).AddTopicCount(1).AddPostCount(1).SetLastPostedAt(last).Exec(ctx); err != nil {
				return nil, err
			}
			evs = append(evs, event.Event{Type: event.TopicCreated, ActorID: p.UserID, ForumID: f.ID, TopicID: p.TopicID, PostID: p.ID,
				Visibility: vis, Payload: map[string]any{"title": tv.Title, "kind": string(tv.Kind), "tags": nonNilStrings(tv.Tags)}})
		} else {
			if err := tx.Topic.UpdateOneID(p.TopicID).AddReplyCount(1).SetLastPostedAt(last).SetLastPosterID(p.UserID).Exec(ctx); err != nil {
				return nil, err
			}
			if err := tx.Forum.UpdateOneID(f.ID).AddPostCount(1).SetLastPostedAt(last).Exec(ctx); err != nil {
				return nil, err
			}
		}
		rf, err := resolveRefs(ctx, tx, r)
		if err != nil {
			return nil, err
		}
		if p.HiddenAt != nil {
			vis = event.Staff
		}
		return append(evs,
			event.Event{Type: event.PostCreated, ActorID: p.UserID, ForumID: f.ID, TopicID: p.TopicID, PostID: p.ID,
				Visibility: vis, Payload: postPayload(p, rf, tv.Title)},
			event.Event{Type: event.PostApproved, ActorID: a.ID, ForumID: f.ID, TopicID: p.TopicID, PostID: p.ID, UserID: p.UserID,
				Visibility: event.UserOnly(p.UserID), Payload: map[string]any{"post_number": p.PostNumber, "topic_title": tv.Title}},
		), nil
	})
	if err != nil {
		return nil, err
	}
	return s.db.Post.Get(ctx, postID)
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
