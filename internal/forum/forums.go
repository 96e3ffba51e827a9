package forum

import (
	"context"
	"strings"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/forum"
	"github.com/crn-dev/crn/ent/group"
	"github.com/crn-dev/crn/ent/user"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/event"
)

// ForumInput creates a forum; on update, nil fields are left alone.
type ForumInput struct {
	Name           *string
	Slug           *string
	Description    *string
	Position       *int
	ParentID       *int // 0 clears the parent
	ReadVisibility *string
	TopicPolicy    *string
	TopicMinTrust  *int
	ReplyPolicy    *string
	ReplyMinTrust  *int
	Moderators     *[]string // usernames of the forum's moderators
	// GroupID puts a new forum in a group's space (create only); its
	// owners may then manage it. Ignored on update.
	GroupID int
	Kind    *string // discussion (default) or feedback (a feedback board)
}

// Forums lists the community forums (those outside any group) the actor
// may read, by parent and position; GroupForums lists a group's.
func (s *Service) Forums(ctx context.Context, a authz.Actor) ([]*ent.Forum, error) {
	fs, err := s.db.Forum.Query().Where(authz.ReadableForums(a), forum.GroupIDIsNil()).
		Order(ent.Asc(forum.FieldPosition), ent.Asc(forum.FieldID)).All(ctx)
	if err != nil {
		return nil, apperr.Internal("list forums", err)
	}
	return fs, nil
}

// Forum returns one forum the actor may read, with its moderators.
func (s *Service) Forum(ctx context.Context, a authz.Actor, id int) (*ent.Forum, error) {
	return s.forum(ctx, a, id, true)
}

// forum loads a readable forum; the moderators only when asked, since most
// callers need the forum for its rules alone.
func (s *Service) forum(ctx context.Context, a authz.Actor, id int, moderators bool) (*ent.Forum, error) {
	q := s.db.Forum.Query().Where(forum.ID(id)).WithGroup()
	if moderators {
		q = q.WithModerators()
	}
	f, err := q.Only(ctx)
	if ent.IsNotFound(err) {
		return nil, notFound("forum")
	}
	if err != nil {
		return nil, apperr.Internal("get forum", err)
	}
	if !authz.CanReadForum(a, f) {
		return nil, notFound("forum")
	}
	return f, nil
}

func (s *Service) checkForum(in ForumInput, creating bool) map[string]string {
	problems := map[string]string{}
	if creating && in.Name == nil {
		problems["name"] = "is required"
	}
	if in.Name != nil {
		checkText("name", *in.Name, 1, 100, false, problems)
	}
	if in.Slug != nil && (len(*in.Slug) > 64 || !slugRE.MatchString(*in.Slug)) {
		problems["slug"] = "must be 1 to 64 lowercase letters, digits and single dashes"
	}
	if in.Description != nil {
		checkText("description", *in.Description, 0, 2000, true, problems)
	}
	if in.ReadVisibility != nil && forum.ReadVisibilityValidator(forum.ReadVisibility(*in.ReadVisibility)) != nil {
		problems["read_visibility"] = "must be public or members"
	}
	if in.TopicPolicy != nil && forum.TopicPolicyValidator(forum.TopicPolicy(*in.TopicPolicy)) != nil {
		problems["topic_policy"] = "must be everyone, trust or staff"
	}
	if in.ReplyPolicy != nil && forum.ReplyPolicyValidator(forum.ReplyPolicy(*in.ReplyPolicy)) != nil {
		problems["reply_policy"] = "must be everyone, trust or staff"
	}
	for name, v := range map[string]*int{"topic_min_trust": in.TopicMinTrust, "reply_min_trust": in.ReplyMinTrust} {
		if v != nil && (*v < 0 || *v > 4) {
			problems[name] = "must be a trust level from 0 to 4"
		}
	}
	if in.Kind != nil && forum.KindValidator(forum.Kind(*in.Kind)) != nil {
		problems["kind"] = "must be discussion or feedback"
	}
	if in.Moderators != nil && len(*in.Moderators) > 100 {
		problems["moderators"] = "at most 100 moderators"
	}
	return problems
}

