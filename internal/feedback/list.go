package feedback

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/feedbackitem"
	"github.com/crn-dev/crn/ent/feedbackvote"
	"github.com/crn-dev/crn/ent/predicate"
	"github.com/crn-dev/crn/ent/tag"
	"github.com/crn-dev/crn/ent/topic"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
)

// Sorts of the item listing.
const (
	SortVotes    = "votes"    // most active votes first
	SortTrending = "trending" // most votes in the last 7 days first
	SortNewest   = "newest"
)

// TrendWindow is the window of the trending sort.
const TrendWindow = 7 * 24 * time.Hour

// ListQuery asks for a page of items. Duplicates are left out unless the
// status filter names "duplicate".
type ListQuery struct {
	Board    int
	Types    []string
	Statuses []string
	Area     string
	Sort     string
	Cursor   string
	Limit    int
}

// Page is one page of items.
type Page struct {
	Items []*Item
	Next  string // cursor of the next page; empty at the end
}

type listCursor struct {
	Sort   string `json:"s"`
	Key    int64  `json:"k,omitempty"`
	ID     int    `json:"i,omitempty"`
	Offset int    `json:"o,omitempty"` // trending pages by offset: its ranking moves
	Query  string `json:"q"`           // a fingerprint of the filters
}

func (q ListQuery) fingerprint() string {
	b, _ := json.Marshal([]any{q.Board, q.Types, q.Statuses, q.Area, q.Sort})
	h := fnv.New64a()
	h.Write(b)
	return strconv.FormatUint(h.Sum64(), 36)
}

func (s *Service) pageSize(limit int) int {
	switch {
	case limit <= 0:
		return s.limits.PageSize
	case limit > s.limits.PageMax:
		return s.limits.PageMax
	}
	return limit
}

// readable selects the items a may see: in boards a may read, with a topic
// that is not deleted.
func readable(a authz.Actor) predicate.FeedbackItem {
	return func(sel *sql.Selector) {
		authz.ReadableForumIDs(a)(sel)
		t := sql.Table(topic.Table)
		sel.Where(sql.In(sel.C(feedbackitem.FieldID), sql.Select(t.C(topic.FieldID)).From(t).Where(sql.IsNull(t.C(topic.FieldDeletedAt)))))
	}
}

// inArea selects the items tagged with area.
func inArea(area string) predicate.FeedbackItem {
	return func(sel *sql.Selector) {
		tt, tg := sql.Table(topic.TagsTable), sql.Table(tag.Table)
		sub := sql.Select(tt.C(topic.TagsPrimaryKey[0])).From(tt).
			Join(tg).On(tt.C(topic.TagsPrimaryKey[1]), tg.C(tag.FieldID)).
			Where(sql.EQ(tg.C(tag.FieldName), area))
		sel.Where(sql.In(sel.C(feedbackitem.FieldID), sub))
	}
}

// filter builds the predicates of q, validating it.
func (s *Service) filter(a authz.Actor, q ListQuery) ([]predicate.FeedbackItem, error) {
	problems := map[string]string{}
	ps := []predicate.FeedbackItem{readable(a)}
	if q.Board > 0 {
		ps = append(ps, feedbackitem.ForumID(q.Board))
	}
	if len(q.Types) > 0 {
		var ts []feedbackitem.Type
		for _, t := range q.Types {
			if !validType(t) {
				problems["type"] = "must be one of " + oneOf(Types)
			}
			ts = append(ts, feedbackitem.Type(t))
		}
		ps = append(ps, feedbackitem.TypeIn(ts...))
	}
	if len(q.Statuses) > 0 {
		var ss []feedbackitem.Status
		for _, st := range q.Statuses {
			if !validStatus(st) {
				problems["status"] = "must be one of " + oneOf(Statuses)
			}
			ss = append(ss, feedbackitem.Status(st))
		}
		ps = append(ps, feedbackitem.StatusIn(ss...))
	} else {
		ps = append(ps, feedbackitem.StatusNEQ(feedbackitem.StatusDuplicate))
	}
	if q.Area != "" {
		ps = append(ps, inArea(strings.ToLower(strings.TrimSpace(q.Area))))
	}
	if len(q.Types) > 10 || len(q.Statuses) > 10 {
		problems["filters"] = "too many filter values"
	}
	if len(problems) > 0 {
		return nil, apperr.Validation(problems)
	}
	return ps, nil
}

