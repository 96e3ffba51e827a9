package discovery

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/user"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/event"
	"github.com/crn-dev/crn/internal/search"
)

// Service answers searches.
type Service struct {
	db    *ent.Client
	index search.Index
}

// NewService returns a Service over index, hydrating from db.
func NewService(db *ent.Client, index search.Index) *Service {
	return &Service{db: db, index: index}
}

// Limits of a query.
const (
	MaxQueryLen = 200
	MaxLimit    = 50
)

// Params is a search request as the API takes it.
type Params struct {
	Text     string
	Types    []string
	ForumIDs []int
	GroupIDs []int
	Author   string // username
	Tags     []string
	Statuses []string
	From, To time.Time
	Sort     string
	Limit    int
	Cursor   string
	Facets   bool
}

// Page is a page of results with their hits.
type Page struct {
	search.Result
	Next string // cursor of the next page; empty at the end
}

// accessOf turns an actor into the index's access filter.
func accessOf(a authz.Actor) search.Access {
	acc := search.Access{Visibilities: []string{event.Public}}
	if !a.Guest() {
		acc.Visibilities = append(acc.Visibilities, event.Members)
	}
	if a.Staff() {
		acc.Visibilities = append(acc.Visibilities, event.Staff)
	}
	acc.AllDeleted = a.Admin()
	acc.AllGroups = a.Admin()
	for _, id := range a.GroupIDs() {
		acc.Visibilities = append(acc.Visibilities, event.GroupOnly(id))
	}
	for id := range a.ModeratedForums {
		acc.DeletedInForums = append(acc.DeletedInForums, id)
	}
	return acc
}

type cursor struct {
	Offset int    `json:"o"`
	Query  string `json:"q"` // a fingerprint of the query, so a cursor cannot be replayed against another
}

func fingerprint(p Params) string {
	b, _ := json.Marshal([]any{p.Text, p.Types, p.ForumIDs, p.GroupIDs, p.Author, p.Tags, p.Statuses, p.From.Unix(), p.To.Unix(), p.Sort})
	h := fnv.New64a()
	h.Write(b)
	return strconv.FormatUint(h.Sum64(), 36)
}

var validTypes = map[string]bool{search.TypeTopic: true, search.TypePost: true, search.TypeUser: true, search.TypeGroup: true, search.TypeResource: true, search.TypeFeedback: true}

// Search runs p for actor a.
func (s *Service) Search(ctx context.Context, a authz.Actor, p Params) (*Page, error) {
	problems := map[string]string{}
	p.Text = strings.TrimSpace(p.Text)
	if !utf8.ValidString(p.Text) {
		problems["q"] = "is not valid UTF-8"
	} else if utf8.RuneCountInString(p.Text) > MaxQueryLen {
		problems["q"] = fmt.Sprintf("is longer than %d characters", MaxQueryLen)
	}
	for _, t := range p.Types {
		if !validTypes[t] {
			problems["type"] = "must be topic, post, user, group, resource or feedback"
		}
	}
	switch p.Sort {
	case "":
		p.Sort = search.SortRelevance
	case search.SortRelevance, search.SortNewest, search.SortVotes:
	default:
		problems["sort"] = "must be relevance, newest or votes"
	}
	if p.Limit == 0 {
		p.Limit = 20
	}
	if p.Limit < 1 || p.Limit > MaxLimit {
		problems["limit"] = fmt.Sprintf("must be 1 to %d", MaxLimit)
	}
	if len(p.Tags) > 10 || len(p.ForumIDs) > 50 || len(p.GroupIDs) > 50 || len(p.Statuses) > 10 {
		problems["filters"] = "too many filter values"
	}
	if !p.From.IsZero() && !p.To.IsZero() && p.To.Before(p.From) {
		problems["to"] = "is before from"
	}
	if len(problems) > 0 {
		return nil, apperr.Validation(problems)
	}
	offset := 0
	if p.Cursor != "" {
		var c cursor
		b, err := base64.RawURLEncoding.DecodeString(p.Cursor)
		if err != nil || len(b) > 200 || json.Unmarshal(b, &c) != nil || c.Offset < 0 || c.Offset > 10000 || c.Query != fingerprint(p) {
			return nil, apperr.Invalid("invalid_cursor", "the cursor is malformed or belongs to another search; start again without it")
		}
		offset = c.Offset
	}
	q := search.Query{
		Text: p.Text, Types: p.Types, ForumIDs: p.ForumIDs, GroupIDs: p.GroupIDs, Tags: lower(p.Tags), Statuses: p.Statuses,
		From: p.From, To: p.To, Sort: p.Sort, Limit: p.Limit, Offset: offset, Access: accessOf(a), Facets: p.Facets,
	}
	if p.Author != "" {
		u, err := s.db.User.Query().Where(user.UsernameKey(strings.ToLower(p.Author))).Only(ctx)
		if ent.IsNotFound(err) {
			return &Page{Result: search.Result{Facets: emptyFacets(p.Facets)}}, nil
		}
		if err != nil {
			return nil, apperr.Internal("search", err)
		}
		q.AuthorID = u.ID
	}
	res, err := s.index.Search(ctx, q)
	if err != nil {
		return nil, apperr.Unavailable("search_unavailable", "search is unavailable right now", err)
	}
	page := &Page{Result: res}
	if len(res.Hits) == p.Limit && offset+p.Limit < min(res.EstimatedTotal, 10000) {
		b, _ := json.Marshal(cursor{Offset: offset + p.Limit, Query: fingerprint(p)})
		page.Next = base64.RawURLEncoding.EncodeToString(b)
	}
	return page, nil
}

func emptyFacets(want bool) map[string]map[string]int {
	if !want {
		return nil
	}
	return map[string]map[string]int{"type": {}, "forum_id": {}, "tags": {}}
}

func lower(in []string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = strings.ToLower(strings.TrimSpace(s))
	}
	return out
}

// Suggest returns, for as-you-type, topics similar to text and users whose
// names start with its last word.
func (s *Service) Suggest(ctx context.Context, a authz.Actor, text string, limit int) (topics, users []search.Hit, err error) {
	text = strings.TrimSpace(text)
	if text == "" || utf8.RuneCountInString(text) > MaxQueryLen {
		return nil, nil, apperr.Validation(map[string]string{"q": fmt.Sprintf("must be 1 to %d characters", MaxQueryLen)})
	}
	if limit <= 0 || limit > 20 {
		limit = 5
	}
	acc := accessOf(a)
	// Feedback items are topics too (indexed as type feedback).
	tr, err := s.index.Search(ctx, search.Query{Text: text, Types: []string{search.TypeTopic, search.TypeFeedback}, Limit: limit, Access: acc, Prefix: true})
	if err != nil {
		return nil, nil, apperr.Unavailable("search_unavailable", "search is unavailable right now", err)
	}
	word := text
	if i := strings.LastIndexAny(text, " \t@"); i >= 0 {
		word = text[i+1:]
	}
	var ur search.Result
	if word != "" {
		ur, err = s.index.Search(ctx, search.Query{Text: word, Types: []string{search.TypeUser}, Limit: limit, Access: acc, Prefix: true})
		if err != nil {
			return nil, nil, apperr.Unavailable("search_unavailable", "search is unavailable right now", err)
		}
	}
	return tr.Hits, ur.Hits, nil
}

// ParseDocID splits "post-12" into its type and id.
func ParseDocID(id string) (string, int, bool) {
	typ, rest, ok := strings.Cut(id, "-")
	if !ok {
		return "", 0, false
	}
	n, err := strconv.Atoi(rest)
	return typ, n, err == nil && n > 0
}
