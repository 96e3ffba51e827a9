package search

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/mapping"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
)

// Limits of a query.
const (
	defaultLimit = 20
	maxLimit     = 100
	facetSize    = 20
	// maxOffset bounds paging, which costs as much as reading every page
	// before the one asked for.
	maxOffset = 100_000
	// A very long text is cut: to its first maxQueryBytes, to
	// maxQueryUnits words and CJK runs, and to maxRunBigrams per run.
	maxQueryBytes = 1024
	maxQueryUnits = 16
	maxRunBigrams = 32
	// minShouldMatch is the fraction of a text's words (and of a CJK run's
	// bigrams) a document must contain to match.
	minShouldMatch = 0.6
	// fuzzyMinRunes is the shortest English word that tolerates a typo.
	fuzzyMinRunes = 5
	// fuzzyPrefix is how many leading bytes of a word are taken as typed
	// right: typos at the start are rare, and walking the whole dictionary
	// for them is most of a fuzzy query's cost.
	fuzzyPrefix = 1
	// prefixMinRunes is the shortest last word matched as a prefix: one
	// letter would expand to most of the dictionary.
	prefixMinRunes = 2
)

// Boosts of the parts of a text query. Titles weigh more than bodies; a
// word (by its stem) more than a prefix, a prefix more than a typo.
const (
	boostTitle    = 2.0
	boostBody     = 1.0
	boostUsername = 2.0
	boostPrefix   = 0.6
	boostFuzzy    = 0.3
)

// queryBuilder turns a Query into a bleve request and a bleve result into a
// Result.
type queryBuilder struct {
	cjk     analysis.Analyzer
	english analysis.Analyzer
}

func newQueryBuilder(im *mapping.IndexMappingImpl) *queryBuilder {
	return &queryBuilder{
		cjk:     im.AnalyzerNamed(analyzerCJK),
		english: im.AnalyzerNamed(analyzerEnglish),
	}
}

// request builds the bleve request for q, and returns the text query too
// (nil without text), for highlighting. common reports whether a word
// occurs, as typed, in so many documents that it is no typo.
//
// The request reads no term locations: those are read only for the hits
// of the page, by highlightRequest, instead of for every match.
func (qb *queryBuilder) request(q Query, common func(word string) bool) (*bleve.SearchRequest, query.Query) {
	text := qb.textQuery(q.Text, q.Prefix, common)
	var bq query.Query
	if text != nil {
		// The filter restricts without scoring.
		b := bleve.NewBooleanQuery()
		b.AddMust(text)
		b.AddFilter(filterQuery(q))
		bq = b
	} else {
		// Without text, nothing scores: the filter alone is cheaper
		// than a filtered match-all, which visits every document.
		bq = filterQuery(q)
	}

	limit := q.Limit
	if limit <= 0 {
		limit = defaultLimit
	}
	limit = min(limit, maxLimit)
	req := bleve.NewSearchRequestOptions(bq, limit, min(max(q.Offset, 0), maxOffset), false)
	req.Fields = []string{fieldType, fieldCreatedAt}

	// Sorting on a field reads it for every match, so relevance sorts on
	// the score alone, which bleve does without reading any field; equal
	// scores are then ordered newest first within the page (see result).
	desc := func(field string) *bsearch.SortField {
		return &bsearch.SortField{Field: field, Desc: true, Type: bsearch.SortFieldAsString}
	}
	switch {
	case q.Sort == SortVotes:
		req.SortByCustom(bsearch.SortOrder{desc(fieldVotesKey), desc(fieldCreatedKey)})
	case q.Sort == SortNewest || text == nil:
		req.SortByCustom(bsearch.SortOrder{desc(fieldCreatedKey)})
	}
	if text == nil || q.Sort == SortNewest || q.Sort == SortVotes {
		req.Score = bleve.ScoreNone
	}
	if q.Facets {
		// Every value of the one field, so that each facet's top
		// values can be picked (see result).
		req.AddFacet(fieldFacets, bleve.NewFacetRequest(fieldFacets, math.MaxInt32))
	}
	return req, text
}

// highlightRequest reads the stored text and the matches of text (which
// may be nil) in the documents ids: the page that request found. The ids
// are what must match, so each comes back even if it no longer matches the
// text.
func highlightRequest(text query.Query, ids []string) *bleve.SearchRequest {
	var q query.Query = bleve.NewDocIDQuery(ids)
	if text != nil {
		b := bleve.NewBooleanQuery()
		b.AddMust(q)
		b.AddShould(text)
		q = b
	}
	req := bleve.NewSearchRequestOptions(q, len(ids), 0, false)
	req.Fields = []string{fieldTitle, fieldBody}
	req.IncludeLocations = true
	return req
}

