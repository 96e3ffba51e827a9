package discovery

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/resource"
	"github.com/crn-dev/crn/ent/resourceversion"
	"github.com/crn-dev/crn/internal/event"
	"github.com/crn-dev/crn/internal/search"
)

var fileWords = strings.NewReplacer(".", " ", "_", " ", "-", " ")

func resourceDocID(id int) string { return "resource-" + strconv.Itoa(id) }

// indexResources rewrites the documents of the resources evs touched.
// Downloads and bookmarks change nothing searchable and are skipped.
func (ix *Indexer) indexResources(ctx context.Context, evs []event.Event) error {
	ids := map[int]bool{}
	for _, e := range evs {
		switch e.Type {
		case event.ResourceCreated, event.ResourceUpdated, event.ResourceDeleted, event.ResourceRestored,
			event.ResourceVersionAdded, event.ResourceRated:
			switch id := e.Payload["resource_id"].(type) {
			case float64: // as decoded from the outbox
				ids[int(id)] = true
			case int:
				ids[id] = true
			}
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
			Visibility: resourceVisibility(r), Deleted: r.DeletedAt != nil, Votes: r.RatingCount,
			CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
		}
		if r.GroupID != nil {
			d.GroupID = *r.GroupID
		}
		out = append(out, d)
	}
	return out, nil
}

// resourceVisibility matches the visibility of the resource's events.
func resourceVisibility(r *ent.Resource) string {
	switch {
	case r.GroupID != nil:
		return "group:" + strconv.Itoa(*r.GroupID)
	case r.Visibility == resource.VisibilityMembers:
		return event.Members
	}
	return event.Public
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
