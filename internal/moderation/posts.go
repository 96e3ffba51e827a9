package moderation

import (
	"context"
	"strings"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/event"
	"github.com/crn-dev/crn/internal/forum"
)

// MaxReason is the longest reason a moderator may give, in bytes.
const MaxReason = 4000

func checkReason(reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	if len(reason) > MaxReason {
		return "", apperr.Validation(map[string]string{"reason": "is longer than 4000 bytes"})
	}
	return reason, nil
}

// postTarget loads a post a moderator of its forum acts on.
func (s *Service) postTarget(ctx context.Context, a authz.Actor, postID int) (*target, error) {
	tg, err := s.resolve(ctx, a, TargetPost, postID)
	if err != nil {
		return nil, err
	}
	if err := requireActor(a, authz.CanModerateScope(a, tg.ForumID), "you do not moderate this forum"); err != nil {
		return nil, err
	}
	return tg, nil
}

// HidePost hides a post (for the opening post, its topic) from everyone
// but its author and the forum's moderators, and tells the author.
func (s *Service) HidePost(ctx context.Context, a authz.Actor, postID int, reason string) error {
	return s.setPostHidden(ctx, a, postID, true, reason, 0)
}

// UnhidePost shows a hidden post again.
func (s *Service) UnhidePost(ctx context.Context, a authz.Actor, postID int, reason string) error {
	return s.setPostHidden(ctx, a, postID, false, reason, 0)
}

func (s *Service) setPostHidden(ctx context.Context, a authz.Actor, postID int, hide bool, reason string, reverts int) error {
	reason, err := checkReason(reason)
	if err != nil {
		return err
	}
	tg, err := s.postTarget(ctx, a, postID)
	if err != nil {
		return err
	}
	if tg.hidden() == hide {
		return nil // already so
	}
	action := ActPostUnhide
	if hide {
		action = ActPostHide
	}
	return s.tx(ctx, action, func(tx *ent.Tx) ([]event.Event, error) {
		evs, err := s.setHidden(ctx, tx, a.ID, tg, hide, reason)
		if err != nil {
			return nil, err
		}
		if _, err := s.appendAudit(ctx, tx, entry{actor: a.ID, action: action, targetType: TargetPost, targetID: postID, forumID: tg.ForumID,
			reason: reason, before: map[string]any{"hidden": !hide}, after: map[string]any{"hidden": hide}, reverts: reverts}); err != nil {
			return nil, err
		}
		if !hide {
			// Showing a post the community hid dismisses its open flags.
			more, err := s.resolveItems(ctx, tx, a.ID, TargetPost, postID, "unhidden", "dismissed")
			if err != nil {
				return nil, err
			}
			evs = append(evs, more...)
		}
		return evs, nil
	})
}

// auditHook returns ctx carrying an audit entry for the forum to append in
// its own transaction.
func (s *Service) auditHook(ctx context.Context, e entry) context.Context {
	return forum.WithTxHook(ctx, func(ctx context.Context, tx *ent.Tx) error {
		_, err := s.appendAudit(ctx, tx, e)
		return err
	})
}

// ApprovePost publishes a post held for approval.
func (s *Service) ApprovePost(ctx context.Context, a authz.Actor, postID int, reason string) error {
	reason, err := checkReason(reason)
	if err != nil {
		return err
	}
	tg, err := s.postTarget(ctx, a, postID)
	if err != nil {
		return err
	}
	if !tg.Post.Pending {
		return nil
	}
	ctx = s.auditHook(ctx, entry{actor: a.ID, action: ActPostApprove, targetType: TargetPost, targetID: postID, forumID: tg.ForumID,
		reason: reason, before: map[string]any{"pending": true}, after: map[string]any{"pending": false}})
	_, err = s.posts.PublishPost(ctx, a, postID)
	return err
}

// DeletePost soft-deletes a post as a moderator; RestorePost undoes it.
func (s *Service) DeletePost(ctx context.Context, a authz.Actor, postID int, reason string) error {
	return s.deletePost(ctx, a, postID, reason, 0)
}

func (s *Service) deletePost(ctx context.Context, a authz.Actor, postID int, reason string, reverts int) error {
	reason, err := checkReason(reason)
	if err != nil {
		return err
	}
	tg, err := s.postTarget(ctx, a, postID)
	if err != nil {
		return err
	}
	if tg.Post.DeletedAt != nil {
		return nil
	}
	ctx = s.auditHook(ctx, entry{actor: a.ID, action: ActPostDelete, targetType: TargetPost, targetID: postID, forumID: tg.ForumID,
		reason: reason, before: map[string]any{"deleted": false}, after: map[string]any{"deleted": true}, reverts: reverts})
	return s.posts.DeletePost(ctx, a, postID)
}

// RestorePost brings back a deleted post.
func (s *Service) RestorePost(ctx context.Context, a authz.Actor, postID int, reason string) error {
	return s.restorePost(ctx, a, postID, reason, 0)
}

func (s *Service) restorePost(ctx context.Context, a authz.Actor, postID int, reason string, reverts int) error {
	reason, err := checkReason(reason)
	if err != nil {
		return err
	}
	tg, err := s.postTarget(ctx, a, postID)
	if err != nil {
		return err
	}
	if tg.Post.DeletedAt == nil {
		return nil
	}
	ctx = s.auditHook(ctx, entry{actor: a.ID, action: ActPostRestore, targetType: TargetPost, targetID: postID, forumID: tg.ForumID,
		reason: reason, before: map[string]any{"deleted": true}, after: map[string]any{"deleted": false}, reverts: reverts})
	_, err = s.posts.RestorePost(ctx, a, postID)
	return err
}

// EditPost changes a post's text as a moderator; the forum keeps the
// revision, the audit log both versions.
func (s *Service) EditPost(ctx context.Context, a authz.Actor, postID int, body, reason string) error {
	return s.editPost(ctx, a, postID, body, reason, 0)
}

func (s *Service) editPost(ctx context.Context, a authz.Actor, postID int, body, reason string, reverts int) error {
	reason, err := checkReason(reason)
	if err != nil {
		return err
	}
	tg, err := s.postTarget(ctx, a, postID)
	if err != nil {
		return err
	}
	if body == tg.Post.Source {
		return nil
	}
	ctx = s.auditHook(ctx, entry{actor: a.ID, action: ActPostEdit, targetType: TargetPost, targetID: postID, forumID: tg.ForumID,
		reason: reason, before: map[string]any{"source": tg.Post.Source}, after: map[string]any{"source": body}, reverts: reverts})
	_, err = s.posts.EditPost(ctx, a, postID, body)
	return err
}