// slugify derives a URL slug from a name; names in other scripts fall back to "forum".
func slugify(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
	}
	s := strings.Trim(b.String(), "-")
	if len(s) > 50 {
		s = strings.Trim(s[:50], "-")
	}
	if s == "" {
		s = "forum"
	}
	return s
}

// CreateForum creates a forum: administrators anywhere, group owners in
// their group (in.GroupID).
func (s *Service) CreateForum(ctx context.Context, a authz.Actor, in ForumInput) (*ent.Forum, error) {
	if in.GroupID != 0 {
		if !authz.CanManageGroup(a, in.GroupID) {
			return nil, apperr.Forbidden("forbidden", "only the group's owners manage its forums")
		}
	} else if !authz.CanManageForums(a) {
		return nil, apperr.Forbidden("forbidden", "only administrators manage forums")
	}
	if problems := s.checkForum(in, true); len(problems) > 0 {
		return nil, apperr.Validation(problems)
	}
	var f *ent.Forum
	err := s.tx(ctx, "create forum", func(tx *ent.Tx) ([]event.Event, error) {
		slug, err := s.freeSlug(ctx, tx, in)
		if err != nil {
			return nil, err
		}
		c := tx.Forum.Create().SetName(strings.TrimSpace(*in.Name)).SetSlug(slug)
		if in.GroupID != 0 {
			if ok, err := tx.Group.Query().Where(group.ID(in.GroupID), group.DeletedAtIsNil()).Exist(ctx); err != nil {
				return nil, err
			} else if !ok {
				return nil, notFound("group")
			}
			c.SetGroupID(in.GroupID)
		}
		if err := s.applyForum(ctx, tx, nil, c.Mutation(), in); err != nil {
			return nil, err
		}
		if f, err = c.Save(ctx); err != nil {
			return nil, err
		}
		if f, err = tx.Forum.Query().Where(forum.ID(f.ID)).WithGroup().Only(ctx); err != nil {
			return nil, err
		}
		return []event.Event{{Type: event.ForumCreated, ActorID: a.ID, ForumID: f.ID, Visibility: forumVisibility(f), Payload: map[string]any{"slug": f.Slug}}}, nil
	})
	if err != nil {
		return nil, err
	}
	return s.Forum(ctx, a, f.ID)
}

// freeSlug returns the slug a new forum gets: the one asked for, which must
// be free, or one derived from the name with a number added until it is free.
func (s *Service) freeSlug(ctx context.Context, tx *ent.Tx, in ForumInput) (string, error) {
	taken := func(slug string) (bool, error) { return tx.Forum.Query().Where(forum.Slug(slug)).Exist(ctx) }
	if in.Slug != nil {
		if t, err := taken(*in.Slug); err != nil || !t {
			return *in.Slug, err
		}
		e := apperr.Conflict("slug_taken", "another forum has that slug")
		e.Fields = map[string]string{"slug": "is already used"}
		return "", e
	}
	base := slugify(*in.Name)
	slug := base
	for n := 2; ; n++ {
		t, err := taken(slug)
		if err != nil || !t {
			return slug, err
		}
		slug = base + "-" + itoa(n)
	}
}

