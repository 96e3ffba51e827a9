package search

import (
	"fmt"
	"strconv"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/lang/cjk"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/token/porter"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/single"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/mapping"
)

// embeddedSchema versions the mapping below. An index written with another
// version still serves, but NeedsReindex reports true so the caller rebuilds
// it. Bump it whenever the mapping or the indexed document changes.
const embeddedSchema = "2"

// schemaKey is the internal key under which an index records its schema.
var schemaKey = []byte("crn:schema")

// Field names in the embedded index. Title and body are indexed twice: once
// with the English analyzer (stemmed words, single Han characters) under
// their own names, which are also the stored copies used for snippets, and
// once with the CJK analyzer (bigrams of Han characters, unstemmed words,
// which is where typos are looked for) under a shadow name.
//
// Filters are keyword terms: ids are indexed as their decimal text (a
// numeric field would index a dozen range terms per value, and a numeric
// range query walk them), and what a caller may see is one term, the
// visibility of a document that is not deleted, so that the common access
// filter reads one posting list.
const (
	fieldTitle      = "title"
	fieldTitleCJK   = "title_cjk"
	fieldBody       = "body"
	fieldBodyCJK    = "body_cjk"
	fieldType       = "type"
	fieldUsername   = "username"
	fieldVisibility = "visibility"
	fieldLive       = "live_visibility" // the visibility of a document that is not deleted
	fieldStatus     = "status"
	fieldTags       = "tags"
	fieldAuthor     = "author_id"
	fieldForumKey   = "forum_key"
	fieldTopic      = "topic_id"
	fieldGroup      = "group_id"
	fieldGrouped    = "grouped"    // "1" for a document of a group
	fieldCreatedAt  = "created_at" // for time ranges, and stored
	fieldVotesKey   = "votes_key"  // sort keys: see sortKey
	fieldCreatedKey = "created_key"
	fieldFacets     = "facets" // every facet value, as "<facet>:<value>"
	fieldDeleted    = "deleted"
)

// Sorts and facets read doc values for every match, so each is one small
// keyword per document: bleve's numeric and date fields keep a dozen
// range terms per value in their doc values, and three facet fields cost
// three reads per match where one holds them all.

// groupedTerm is the value of fieldGrouped.
const groupedTerm = "1"

// Analyzers. The English one is bleve's "en" (possessives, lower case,
// stop words, Porter stems) with full-width letters folded first, as the
// CJK analyzer does, so that ＣＲＭ typed with a Chinese IME finds CRM.
const (
	analyzerEnglish      = "crn_english"
	analyzerCJK          = cjk.AnalyzerName
	analyzerKeywordLower = "crn_keyword_lower"
)

// newEmbeddedMapping describes how a Doc is indexed.
func newEmbeddedMapping() (*mapping.IndexMappingImpl, error) {
	im := bleve.NewIndexMapping()
	err := im.AddCustomAnalyzer(analyzerEnglish, map[string]any{
		"type":          custom.Name,
		"tokenizer":     unicode.Name,
		"token_filters": []any{cjk.WidthName, en.PossessiveName, lowercase.Name, en.StopName, porter.Name},
	})
	if err == nil {
		err = im.AddCustomAnalyzer(analyzerKeywordLower, map[string]any{
			"type":          custom.Name,
			"tokenizer":     single.Name,
			"token_filters": []any{lowercase.Name},
		})
	}
	if err != nil {
		return nil, fmt.Errorf("search: mapping: %w", err)
	}
	im.ScoringModel = "bm25"
	im.IndexDynamic = false
	im.StoreDynamic = false
	im.DocValuesDynamic = false

	text := func(name, analyzer string, store bool) *mapping.FieldMapping {
		f := bleve.NewTextFieldMapping()
		f.Name = name
		f.Analyzer = analyzer
		f.Store = store
		f.IncludeInAll = false
		f.DocValues = false
		return f
	}
	keyword := func(docValues bool) *mapping.FieldMapping {
		f := bleve.NewKeywordFieldMapping()
		f.Store = false
		f.IncludeInAll = false
		f.IncludeTermVectors = false
		f.DocValues = docValues
		return f
	}

	dm := bleve.NewDocumentStaticMapping()
	dm.AddFieldMappingsAt(fieldTitle, text(fieldTitle, analyzerEnglish, true), text(fieldTitleCJK, analyzerCJK, false))
	dm.AddFieldMappingsAt(fieldBody, text(fieldBody, analyzerEnglish, true), text(fieldBodyCJK, analyzerCJK, false))

	typ := keyword(false)
	typ.Store = true // returned with each hit
	dm.AddFieldMappingsAt(fieldType, typ)
	username := keyword(false)
	username.Analyzer = analyzerKeywordLower
	dm.AddFieldMappingsAt(fieldUsername, username)
	for _, f := range []string{fieldVisibility, fieldLive, fieldStatus, fieldAuthor, fieldForumKey, fieldTopic, fieldGroup, fieldGrouped, fieldTags} {
		dm.AddFieldMappingsAt(f, keyword(false))
	}
	// Sorted on and faceted: doc values.
	for _, f := range []string{fieldVotesKey, fieldCreatedKey, fieldFacets} {
		dm.AddFieldMappingsAt(f, keyword(true))
	}
	created := bleve.NewDateTimeFieldMapping()
	created.Store = true // orders equal scores within a page
	created.IncludeInAll = false
	created.DocValues = false
	dm.AddFieldMappingsAt(fieldCreatedAt, created)

	deleted := bleve.NewBooleanFieldMapping()
	deleted.Store = false
	deleted.IncludeInAll = false
	deleted.DocValues = false
	dm.AddFieldMappingsAt(fieldDeleted, deleted)

	im.DefaultMapping = dm
	if err := im.Validate(); err != nil {
		return nil, fmt.Errorf("search: mapping: %w", err)
	}
	return im, nil
}

