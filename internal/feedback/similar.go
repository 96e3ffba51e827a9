package feedback

import (
	"context"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"entgo.io/ent/dialect/sql"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/feedbackitem"
	"github.com/crn-dev/crn/ent/topic"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/discovery"
	"github.com/crn-dev/crn/internal/search"
)

// SimilarQueryMax bounds the text of a similar-items query, in characters.
const SimilarQueryMax = 200

// Similar returns items like text, for someone composing a new one: from
// the search index when there is one (type feedback), otherwise, or when the
// index is unavailable, from a title match in SQL. Duplicates are left out.
func (s *Service) Similar(ctx context.Context, a authz.Actor, text string, board, limit int) ([]*Item, error) {
	text = strings.TrimSpace(text)
	if text == "" || !utf8.ValidString(text) || utf8.RuneCountInString(text) > SimilarQueryMax {
		return nil, apperr.Validation(map[string]string{"q": "must be 1 to " + itoa(SimilarQueryMax) + " characters"})
	}
	if limit <= 0 || limit > s.limits.SimilarMax {
		limit = min(5, s.limits.SimilarMax)
	}
	if s.search != nil {
		items, err := s.similarSearch(ctx, a, text, board, limit)
		if err == nil {
			return items, nil
		}
		if !apperr.Is(err, apperr.KindUnavailable) {
			return nil, err
		}
	}
	return s.similarSQL(ctx, a, text, board, limit)
}

func (s *Service) similarSearch(ctx context.Context, a authz.Actor, text string, board, limit int) ([]*Item, error) {
	p := discovery.Params{Text: text, Types: []string{search.TypeFeedback}, Limit: min(discovery.MaxLimit, limit*2)}
	if board > 0 {
		p.ForumIDs = []int{board}
	}
	page, err := s.search.Search(ctx, a, p)
	if err != nil {
		return nil, err
	}
	var ids []int
	for _, h := range page.Hits {
		if _, id, ok := discovery.ParseDocID(h.ID); ok {
			ids = append(ids, id)
		}
	}
	return s.ranked(ctx, a, ids, limit)
}

// ranked loads the readable, non-duplicate items among ids, in ids' order.
func (s *Service) ranked(ctx context.Context, a authz.Actor, ids []int, limit int) ([]*Item, error) {
	if len(ids) == 0 {
		return []*Item{}, nil
	}
	its, err := s.db.FeedbackItem.Query().Where(readable(a), feedbackitem.IDIn(ids...), feedbackitem.DuplicateOfIsNil()).All(ctx)
	if err != nil {
		return nil, apperr.Internal("similar feedback", err)
	}
	byID := map[int]*ent.FeedbackItem{}
	for _, it := range its {
		byID[it.ID] = it
	}
	ordered := make([]*ent.FeedbackItem, 0, limit)
	for _, id := range ids {
		if it := byID[id]; it != nil && len(ordered) < limit {
			ordered = append(ordered, it)
			delete(byID, id)
		}
	}
	return s.views(ctx, a, ordered, nil)
}

// similarSQL matches the query's words (Latin) and character bigrams (Han,
// kana, Hangul) against titles, ranking by how many match, then by votes.
func (s *Service) similarSQL(ctx context.Context, a authz.Actor, text string, board, limit int) ([]*Item, error) {
	terms := queryTerms(text)
	if len(terms) == 0 {
		return []*Item{}, nil
	}
	match := func(sel *sql.Selector) {
		t := sql.Table(topic.Table)
		var or []*sql.Predicate
		for _, term := range terms {
			or = append(or, sql.ContainsFold(t.C(topic.FieldTitle), term))
		}
		sel.Where(sql.In(sel.C(feedbackitem.FieldID), sql.Select(t.C(topic.FieldID)).From(t).Where(sql.Or(or...))))
	}
	q := s.db.FeedbackItem.Query().Where(readable(a), feedbackitem.DuplicateOfIsNil(), match)
	if board > 0 {
		q = q.Where(feedbackitem.ForumID(board))
	}
	its, err := q.Order(ent.Desc(feedbackitem.FieldVoteCount), ent.Desc(feedbackitem.FieldID)).Limit(200).All(ctx)
	if err != nil {
		return nil, apperr.Internal("similar feedback", err)
	}
	views, err := s.views(ctx, a, its, nil)
	if err != nil {
		return nil, err
	}
	score := map[int]int{}
	for _, v := range views {
		title := strings.ToLower(v.Topic.Title)
		for _, term := range terms {
			if strings.Contains(title, term) {
				score[v.ID]++
			}
		}
	}
	sort.SliceStable(views, func(i, j int) bool { return score[views[i].ID] > score[views[j].ID] })
	if len(views) > limit {
		views = views[:limit]
	}
	return views, nil
}

// stopWords are English words too common to say two titles are alike.
var stopWords = map[string]bool{
	"the": true, "and": true, "for": true, "with": true, "that": true, "this": true, "are": true, "was": true,
	"you": true, "your": true, "can": true, "not": true, "how": true, "what": true, "when": true, "why": true,
	"please": true, "would": true, "could": true, "should": true, "have": true, "has": true, "from": true, "add": true,
}

// maxTerms bounds the terms of a fallback query.
const maxTerms = 12

// queryTerms splits text into lowercase words of three letters or more
// (minus stop words) and bigrams of CJK characters.
func queryTerms(text string) []string {
	var terms []string
	seen := map[string]bool{}
	add := func(t string) {
		if !seen[t] && len(terms) < maxTerms {
			seen[t] = true
			terms = append(terms, t)
		}
	}
	var word, cjk []rune
	flushWord := func() {
		if w := strings.ToLower(string(word)); utf8.RuneCountInString(w) >= 3 && !stopWords[w] {
			add(w)
		}
		word = word[:0]
	}
	flushCJK := func() {
		if len(cjk) == 1 {
			add(string(cjk))
		}
		for i := 0; i+1 < len(cjk); i++ {
			add(string(cjk[i : i+2]))
		}
		cjk = cjk[:0]
	}
	for _, r := range text {
		switch {
		case isCJK(r):
			flushWord()
			cjk = append(cjk, r)
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			flushCJK()
			word = append(word, r)
		default:
			flushWord()
			flushCJK()
		}
	}
	flushWord()
	flushCJK()
	return terms
}

func isCJK(r rune) bool {
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r) || unicode.Is(unicode.Hangul, r)
}