// UpdateForum changes a forum: administrators, and group owners their
// group's forums.
func (s *Service) UpdateForum(ctx context.Context, a authz.Actor, id int, in ForumInput) (*ent.Forum, error) {
	if err := s.canManageForum(ctx, a, id); err != nil {
		return nil, err
	}
	if problems := s.checkForum(in, false); len(problems) > 0 {
		return nil, apperr.Validation(problems)
	}
	err := s.tx(ctx, "update forum", func(tx *ent.Tx) ([]event.Event, error) {
		f, err := tx.Forum.Query().Where(forum.ID(id)).WithGroup().Only(ctx)
		if ent.IsNotFound(err) || (err == nil && f.DeletedAt != nil) {
			return nil, notFound("forum")
		}
		if err != nil {
			return nil, err
		}
		u := tx.Forum.UpdateOneID(id)
		if in.Name != nil {
			u.SetName(strings.TrimSpace(*in.Name))
		}
		if in.Slug != nil && *in.Slug != f.Slug {
			if exists, err := tx.Forum.Query().Where(forum.Slug(*in.Slug)).Exist(ctx); err != nil {
				return nil, err
			} else if exists {
				e := apperr.Conflict("slug_taken", "another forum has that slug")
				e.Fields = map[string]string{"slug": "is already used"}
				return nil, e
			}
			u.SetSlug(*in.Slug)
		}
		if err := s.applyForum(ctx, tx, f, u.Mutation(), in); err != nil {
			return nil, err
		}
		if _, err = u.Save(ctx); err != nil {
			return nil, err
		}
		if f, err = tx.Forum.Query().Where(forum.ID(id)).WithGroup().Only(ctx); err != nil {
			return nil, err
		}
		return []event.Event{{Type: event.ForumUpdated, ActorID: a.ID, ForumID: f.ID, Visibility: forumVisibility(f), Payload: map[string]any{"slug": f.Slug}}}, nil
	})
	if err != nil {
		return nil, err
	}
	return s.Forum(ctx, a, id)
}

// applyForum sets the optional fields of in on a create or update mutation.
func (s *Service) applyForum(ctx context.Context, tx *ent.Tx, current *ent.Forum, m *ent.ForumMutation, in ForumInput) error {
	if in.Description != nil {
		m.SetDescription(strings.TrimSpace(*in.Description))
	}
	if in.Position != nil {
		m.SetPosition(*in.Position)
	}
	if in.ReadVisibility != nil {
		m.SetReadVisibility(forum.ReadVisibility(*in.ReadVisibility))
	}
	if in.TopicPolicy != nil {
		m.SetTopicPolicy(forum.TopicPolicy(*in.TopicPolicy))
	}
	if in.TopicMinTrust != nil {
		m.SetTopicMinTrust(*in.TopicMinTrust)
	}
	if in.ReplyPolicy != nil {
		m.SetReplyPolicy(forum.ReplyPolicy(*in.ReplyPolicy))
	}
	if in.ReplyMinTrust != nil {
		m.SetReplyMinTrust(*in.ReplyMinTrust)
	}
	if in.Kind != nil && (current == nil || string(current.Kind) != *in.Kind) {
		// A board's topics are feedback items and a forum's are not: the
		// kind is chosen before the first topic and kept after.
		if current != nil && current.TopicCount > 0 {
			return apperr.Conflict("forum_not_empty", "the kind of a forum with topics cannot change")
		}
		m.SetKind(forum.Kind(*in.Kind))
	}
	if in.ParentID != nil {
		if *in.ParentID == 0 {
			m.ClearParentID()
		} else {
			p, err := tx.Forum.Get(ctx, *in.ParentID)
			if ent.IsNotFound(err) || (err == nil && p.DeletedAt != nil) {
				return apperr.Validation(map[string]string{"parent_id": "no such forum"})
			}
			if err != nil {
				return err
			}
			if p.ParentID != nil {
				return apperr.Validation(map[string]string{"parent_id": "sub-forums are one level deep: the parent must be a top-level forum"})
			}
			groupID, _ := m.GroupID()
			if current != nil && current.GroupID != nil {
				groupID = *current.GroupID
			}
			if (p.GroupID == nil && groupID != 0) || (p.GroupID != nil && *p.GroupID != groupID) {
				return apperr.Validation(map[string]string{"parent_id": "the parent must be in the same group"})
			}
			if current != nil {
				if p.ID == current.ID {
					return apperr.Validation(map[string]string{"parent_id": "a forum cannot be its own parent"})
				}
				if n, err := tx.Forum.Query().Where(forum.ParentID(current.ID)).Count(ctx); err != nil {
					return err
				} else if n > 0 {
					return apperr.Validation(map[string]string{"parent_id": "this forum has sub-forums, so it must stay top-level"})
				}
			}
			m.SetParentID(p.ID)
		}
	}
	if in.Moderators != nil {
		keys := make([]string, len(*in.Moderators))
		for i, u := range *in.Moderators {
			keys[i] = strings.ToLower(strings.TrimSpace(u))
		}
		users, err := tx.User.Query().Where(user.UsernameKeyIn(keys...)).All(ctx)
		if err != nil {
			return err
		}
		if len(users) != len(dedupe(keys)) {
			return apperr.Validation(map[string]string{"moderators": "some usernames do not exist"})
		}
		ids := make([]int, len(users))
		for i, u := range users {
			if u.Role != user.RoleModerator && u.Role != user.RoleAdmin {
				return apperr.Validation(map[string]string{"moderators": u.Username + " does not have the moderator role"})
			}
			ids[i] = u.ID
		}
		m.ClearModerators()
		m.AddModeratorIDs(ids...)
	}
	return nil
}