// unit is one thing a text asks for: a word, or a run of Han characters.
type unit struct {
	word    string   // lower-cased surface form of a word
	stem    string   // its English stem; empty for a stop word
	numeric bool     // the word is a number: no typos
	bigrams []string // a CJK run: its bigrams, or its one character
}

// units splits text the way the index was analysed: the CJK analyzer finds
// words and Han bigrams, and the English analyzer stems each word.
func (qb *queryBuilder) units(text string) []unit {
	var out []unit
	seen := map[string]bool{}
	runEnd := -1
	if len(text) > maxQueryBytes {
		cut := maxQueryBytes
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = text[:cut]
	}
	for _, tok := range qb.cjk.Analyze([]byte(text)) {
		switch tok.Type {
		case analysis.Double, analysis.Single:
			// Bigrams of one run overlap; a gap starts a new run.
			if n := len(out); n > 0 && out[n-1].bigrams != nil && tok.Start < runEnd {
				if len(out[n-1].bigrams) < maxRunBigrams {
					out[n-1].bigrams = append(out[n-1].bigrams, string(tok.Term))
				}
			} else {
				out = append(out, unit{bigrams: []string{string(tok.Term)}})
			}
			runEnd = tok.End
		default:
			runEnd = -1
			word := string(tok.Term)
			if seen[word] {
				continue
			}
			seen[word] = true
			u := unit{word: word, numeric: tok.Type == analysis.Numeric}
			if stems := qb.english.Analyze(tok.Term); len(stems) > 0 {
				u.stem = string(stems[0].Term)
			}
			out = append(out, u)
		}
	}
	// Drop stop words, unless the text is nothing but stop words.
	kept := slices.DeleteFunc(slices.Clone(out), func(u unit) bool { return u.bigrams == nil && u.stem == "" })
	if len(kept) > 0 {
		out = kept
	}
	if len(out) > maxQueryUnits {
		out = out[:maxQueryUnits]
	}
	return out
}

// textQuery is the query for a text; nil when the text asks for nothing.
// Every word is a disjunction over both analyses of title and body (and the
// username); the text matches when enough of its words do.
func (qb *queryBuilder) textQuery(text string, prefix bool, common func(string) bool) query.Query {
	if strings.TrimSpace(text) == "" {
		return nil
	}
	units := qb.units(text)
	if len(units) == 0 {
		return bleve.NewMatchNoneQuery()
	}
	clauses := make([]query.Query, 0, len(units))
	for i, u := range units {
		if u.bigrams != nil {
			clauses = append(clauses, cjkClause(u.bigrams))
		} else {
			clauses = append(clauses, wordClause(u, prefix && i == len(units)-1, common))
		}
	}
	return atLeast(clauses, minShouldMatch)
}

// cjkClause matches a run of Han characters by its bigrams, in any order.
// A lone character has no bigram; it matches the single characters that
// the English analysis indexes.
func cjkClause(bigrams []string) query.Query {
	if len(bigrams) == 1 && utf8.RuneCountInString(bigrams[0]) == 1 {
		return either(
			term(bigrams[0], fieldTitle, boostTitle),
			term(bigrams[0], fieldBody, boostBody),
		)
	}
	clauses := make([]query.Query, 0, len(bigrams))
	for _, bg := range bigrams {
		clauses = append(clauses, either(
			term(bg, fieldTitleCJK, boostTitle),
			term(bg, fieldBodyCJK, boostBody),
		))
	}
	return atLeast(clauses, minShouldMatch)
}

