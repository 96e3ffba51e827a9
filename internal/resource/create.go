package resource

import (
	"context"
	"fmt"
	"strings"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/resource"
	"github.com/crn-dev/crn/ent/resourcetag"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/event"
)

// Kinds of resource.
const (
	KindFile  = "file"
	KindLink  = "link"
	KindGuide = "guide"
)

// Input creates a resource; on update, nil fields are left alone.
type Input struct {
	Kind        *string
	Title       *string
	Description *string // Markdown
	URL         *string // links only
	Tags        *[]string
	GroupID     *int    // create only
	Visibility  *string // public (default) or members; ignored inside a group
}

// checked is an Input that passed validation.
type checked struct {
	title, description, html, url string
	tags                          []string
}

func (s *Service) check(in Input, kind string, creating bool) (checked, error) {
	problems := map[string]string{}
	var c checked
	if creating && in.Title == nil {
		problems["title"] = "is required"
	}
	if in.Title != nil {
		c.title = strings.TrimSpace(*in.Title)
		checkText("title", c.title, s.limits.TitleMin, s.limits.TitleMax, false, problems)
	}
	if in.Description != nil {
		c.description = strings.TrimSpace(*in.Description)
		minLen := 0
		if kind == KindGuide {
			minLen = 1 // a guide is its text
		}
		checkText("description", c.description, minLen, s.limits.DescriptionMax, true, problems)
	} else if creating && kind == KindGuide {
		problems["description"] = "is required: a guide is written in it"
	}
	if in.URL != nil {
		if kind == KindLink {
			c.url = s.checkURL(*in.URL, problems)
		} else {
			problems["url"] = "only links have a url"
		}
	} else if creating && kind == KindLink {
		problems["url"] = "is required for a link"
	}
	if in.Tags != nil {
		c.tags = s.normalizeTags(*in.Tags, problems)
	}
	if in.Visibility != nil && resource.VisibilityValidator(resource.Visibility(*in.Visibility)) != nil {
		problems["visibility"] = "must be public or members"
	}
	if len(problems) > 0 {
		return c, apperr.Validation(problems)
	}
	if in.Description != nil {
		c.html = s.render.Render(c.description).HTML
	}
	return c, nil
}

// Create shares a resource. A file resource needs up, its first version,
// whose bytes are stored only after everything else checked out.
func (s *Service) Create(ctx context.Context, a authz.Actor, in Input, up *Upload) (*View, error) {
	if !authz.CanCreateResource(a) {
		return nil, forbidden(a, "cannot_share", "you may not share resources")
	}
	kind := ""
	if in.Kind != nil {
		kind = *in.Kind
	}
	switch kind {
	case KindFile, KindLink, KindGuide:
	case "":
		return nil, apperr.Validation(map[string]string{"kind": "is required: file, link or guide"})
	default:
		return nil, apperr.Validation(map[string]string{"kind": "must be file, link or guide"})
	}
	c, err := s.check(in, kind, true)
	if err != nil {
		return nil, err
	}
	switch {
	case kind == KindFile && up == nil:
		return nil, apperr.Validation(map[string]string{"file": "is required: send the first version as a multipart part named file"})
	case kind != KindFile && up != nil:
		return nil, apperr.Validation(map[string]string{"file": "only file resources take a file"})
	}
	if up != nil {
		if problems := s.checkNote(up.Note); problems != nil {
			return nil, apperr.Validation(problems)
		}
	}
	if in.GroupID != nil {
		if *in.GroupID <= 0 {
			return nil, apperr.Validation(map[string]string{"group_id": "no such group"})
		}
		ok, err := s.groups.CanContribute(ctx, a, *in.GroupID)
		if err != nil {
			return nil, apperr.Internal("group access", err)
		}
		if !ok {
			return nil, apperr.Forbidden("cannot_share_in_group", "you may not share resources in this group")
		}
	}

	var stored *storedUpload
	if up != nil {
		if stored, err = s.storeUpload(ctx, up); err != nil {
			return nil, err
		}
	}
	var r *ent.Resource
	err = s.tx(ctx, "create resource", func(tx *ent.Tx) ([]event.Event, error) {
		cr := tx.Resource.Create().SetUserID(a.ID).SetKind(resource.Kind(kind)).SetTitle(c.title).
			SetDescription(c.description).SetDescriptionHTML(c.html).SetNillableGroupID(in.GroupID)
		if kind == KindLink {
			cr.SetURL(c.url)
		}
		if in.Visibility != nil {
			cr.SetVisibility(resource.Visibility(*in.Visibility))
		}
		if stored != nil {
			cr.SetVersionCount(1)
		}
		var err error
		if r, err = cr.Save(ctx); err != nil {
			return nil, err
		}
		if err := setTags(ctx, tx, r.ID, c.tags); err != nil {
			return nil, err
		}
		evs := []event.Event{{Type: event.ResourceCreated, ActorID: a.ID, UserID: a.ID, Visibility: visibility(r), GroupID: groupOf(r),
			Payload: map[string]any{"resource_id": r.ID, "kind": kind, "title": r.Title, "tags": c.tags, "group_id": r.GroupID}}}
		if stored != nil {
			v, err := s.addVersion(ctx, tx, r, a, 1, stored)
			if err != nil {
				return nil, err
			}
			evs = append(evs, versionEvent(a, r, v))
		}
		return evs, nil
	})
	if err != nil {
		if stored != nil {
			s.discard(stored.blob)
		}
		return nil, err
	}
	s.startDiscussion(ctx, a, r)
	return s.Get(ctx, a, r.ID)
}

