package resource

import (
	"context"
	"strings"

	"entgo.io/ent/dialect/sql"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/predicate"
	"github.com/crn-dev/crn/ent/resource"
	"github.com/crn-dev/crn/ent/resourcebookmark"
	"github.com/crn-dev/crn/ent/resourcerating"
	"github.com/crn-dev/crn/ent/resourcetag"
	"github.com/crn-dev/crn/ent/resourceversion"
	"github.com/crn-dev/crn/ent/user"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
)

// View is a resource with what a reader needs around it.
type View struct {
	*ent.Resource // Edges.Owner is loaded
	Tags          []string
	Latest        *ent.ResourceVersion // the newest version of a file; nil otherwise
	MyRating      int                  // the reader's stars, 0 when unrated
	Bookmarked    bool
}

// Get returns one resource the actor may see.
func (s *Service) Get(ctx context.Context, a authz.Actor, id int) (*View, error) {
	r, err := s.load(ctx, a, id)
	if err != nil {
		return nil, err
	}
	vs, err := s.views(ctx, a, []*ent.Resource{r})
	if err != nil {
		return nil, err
	}
	return vs[0], nil
}

// Sorts of resource listings.
const (
	SortNewest    = "newest"
	SortDownloads = "downloads"
	SortRating    = "rating" // by average rating, then newest
)

// ListQuery asks for a page of resources. Zero fields do not filter.
type ListQuery struct {
	Kind       string
	Tag        string
	GroupID    int
	Owner      string // username
	Bookmarked bool   // only the actor's bookmarks
	Deleted    bool   // only deleted resources (moderators)
	Sort       string
	Cursor     string
	Limit      int
}

// Page is one page of a listing.
type Page struct {
	Resources []*View
	Next      string // cursor of the next page; empty at the end
}

// List returns a page of the resources the actor may see. Visibility is
// filtered in SQL, so pages are full and counts honest.
func (s *Service) List(ctx context.Context, a authz.Actor, q ListQuery) (*Page, error) {
	if q.Sort == "" {
		q.Sort = SortNewest
	}
	problems := map[string]string{}
	key := map[string]string{SortNewest: resource.FieldID, SortDownloads: resource.FieldDownloadCount, SortRating: resource.FieldRatingMilli}[q.Sort]
	if key == "" {
		problems["sort"] = "must be newest, downloads or rating"
	}
	if q.Kind != "" && q.Kind != KindFile && q.Kind != KindLink && q.Kind != KindGuide {
		problems["kind"] = "must be file, link or guide"
	}
	if q.Deleted && !a.ModeratesResources() {
		problems["deleted"] = "only moderators list deleted resources"
	}
	if q.Bookmarked && a.Guest() {
		return nil, apperr.Unauthenticated("unauthenticated", "sign in to see your bookmarks")
	}
	if len(problems) > 0 {
		return nil, apperr.Validation(problems)
	}
	groups, err := s.groups.Readable(ctx, a)
	if err != nil {
		return nil, apperr.Internal("group access", err)
	}
	preds := []predicate.Resource{authz.ReadableResources(a, groups, q.Deleted)}
	if q.Kind != "" {
		preds = append(preds, resource.KindEQ(resource.Kind(q.Kind)))
	}
	if q.Tag != "" {
		preds = append(preds, resource.HasTagsWith(resourcetag.Tag(strings.ToLower(strings.TrimPrefix(strings.TrimSpace(q.Tag), "#")))))
	}
	if q.GroupID != 0 {
		preds = append(preds, resource.GroupID(q.GroupID))
	}
	if q.Owner != "" {
		preds = append(preds, resource.HasOwnerWith(user.UsernameKey(strings.ToLower(strings.TrimSpace(q.Owner)))))
	}
	if q.Bookmarked {
		preds = append(preds, func(sel *sql.Selector) {
			t := sql.Table(resourcebookmark.Table)
			sel.Where(sql.In(sel.C(resource.FieldID), sql.Select(t.C(resourcebookmark.FieldResourceID)).From(t).
				Where(sql.EQ(t.C(resourcebookmark.FieldUserID), a.ID))))
		})
	}
	if q.Cursor != "" {
		c, err := decodeCursor(q.Cursor, q.Sort)
		if err != nil {
			return nil, err
		}
		if q.Sort == SortNewest {
			preds = append(preds, resource.IDLT(c.ID))
		} else {
			preds = append(preds, func(sel *sql.Selector) {
				sel.Where(sql.Or(sql.LT(sel.C(key), c.Key), sql.And(sql.EQ(sel.C(key), c.Key), sql.LT(sel.C(resource.FieldID), c.ID))))
			})
		}
	}
	size := s.pageSize(q.Limit)
	rs, err := s.db.Resource.Query().Where(preds...).WithOwner().WithTags().
		Order(ent.Desc(key), ent.Desc(resource.FieldID)).Limit(size + 1).All(ctx)
	if err != nil {
		return nil, apperr.Internal("list resources", err)
	}
	page := &Page{}
	if len(rs) > size {
		rs = rs[:size]
		last := rs[size-1]
		c := cursor{Sort: q.Sort, ID: last.ID}
		switch q.Sort {
		case SortDownloads:
			c.Key = last.DownloadCount
		case SortRating:
			c.Key = int64(last.RatingMilli)
		}
		page.Next = c.encode()
	}
	if page.Resources, err = s.views(ctx, a, rs); err != nil {
		return nil, err
	}
	return page, nil
}

// views decorates resources (with owners and tags loaded) with their latest
// versions and the reader's ratings and bookmarks, in three queries.
func (s *Service) views(ctx context.Context, a authz.Actor, rs []*ent.Resource) ([]*View, error) {
	out := make([]*View, len(rs))
	ids := make([]int, len(rs))
	var latest []predicate.ResourceVersion
	for i, r := range rs {
		ids[i] = r.ID
		out[i] = &View{Resource: r, Tags: []string{}}
		for _, t := range r.Edges.Tags {
			out[i].Tags = append(out[i].Tags, t.Tag)
		}
		if r.VersionCount > 0 {
			latest = append(latest, resourceversion.And(resourceversion.ResourceID(r.ID), resourceversion.Number(r.VersionCount)))
		}
	}
	if len(latest) > 0 {
		vs, err := s.db.ResourceVersion.Query().Where(resourceversion.Or(latest...)).All(ctx)
		if err != nil {
			return nil, apperr.Internal("latest versions", err)
		}
		byResource := map[int]*ent.ResourceVersion{}
		for _, v := range vs {
			byResource[v.ResourceID] = v
		}
		for _, v := range out {
			v.Latest = byResource[v.ID]
		}
	}
	if a.Guest() || len(rs) == 0 {
		return out, nil
	}
	ratings, err := s.db.ResourceRating.Query().Where(resourcerating.UserID(a.ID), resourcerating.ResourceIDIn(ids...)).All(ctx)
	if err != nil {
		return nil, apperr.Internal("my ratings", err)
	}
	marks, err := s.db.ResourceBookmark.Query().Where(resourcebookmark.UserID(a.ID), resourcebookmark.ResourceIDIn(ids...)).All(ctx)
	if err != nil {
		return nil, apperr.Internal("my bookmarks", err)
	}
	stars, marked := map[int]int{}, map[int]bool{}
	for _, r := range ratings {
		stars[r.ResourceID] = r.Stars
	}
	for _, b := range marks {
		marked[b.ResourceID] = true
	}
	for _, v := range out {
		v.MyRating, v.Bookmarked = stars[v.ID], marked[v.ID]
	}
	return out, nil
}