// wordClause matches one word: by stem, by username, with a typo when it
// is long enough and not common as typed, and as a prefix when asked. A
// stop word (kept only when the text has nothing else) is looked for as
// written.
//
// A word that many documents contain as typed is taken as typed right:
// looking for its typos would walk the term dictionaries and add the
// postings of its neighbours ("exports", "expert") to every search for it.
// Only the word as typed is looked for then.
func wordClause(u unit, prefix bool, common func(string) bool) query.Query {
	var qs []query.Query
	if u.stem != "" {
		qs = append(qs, term(u.stem, fieldTitle, boostTitle), term(u.stem, fieldBody, boostBody))
	}
	qs = append(qs, term(u.word, fieldUsername, boostUsername))
	if u.stem == "" {
		qs = append(qs, term(u.word, fieldTitleCJK, boostTitle), term(u.word, fieldBodyCJK, boostBody))
	}
	if u.stem != "" && !u.numeric && utf8.RuneCountInString(u.word) >= fuzzyMinRunes {
		// A typo is an edit of the word as written, so it is looked
		// for among the unstemmed words of the CJK analysis. Those
		// matches include the word itself, which ranks a document with
		// the word as typed above one with another word of its stem;
		// a common word keeps that, without the typos.
		typos := !common(u.word)
		for _, f := range []struct {
			field string
			boost float64
		}{{fieldTitleCJK, boostTitle}, {fieldBodyCJK, boostBody}} {
			if !typos {
				qs = append(qs, term(u.word, f.field, f.boost*boostFuzzy))
				continue
			}
			fq := bleve.NewFuzzyQuery(u.word)
			fq.SetFuzziness(1)
			fq.SetPrefix(fuzzyPrefix)
			fq.SetField(f.field)
			fq.SetBoost(f.boost * boostFuzzy)
			qs = append(qs, fq)
		}
	}
	if prefix && utf8.RuneCountInString(u.word) >= prefixMinRunes {
		// Among the words as written (and usernames): a stem begins
		// as its word does, so the stemmed fields would add the same
		// documents again.
		for _, f := range []struct {
			field string
			boost float64
		}{{fieldTitleCJK, boostTitle}, {fieldBodyCJK, boostBody}, {fieldUsername, boostUsername}} {
			pq := bleve.NewPrefixQuery(u.word)
			pq.SetField(f.field)
			pq.SetBoost(f.boost * boostPrefix)
			qs = append(qs, pq)
		}
	}
	return either(qs...)
}

// filterQuery restricts a query to what it filters on and to what the
// caller may see. It never scores.
func filterQuery(q Query) query.Query {
	yes := true
	var must []query.Query

	// Access first: no visibilities means nothing is visible.
	if len(q.Access.Visibilities) == 0 {
		return bleve.NewMatchNoneQuery()
	}
	must = append(must, accessQuery(q.Access))

	if len(q.Types) > 0 {
		must = append(must, anyTerm(fieldType, q.Types))
	}
	if len(q.ForumIDs) > 0 {
		must = append(must, anyID(fieldForumKey, q.ForumIDs))
	}
	if len(q.GroupIDs) > 0 {
		must = append(must, anyID(fieldGroup, q.GroupIDs))
	}
	if q.AuthorID != 0 {
		must = append(must, anyID(fieldAuthor, []int{q.AuthorID}))
	}
	if len(q.Tags) > 0 {
		must = append(must, anyTerm(fieldTags, q.Tags))
	}
	if len(q.Statuses) > 0 {
		must = append(must, anyTerm(fieldStatus, q.Statuses))
	}
	if !q.From.IsZero() || !q.To.IsZero() {
		dq := bleve.NewDateRangeInclusiveQuery(clampTime(q.From), clampTime(q.To), &yes, &yes)
		dq.SetField(fieldCreatedAt)
		must = append(must, dq)
	}
	if len(must) == 1 {
		return must[0]
	}
	return bleve.NewConjunctionQuery(must...)
}

// accessQuery matches what a caller may see. For most callers that is the
// documents not deleted with one of their visibilities: one term each of
// the live visibility.
func accessQuery(a Access) query.Query {
	visible := anyTerm(fieldVisibility, a.Visibilities)
	if a.AllGroups {
		visible = either(visible, term(groupedTerm, fieldGrouped, 1))
	}
	if a.AllDeleted {
		return visible
	}
	live := anyTerm(fieldLive, a.Visibilities)
	if a.AllGroups {
		notDeleted := bleve.NewBoolFieldQuery(false)
		notDeleted.SetField(fieldDeleted)
		live = either(live, bleve.NewConjunctionQuery(term(groupedTerm, fieldGrouped, 1), notDeleted))
	}
	if len(a.DeletedInForums) > 0 {
		// Deleted or not, in a forum they moderate.
		live = either(live, bleve.NewConjunctionQuery(visible, anyID(fieldForumKey, a.DeletedInForums)))
	}
	return live
}

func term(t, field string, boost float64) query.Query {
	tq := bleve.NewTermQuery(t)
	tq.SetField(field)
	tq.SetBoost(boost)
	return tq
}

func anyTerm(field string, values []string) query.Query {
	qs := make([]query.Query, 0, len(values))
	for _, v := range values {
		qs = append(qs, term(v, field, 1))
	}
	return either(qs...)
}

func anyID(field string, ids []int) query.Query {
	qs := make([]query.Query, 0, len(ids))
	for _, id := range ids {
		qs = append(qs, term(strconv.Itoa(id), field, 1))
	}
	return either(qs...)
}