// DeleteForum hides a forum and its topics (administrators, and group
// owners their group's forums); nothing is removed from the database.
func (s *Service) DeleteForum(ctx context.Context, a authz.Actor, id int) error {
	if err := s.canManageForum(ctx, a, id); err != nil {
		return err
	}
	return s.tx(ctx, "delete forum", func(tx *ent.Tx) ([]event.Event, error) {
		f, err := tx.Forum.Query().Where(forum.ID(id)).WithGroup().Only(ctx)
		if ent.IsNotFound(err) || (err == nil && f.DeletedAt != nil) {
			return nil, notFound("forum")
		}
		if err != nil {
			return nil, err
		}
		if n, err := tx.Forum.Query().Where(forum.ParentID(id), forum.DeletedAtIsNil()).Count(ctx); err != nil {
			return nil, err
		} else if n > 0 {
			return nil, apperr.Conflict("forum_has_children", "delete or move its sub-forums first")
		}
		if err := tx.Forum.UpdateOneID(id).SetDeletedAt(s.now()).Exec(ctx); err != nil {
			return nil, err
		}
		return []event.Event{{Type: event.ForumDeleted, ActorID: a.ID, ForumID: id, Visibility: forumVisibility(f), Payload: map[string]any{"slug": f.Slug}}}, nil
	})
}

// canManageForum checks that a may change forum id: a forum they cannot
// read is not found, one they may not manage forbidden.
func (s *Service) canManageForum(ctx context.Context, a authz.Actor, id int) error {
	if a.Admin() {
		return nil
	}
	f, err := s.forum(ctx, a, id, false)
	if err != nil {
		return err
	}
	if f.GroupID == nil || !authz.CanManageGroup(a, *f.GroupID) {
		return apperr.Forbidden("forbidden", "only administrators and the group's owners manage this forum")
	}
	return nil
}

// GroupForums lists the forums of a group the actor may read.
func (s *Service) GroupForums(ctx context.Context, a authz.Actor, groupID int) ([]*ent.Forum, error) {
	fs, err := s.db.Forum.Query().Where(authz.ReadableForums(a), forum.GroupID(groupID)).WithGroup().
		Order(ent.Asc(forum.FieldPosition), ent.Asc(forum.FieldID)).All(ctx)
	if err != nil {
		return nil, apperr.Internal("list group forums", err)
	}
	return fs, nil
}

func dedupe(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// CanReadForum reports whether a may read the forum (for subscriptions).
func (s *Service) CanReadForum(ctx context.Context, a authz.Actor, forumID int) bool {
	_, err := s.forum(ctx, a, forumID, false)
	return err == nil
}

// CanReadTopic reports whether a may read the topic (for subscriptions).
func (s *Service) CanReadTopic(ctx context.Context, a authz.Actor, topicID int) bool {
	_, err := s.Topic(ctx, a, topicID, false)
	return err == nil
}