// List returns a page of the items a may read.
func (s *Service) List(ctx context.Context, a authz.Actor, q ListQuery) (*Page, error) {
	if q.Sort == "" {
		q.Sort = SortVotes
	}
	if q.Sort != SortVotes && q.Sort != SortTrending && q.Sort != SortNewest {
		return nil, apperr.Validation(map[string]string{"sort": "must be votes, trending or newest"})
	}
	ps, err := s.filter(a, q)
	if err != nil {
		return nil, err
	}
	var cur listCursor
	if q.Cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(q.Cursor)
		if err != nil || len(b) > 256 || json.Unmarshal(b, &cur) != nil || cur.Sort != q.Sort || cur.Query != q.fingerprint() ||
			cur.Offset < 0 || cur.Offset > 10000 {
			return nil, apperr.Invalid("invalid_cursor", "the cursor is malformed or belongs to another listing; start again without it")
		}
	}
	limit := s.pageSize(q.Limit)
	lq := s.db.FeedbackItem.Query().Where(ps...)
	switch q.Sort {
	case SortVotes:
		if q.Cursor != "" {
			k := int(cur.Key)
			lq = lq.Where(feedbackitem.Or(feedbackitem.VoteCountLT(k), feedbackitem.And(feedbackitem.VoteCount(k), feedbackitem.IDLT(cur.ID))))
		}
		lq = lq.Order(ent.Desc(feedbackitem.FieldVoteCount), ent.Desc(feedbackitem.FieldID))
	case SortNewest:
		if q.Cursor != "" {
			at := time.Unix(0, cur.Key)
			lq = lq.Where(feedbackitem.Or(feedbackitem.CreatedAtLT(at), feedbackitem.And(feedbackitem.CreatedAt(at), feedbackitem.IDLT(cur.ID))))
		}
		lq = lq.Order(ent.Desc(feedbackitem.FieldCreatedAt), ent.Desc(feedbackitem.FieldID))
	case SortTrending:
		since := s.now().Add(-TrendWindow)
		lq = lq.Order(func(sel *sql.Selector) {
			v := sql.Table(feedbackvote.Table).As("tv")
			sub := sql.Select(sql.Count("*")).From(v).Where(sql.And(
				sql.ColumnsEQ(v.C(feedbackvote.FieldItemID), sel.C(feedbackitem.FieldID)),
				sql.EQ(v.C(feedbackvote.FieldActive), true),
				sql.GTE(v.C(feedbackvote.FieldCreatedAt), since),
			))
			sel.OrderExpr(sql.ExprFunc(func(b *sql.Builder) { b.WriteString("(").Join(sub).WriteString(") DESC") }))
		}, ent.Desc(feedbackitem.FieldVoteCount), ent.Desc(feedbackitem.FieldID)).Offset(cur.Offset)
	}
	its, err := lq.Limit(limit + 1).All(ctx)
	if err != nil {
		return nil, apperr.Internal("list feedback", err)
	}
	page := &Page{}
	if len(its) > limit {
		its = its[:limit]
		last := its[len(its)-1]
		next := listCursor{Sort: q.Sort, ID: last.ID, Query: q.fingerprint()}
		switch q.Sort {
		case SortVotes:
			next.Key = int64(last.VoteCount)
		case SortNewest:
			next.Key = last.CreatedAt.UnixNano()
		case SortTrending:
			next.Offset = cur.Offset + limit
		}
		b, _ := json.Marshal(next)
		page.Next = base64.RawURLEncoding.EncodeToString(b)
	}
	if page.Items, err = s.views(ctx, a, its, nil); err != nil {
		return nil, err
	}
	return page, nil
}