// either matches when any of qs does.
func either(qs ...query.Query) query.Query {
	if len(qs) == 1 {
		return qs[0]
	}
	return bleve.NewDisjunctionQuery(qs...)
}

// atLeast matches when at least the given fraction of qs do (rounded up).
// When that is all of them, it is a conjunction, which skips ahead in the
// others to the matches of the rarest instead of reading all of them.
func atLeast(qs []query.Query, fraction float64) query.Query {
	if len(qs) == 1 {
		return qs[0]
	}
	need := math.Ceil(fraction * float64(len(qs)))
	if int(need) >= len(qs) {
		return bleve.NewConjunctionQuery(qs...)
	}
	dq := bleve.NewDisjunctionQuery(qs...)
	dq.SetMin(need)
	return dq
}

// result converts a bleve result; texts holds the page's stored text and
// matches, by id (see highlightRequest).
func (qb *queryBuilder) result(req *bleve.SearchRequest, res *bleve.SearchResult, texts map[string]*bsearch.DocumentMatch, facets bool) Result {
	out := Result{
		Hits:           make([]Hit, 0, len(res.Hits)),
		EstimatedTotal: int(res.Total),
	}
	hits := res.Hits
	if sortedByScore(req) {
		hits = slices.Clone(hits)
		slices.SortStableFunc(hits, func(a, b *bsearch.DocumentMatch) int {
			if a.Score != b.Score {
				return cmp.Compare(b.Score, a.Score)
			}
			return storedTime(b).Compare(storedTime(a))
		})
	}
	for _, h := range hits {
		hit := Hit{ID: h.ID, Highlights: map[string]string{}}
		hit.Type, _ = h.Fields[fieldType].(string)
		t := texts[h.ID]
		if t == nil {
			out.Hits = append(out.Hits, hit)
			continue
		}
		for _, f := range []struct {
			name, shadow string
			runes        int
		}{{fieldTitle, fieldTitleCJK, titleSnippetRunes}, {fieldBody, fieldBodyCJK, bodySnippetRunes}} {
			text, _ := t.Fields[f.name].(string)
			if text == "" {
				continue
			}
			spans := locationSpans(t.Locations[f.name], nil)
			spans = locationSpans(t.Locations[f.shadow], spans)
			hit.Highlights[f.name] = Snippet(text, spans, f.runes)
		}
		out.Hits = append(out.Hits, hit)
	}
	if facets {
		out.Facets = facetCounts(res.Facets[fieldFacets])
	}
	return out
}

// Facet names, as the Result reports them and fieldFacets prefixes its
// values.
const (
	facetType  = "type"
	facetForum = "forum_id"
	facetTags  = "tags"
)

// facetCounts splits the counts of fieldFacets into facets and keeps the
// facetSize values of each that most documents have.
func facetCounts(fr *bsearch.FacetResult) map[string]map[string]int {
	type count struct {
		value string
		n     int
	}
	byFacet := map[string][]count{facetType: nil, facetForum: nil, facetTags: nil}
	if fr != nil && fr.Terms != nil {
		for _, tf := range fr.Terms.Terms() {
			name, value, ok := strings.Cut(tf.Term, ":")
			if _, known := byFacet[name]; ok && known {
				byFacet[name] = append(byFacet[name], count{value, tf.Count})
			}
		}
	}
	out := make(map[string]map[string]int, len(byFacet))
	for name, counts := range byFacet {
		slices.SortFunc(counts, func(a, b count) int {
			if a.n != b.n {
				return cmp.Compare(b.n, a.n)
			}
			return strings.Compare(a.value, b.value)
		})
		m := make(map[string]int, min(len(counts), facetSize))
		for _, c := range counts[:min(len(counts), facetSize)] {
			m[c.value] = c.n
		}
		out[name] = m
	}
	return out
}

// sortedByScore reports whether a request was sorted by score alone.
func sortedByScore(req *bleve.SearchRequest) bool {
	return len(req.Sort) == 1 && req.Sort[0].RequiresScoring() && req.Score != bleve.ScoreNone
}

// storedTime is the created_at stored with a hit.
func storedTime(h *bsearch.DocumentMatch) time.Time {
	s, _ := h.Fields[fieldCreatedAt].(string)
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

// locationSpans appends the byte ranges of the matched terms of one field.
func locationSpans(terms bsearch.TermLocationMap, spans []Span) []Span {
	for _, locs := range terms {
		for _, l := range locs {
			spans = append(spans, Span{Start: int(l.Start), End: int(l.End)})
		}
	}
	return spans
}