// indexable is the shape of a Doc that the mapping above indexes. Empty
// strings and zero times are left out so they index nothing.
func indexable(d Doc) map[string]any {
	m := map[string]any{
		fieldType:     d.Type,
		fieldVotesKey: sortKey(int64(d.Votes)),
		fieldDeleted:  d.Deleted,
	}
	facets := []string{facetType + ":" + d.Type}
	set := func(field, v string) {
		if v != "" {
			m[field] = v
		}
	}
	id := func(field string, v int) {
		if v != 0 {
			m[field] = strconv.Itoa(v)
		}
	}
	set(fieldTitle, d.Title)
	set(fieldBody, d.Body)
	set(fieldUsername, d.Username)
	set(fieldVisibility, d.Visibility)
	if !d.Deleted {
		set(fieldLive, d.Visibility)
	}
	set(fieldStatus, d.Status)
	id(fieldAuthor, d.AuthorID)
	id(fieldForumKey, d.ForumID)
	id(fieldTopic, d.TopicID)
	id(fieldGroup, d.GroupID)
	if d.GroupID != 0 {
		m[fieldGrouped] = groupedTerm
	}
	if d.ForumID != 0 {
		facets = append(facets, facetForum+":"+strconv.Itoa(d.ForumID))
	}
	tags := make([]string, 0, len(d.Tags))
	for _, t := range d.Tags {
		if t != "" {
			tags = append(tags, t)
			facets = append(facets, facetTags+":"+t)
		}
	}
	if len(tags) > 0 {
		m[fieldTags] = tags
	}
	m[fieldFacets] = facets
	if t, ok := indexableTime(d.CreatedAt); ok {
		m[fieldCreatedAt] = t
		m[fieldCreatedKey] = sortKey(t.UnixNano())
	}
	return m
}

// sortKey encodes n as 16 hexadecimal digits that sort as n does.
func sortKey(n int64) string {
	return fmt.Sprintf("%016x", uint64(n)^(1<<63))
}

// The index stores times as nanoseconds since 1970 in an int64.
var (
	minIndexTime = time.Date(1678, 1, 1, 0, 0, 0, 0, time.UTC)
	maxIndexTime = time.Date(2262, 1, 1, 0, 0, 0, 0, time.UTC)
)

// indexableTime reports t in UTC, and whether the index can hold it.
func indexableTime(t time.Time) (time.Time, bool) {
	if t.IsZero() || t.Before(minIndexTime) || t.After(maxIndexTime) {
		return time.Time{}, false
	}
	return t.UTC(), true
}

// clampTime brings a query bound into the range the index can hold.
func clampTime(t time.Time) time.Time {
	switch {
	case t.IsZero():
		return t
	case t.Before(minIndexTime):
		return minIndexTime
	case t.After(maxIndexTime):
		return maxIndexTime
	}
	return t.UTC()
}
