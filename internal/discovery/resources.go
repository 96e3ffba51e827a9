package discovery

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/crn-dev/crn/ent"
	entgroup "github.com/crn-dev/crn/ent/group"
	"github.com/crn-dev/crn/ent/resource"
	"github.com/crn-dev/crn/ent/resourceversion"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/event"
	"github.com/crn-dev/crn/internal/search"
)

var fileWords = strings.NewReplacer(".", " ", "_", " ", "-", " ")

func resourceDocID(id int) string { return "resource-" + strconv.Itoa(id) }

// indexResources rewrites the documents of the resources evs touched.
// Downloads and bookmarks change nothing searchable and are skipped.
func (ix *Indexer) indexResources(ctx context.Context, evs []event.Event) error {
	ids := map[int]bool{}
	var groups []int
	for _, e := range evs {
		switch e.Type {
		case event.GroupUpdated, event.GroupDeleted:
			// The group's visibility is copied into its resources' documents.
			groups = append(groups, e.GroupID)
		case event.ResourceCreated, event.ResourceUpdated, event.ResourceDeleted, event.ResourceRestored,
			event.ResourceVersionAdded, event.ResourceRated, event.ResourceHidden, event.ResourceUnhidden:
			switch id := e.Payload["resource_id"].(type) {
			case float64: // as decoded from the outbox
				ids[int(id)] = true
			case int:
				ids[id] = true
			}
		}
	}
	if len(groups) > 0 {
		inGroups, err := ix.db.Resource.Query().Where(resource.GroupIDIn(groups...)).IDs(ctx)
		if err != nil {
			return fmt.Errorf("index resources: %w", err)
		}
		for _, id := range inGroups {
			ids[id] = true
		}
	}
	for _, batch := range chunks(keys(ids)) {
		rs, err := ix.db.Resource.Query().Where(resource.IDIn(batch...)).WithTags().All(ctx)
		if err != nil {
			return fmt.Errorf("index resources: %w", err)
		}
		docs, err := ix.resourceDocs(ctx, rs)
		if err != nil {
			return err
		}
		if err := ix.index.Upsert(ctx, docs...); err != nil {
			return err
		}
	}
	return nil
}

// resourceDocs builds resource documents; rs must have their tags loaded.
// A resource hidden by moderation is indexed as deleted: nobody finds it.
// The body is the description's text, the link and the latest file name.
func (ix *Indexer) resourceDocs(ctx context.Context, rs []*ent.Resource) ([]search.Doc, error) {
	if len(rs) == 0 {
		return nil, nil
	}
	owners := make([]int, len(rs))
	ids := make([]int, len(rs))
	for i, r := range rs {
		owners[i], ids[i] = r.UserID, r.ID
	}
	names, err := usernames(ctx, ix.db, owners)
	if err != nil {
		return nil, err
	}
	vs, err := ix.db.ResourceVersion.Query().Where(resourceversion.ResourceIDIn(ids...)).
		Order(ent.Asc(resourceversion.FieldNumber)).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("index resources: %w", err)
	}
	latest := map[int]string{}
	for _, v := range vs {
		latest[v.ResourceID] = v.Filename
	}
	var groupIDs []int
	for _, r := range rs {
		if r.GroupID != nil {
			groupIDs = append(groupIDs, *r.GroupID)
		}
	}
	groupOf := map[int]*ent.Group{}
	if len(groupIDs) > 0 {
		gs, err := ix.db.Group.Query().Where(entgroup.IDIn(groupIDs...)).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("index resources: %w", err)
		}
		for _, g := range gs {
			groupOf[g.ID] = g
		}
	}
	out := make([]search.Doc, 0, len(rs))
	for _, r := range rs {
		tags := make([]string, 0, len(r.Edges.Tags))
		for _, t := range r.Edges.Tags {
			tags = append(tags, t.Tag)
		}
		// File names split into words: word segmentation keeps "price.list" whole.
		name := fileWords.Replace(latest[r.ID])
		body := strings.TrimSpace(strings.Join([]string{ix.render.Render(r.Description).Text, r.URL, name}, "\n"))
		d := search.Doc{
			ID: resourceDocID(r.ID), Type: search.TypeResource, Title: r.Title, Body: body,
			Username: names[r.UserID], AuthorID: r.UserID, Tags: tags, Status: string(r.Kind),
			Visibility: resourceVisibility(r, groupOf), Deleted: r.DeletedAt != nil || r.HiddenAt != nil, Votes: r.RatingCount,
			CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
		}
		if r.GroupID != nil {
			d.GroupID = *r.GroupID
		}
		out = append(out, d)
	}
	return out, nil
}

// resourceVisibility is who may find the resource: by its own visibility
// outside groups and in public groups (as authz.CanReadGroup lets anyone
// read those), the group's members in restricted, private or deleted (or
// unknown) groups.
func resourceVisibility(r *ent.Resource, groups map[int]*ent.Group) string {
	base := event.Public
	if r.Visibility == resource.VisibilityMembers {
		base = event.Members
	}
	if r.GroupID == nil {
		return base
	}
	g := groups[*r.GroupID]
	if g == nil || g.DeletedAt != nil {
		return event.GroupOnly(*r.GroupID)
	}
	return authz.GroupContentVisibility(g.ID, string(g.Visibility), base)
}

// reindexResources writes every resource into a rebuild, counting them in n.
func (ix *Indexer) reindexResources(ctx context.Context, b search.Builder, n *int, report func()) error {
	for after := 0; ; {
		rs, err := ix.db.Resource.Query().Where(resource.IDGT(after)).Order(ent.Asc(resource.FieldID)).Limit(batchSize).WithTags().All(ctx)
		if err != nil {
			return err
		}
		if len(rs) == 0 {
			return nil
		}
		docs, err := ix.resourceDocs(ctx, rs)
		if err != nil {
			return err
		}
		if err := b.Upsert(ctx, docs...); err != nil {
			return err
		}
		*n += len(rs)
		after = rs[len(rs)-1].ID
		report()
	}
}