func (s *Service) checkNote(note string) map[string]string {
	problems := map[string]string{}
	checkText("note", note, 0, s.limits.NoteMax, true, problems)
	if len(problems) > 0 {
		return problems
	}
	return nil
}

func setTags(ctx context.Context, tx *ent.Tx, resourceID int, tags []string) error {
	if _, err := tx.ResourceTag.Delete().Where(resourcetag.ResourceID(resourceID)).Exec(ctx); err != nil {
		return err
	}
	if len(tags) == 0 {
		return nil
	}
	b := make([]*ent.ResourceTagCreate, len(tags))
	for i, t := range tags {
		b[i] = tx.ResourceTag.Create().SetResourceID(resourceID).SetTag(t)
	}
	return tx.ResourceTag.CreateBulk(b...).Exec(ctx)
}

// startDiscussion opens the discussion thread of a new resource outside
// any group. A failure leaves the resource without one and is logged: the
// resource itself is already shared.
func (s *Service) startDiscussion(ctx context.Context, a authz.Actor, r *ent.Resource) {
	if s.discuss == nil || r.GroupID != nil {
		return
	}
	body := fmt.Sprintf("Discussion of the shared %s **%s**: [/resources/%d](/resources/%d)", r.Kind, escapeMarkdown(r.Title), r.ID, r.ID)
	topicID, err := s.discuss.Start(ctx, a, string(r.Visibility), r.Title, body)
	if err == nil {
		err = s.db.Resource.UpdateOneID(r.ID).SetTopicID(topicID).Exec(ctx)
	}
	if err != nil {
		s.log.Warn("opening the discussion of a resource", "resource_id", r.ID, "err", err)
		return
	}
	r.TopicID = &topicID
}

