package search

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/meilisearch/meilisearch-go"
)

// meiliFacets are the attributes Query.Facets counts.
var meiliFacets = []string{"type", "forum_id", "tags"}

// Search implements Index.
func (m *Meili) Search(ctx context.Context, q Query) (Result, error) {
	start := time.Now()
	filter, ok := meiliFilter(q)
	mq := m.text.query(q.Text, q.Prefix)
	if !ok || mq.none { // the caller may see nothing, or the text asks for nothing
		res := Result{Hits: []Hit{}}
		if q.Facets {
			res.Facets = meiliEmptyFacets()
		}
		res.Took = time.Since(start)
		return res, nil
	}
	req := meiliSearchRequest(q, filter)

	ctx, cancel := context.WithTimeout(ctx, meiliRequestTimeout)
	defer cancel()
	idx := m.client.Index(m.live)
	resp, err := idx.SearchWithContext(ctx, mq.strict, req)
	if err == nil && mq.relax && resp.EstimatedTotalHits == 0 {
		// No Han or kana run occurs as written: let its characters
		// match anywhere (see meili_text.go).
		resp, err = idx.SearchWithContext(ctx, mq.loose, req)
	}
	if meiliCode(err) == "index_not_found" {
		// Meilisearch was unreachable when we started and nothing has
		// been written since: there is nothing to find yet.
		resp, err = &meilisearch.SearchResponse{}, nil
	}
	if err != nil {
		return Result{}, fmt.Errorf("meili search: %w", err)
	}
	res, err := m.result(resp, &mq, q.Facets)
	if err != nil {
		return Result{}, fmt.Errorf("meili search: %w", err)
	}
	res.Took = time.Since(start)
	return res, nil
}

func meiliSearchRequest(q Query, filter string) *meilisearch.SearchRequest {
	limit := q.Limit
	switch {
	case limit <= 0:
		limit = 20
	case limit > 100:
		limit = 100
	}
	req := &meilisearch.SearchRequest{
		Filter: filter,
		Limit:  int64(limit),
		Offset: int64(max(q.Offset, 0)),
		// The text is marked and cropped here (see highlight).
		AttributesToRetrieve: []string{"id", "type", "title", "body"},
		MatchingStrategy:     meilisearch.All,
	}
	switch q.Sort {
	case SortNewest:
		req.Sort = []string{"created_at_ts:desc"}
	case SortVotes:
		req.Sort = []string{"votes:desc", "created_at_ts:desc"}
	}
	if q.Facets {
		req.Facets = meiliFacets
	}
	return req
}

// result converts a Meilisearch response.
func (m *Meili) result(resp *meilisearch.SearchResponse, mq *meiliQuery, facets bool) (Result, error) {
	res := Result{Hits: make([]Hit, 0, len(resp.Hits)), EstimatedTotal: int(resp.EstimatedTotalHits)}
	for _, h := range resp.Hits {
		var hit Hit
		if err := json.Unmarshal(h["id"], &hit.ID); err != nil {
			return Result{}, fmt.Errorf("hit id: %w", err)
		}
		if raw, ok := h["type"]; ok {
			if err := json.Unmarshal(raw, &hit.Type); err != nil {
				return Result{}, fmt.Errorf("hit %s type: %w", hit.ID, err)
			}
		}
		hit.Highlights = map[string]string{}
		for _, f := range []struct {
			name  string
			runes int
		}{{"title", titleSnippetRunes}, {"body", bodySnippetRunes}} {
			var text string
			if raw, ok := h[f.name]; ok {
				if err := json.Unmarshal(raw, &text); err != nil {
					return Result{}, fmt.Errorf("hit %s %s: %w", hit.ID, f.name, err)
				}
			}
			if text != "" {
				hit.Highlights[f.name] = m.text.highlight(text, mq, f.runes)
			}
		}
		res.Hits = append(res.Hits, hit)
	}
	if facets {
		res.Facets = meiliEmptyFacets()
		if len(resp.FacetDistribution) > 0 {
			var dist map[string]map[string]int
			if err := json.Unmarshal(resp.FacetDistribution, &dist); err != nil {
				return Result{}, fmt.Errorf("facets: %w", err)
			}
			for name, counts := range dist {
				if res.Facets[name] != nil {
					res.Facets[name] = counts
				}
			}
		}
	}
	return res, nil
}

func meiliEmptyFacets() map[string]map[string]int {
	f := make(map[string]map[string]int, len(meiliFacets))
	for _, name := range meiliFacets {
		f[name] = map[string]int{}
	}
	return f
}

// meiliFilter builds the Meilisearch filter for q and its access; ok is
// false when the access allows nothing. Every string is quoted and
// escaped by meiliQuote and every number formatted as an integer, so no
// value can change the expression's structure.
func meiliFilter(q Query) (filter string, ok bool) {
	a := q.Access
	if len(a.Visibilities) == 0 {
		return "", false
	}
	c := []string{"visibility IN " + meiliStrings(a.Visibilities)}
	if a.AllGroups {
		c[0] = "(" + c[0] + " OR group_id > 0)"
	}
	if !a.AllDeleted {
		if len(a.DeletedInForums) > 0 {
			c = append(c, "(deleted = false OR forum_id IN "+meiliInts(a.DeletedInForums)+")")
		} else {
			c = append(c, "deleted = false")
		}
	}
	if len(q.Types) > 0 {
		c = append(c, "type IN "+meiliStrings(q.Types))
	}
	if len(q.ForumIDs) > 0 {
		c = append(c, "forum_id IN "+meiliInts(q.ForumIDs))
	}
	if len(q.GroupIDs) > 0 {
		c = append(c, "group_id IN "+meiliInts(q.GroupIDs))
	}
	if q.AuthorID != 0 {
		c = append(c, "author_id = "+strconv.Itoa(q.AuthorID))
	}
	if len(q.Tags) > 0 {
		c = append(c, "tags IN "+meiliStrings(q.Tags))
	}
	if len(q.Statuses) > 0 {
		c = append(c, "status IN "+meiliStrings(q.Statuses))
	}
	if !q.From.IsZero() {
		c = append(c, "created_at_ts >= "+strconv.FormatInt(q.From.Unix(), 10))
	}
	if !q.To.IsZero() {
		c = append(c, "created_at_ts <= "+strconv.FormatInt(q.To.Unix(), 10))
	}
	return strings.Join(c, " AND "), true
}

// meiliQuote makes s a double-quoted Meilisearch filter string: in its
// filter syntax a backslash escapes the next character.
func meiliQuote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for _, r := range s {
		if r == '"' || r == '\\' {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	b.WriteByte('"')
	return b.String()
}

func meiliStrings(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = meiliQuote(v)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func meiliInts(vs []int) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = strconv.Itoa(v)
	}
	return "[" + strings.Join(q, ", ") + "]"
}