func escapeMarkdown(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune("\\`*_{}[]()#+-.!<>|~@", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Update changes a resource's title, description, link, tags or visibility:
// its owner or a resource moderator.
func (s *Service) Update(ctx context.Context, a authz.Actor, id int, in Input) (*View, error) {
	r, err := s.load(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if !authz.CanEditResource(a, r) {
		return nil, forbidden(a, "not_owner", "only the owner or a moderator may change this resource")
	}
	if in.Kind != nil && *in.Kind != string(r.Kind) {
		return nil, apperr.Validation(map[string]string{"kind": "cannot change"})
	}
	if in.GroupID != nil {
		return nil, apperr.Validation(map[string]string{"group_id": "cannot change; share a new resource in the other group"})
	}
	c, err := s.check(in, string(r.Kind), false)
	if err != nil {
		return nil, err
	}
	err = s.tx(ctx, "update resource", func(tx *ent.Tx) ([]event.Event, error) {
		u := tx.Resource.UpdateOneID(id)
		var changes []string
		if in.Title != nil && c.title != r.Title {
			u.SetTitle(c.title)
			changes = append(changes, "title")
		}
		if in.Description != nil && c.description != r.Description {
			u.SetDescription(c.description).SetDescriptionHTML(c.html)
			changes = append(changes, "description")
		}
		if in.URL != nil && c.url != r.URL {
			u.SetURL(c.url)
			changes = append(changes, "url")
		}
		if in.Visibility != nil && *in.Visibility != string(r.Visibility) {
			u.SetVisibility(resource.Visibility(*in.Visibility))
			changes = append(changes, "visibility")
		}
		if in.Tags != nil && !sameTags(c.tags, r.Edges.Tags) {
			if err := setTags(ctx, tx, id, c.tags); err != nil {
				return nil, err
			}
			changes = append(changes, "tags")
		}
		if len(changes) == 0 {
			return nil, nil
		}
		updated, err := u.Save(ctx)
		if err != nil {
			return nil, err
		}
		// An event visible to the old and the new audience alike would leak
		// to one of them; the narrower of the two sees it.
		vis := visibility(updated)
		if vis == event.Public {
			vis = visibility(r)
		}
		return []event.Event{{Type: event.ResourceUpdated, ActorID: a.ID, UserID: r.UserID, Visibility: vis, GroupID: groupOf(r),
			Payload: map[string]any{"resource_id": id, "changes": changes, "title": updated.Title}}}, nil
	})
	if err != nil {
		return nil, err
	}
	if in.Visibility != nil && *in.Visibility != string(r.Visibility) && r.TopicID != nil && r.GroupID == nil && s.discuss != nil {
		// The discussion follows, so a members-only resource is not
		// discussed in public.
		if err := s.discuss.Move(ctx, a, *r.TopicID, *in.Visibility); err != nil {
			s.log.Warn("moving the discussion of a resource", "resource_id", id, "topic_id", *r.TopicID, "err", err)
		}
	}
	return s.Get(ctx, a, id)
}

func sameTags(tags []string, have []*ent.ResourceTag) bool {
	if len(tags) != len(have) {
		return false
	}
	set := map[string]bool{}
	for _, t := range have {
		set[t.Tag] = true
	}
	for _, t := range tags {
		if !set[t] {
			return false
		}
	}
	return true
}

// Delete hides a resource (its owner or a resource moderator); nothing is
// removed, and moderators can restore it.
func (s *Service) Delete(ctx context.Context, a authz.Actor, id int) error {
	r, err := s.load(ctx, a, id)
	if err != nil {
		return err
	}
	if !authz.CanEditResource(a, r) {
		return forbidden(a, "not_owner", "only the owner or a moderator may delete this resource")
	}
	if r.DeletedAt != nil {
		return nil
	}
	return s.tx(ctx, "delete resource", func(tx *ent.Tx) ([]event.Event, error) {
		n, err := tx.Resource.Update().Where(resource.ID(id), resource.DeletedAtIsNil()).
			SetDeletedAt(s.now()).SetDeletedByID(a.ID).Save(ctx)
		if err != nil || n == 0 {
			return nil, err
		}
		return []event.Event{{Type: event.ResourceDeleted, ActorID: a.ID, UserID: r.UserID, Visibility: visibility(r), GroupID: groupOf(r),
			Payload: map[string]any{"resource_id": id, "title": r.Title}}}, nil
	})
}

// Restore brings a deleted resource back (resource moderators only).
func (s *Service) Restore(ctx context.Context, a authz.Actor, id int) (*View, error) {
	r, err := s.load(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if !authz.CanRestoreResource(a) {
		return nil, forbidden(a, "forbidden", "only moderators restore resources")
	}
	err = s.tx(ctx, "restore resource", func(tx *ent.Tx) ([]event.Event, error) {
		n, err := tx.Resource.Update().Where(resource.ID(id), resource.DeletedAtNotNil()).
			ClearDeletedAt().ClearDeletedByID().Save(ctx)
		if err != nil || n == 0 {
			return nil, err
		}
		return []event.Event{{Type: event.ResourceRestored, ActorID: a.ID, UserID: r.UserID, Visibility: visibility(r), GroupID: groupOf(r),
			Payload: map[string]any{"resource_id": id, "title": r.Title}}}, nil
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, a, id)
}
