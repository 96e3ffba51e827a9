package search

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/registry"
)

// How text is indexed in Meilisearch, and how a query's text is turned
// into Meilisearch's q.
//
// Chinese. Meilisearch segments Chinese into words with jieba, at indexing
// and at query time, and when the two segmentations disagree matches are
// lost: 户关系 finds nothing in 客户关系管理 (jieba cuts 客户|关系|管理), nor
// does 系管, nor a word the dictionary glues to its neighbour. So Han and
// kana are indexed one character per word instead: between two such
// characters the stored text carries meiliCJKSep, which the index settings
// declare a separator token. A query then searches
//
//   - first each run of such characters as a phrase (the characters
//     adjacent and in order): a substring match, as precise as it gets;
//   - if that finds nothing (管理客户关系 has its words in another order
//     than 客户关系管理), the run as separate characters that must all
//     occur, and the proximity rule ranks first the documents where they
//     sit together and in order.
//
// English. Meilisearch does not stem, and the index contract wants
// "exporting" to find "export". So each document also carries "stems", the
// English stems of its title and body (bleve's English analyzer, the one
// the embedded index uses), and a query's Latin words are sent as their
// stems: "exporting" becomes "export", which is in the stems of a document
// saying "export", "exported" or "exports". Stop words are dropped (unless
// the text has nothing else). Typo tolerance and prefix search on the last
// word are Meilisearch's own.
//
// The text a user typed is words, never Meilisearch's query syntax: q is
// rebuilt from analysed words, so no quote or minus of the user's reaches
// Meilisearch. Highlighting works on the stored text, so the separators
// are removed again when snippets are built; the highlight tags are
// MarkOpen and MarkClose (highlight.go).
const meiliCJKSep = '\uE002' // between indexed Han and kana characters

// meiliMarkers are the private-use runes this backend gives a meaning;
// they are removed from indexed and query text.
const meiliMarkers = MarkOpen + MarkClose + string(meiliCJKSep)

// meiliMaxQueryUnits bounds the words and runs of a query; Meilisearch
// itself considers only the first ten words.
const meiliMaxQueryUnits = 10

// meiliDoc is a Doc as stored in Meilisearch.
type meiliDoc struct {
	ID       string   `json:"id"`
	Type     string   `json:"type"`
	Title    string   `json:"title"`
	Body     string   `json:"body"`
	Username string   `json:"username"`
	TagText  string   `json:"tag_text"` // tags as searchable text; tags stays exact for filters
	Stems    string   `json:"stems"`    // English stems of title and body
	Tags     []string `json:"tags"`
	AuthorID int      `json:"author_id"`
	// ForumID is absent when 0, so that "not in a forum" is no facet value.
	ForumID     int    `json:"forum_id,omitempty"`
	TopicID     int    `json:"topic_id"`
	GroupID     int    `json:"group_id"`
	Status      string `json:"status"`
	Visibility  string `json:"visibility"`
	Deleted     bool   `json:"deleted"`
	Votes       int    `json:"votes"`
	CreatedAtTS int64  `json:"created_at_ts"` // unix seconds, for filters and sorting
	UpdatedAtTS int64  `json:"updated_at_ts"`
}

// meiliAnalyzer prepares documents and query text. It is safe for
// concurrent use.
type meiliAnalyzer struct {
	en analysis.Analyzer
}

func newMeiliAnalyzer() (*meiliAnalyzer, error) {
	en, err := registry.NewCache().AnalyzerNamed(en.AnalyzerName)
	if err != nil {
		return nil, fmt.Errorf("meili: English analyzer: %w", err)
	}
	return &meiliAnalyzer{en: en}, nil
}

func (a *meiliAnalyzer) doc(d *Doc) meiliDoc {
	tags := d.Tags
	if tags == nil {
		tags = []string{}
	}
	return meiliDoc{
		ID:          d.ID,
		Type:        d.Type,
		Title:       meiliIndexText(d.Title),
		Body:        meiliIndexText(d.Body),
		Username:    meiliIndexText(d.Username),
		TagText:     meiliIndexText(strings.Join(tags, " ")),
		Stems:       a.stems(d.Title, d.Body),
		Tags:        tags,
		AuthorID:    d.AuthorID,
		ForumID:     d.ForumID,
		TopicID:     d.TopicID,
		GroupID:     d.GroupID,
		Status:      d.Status,
		Visibility:  d.Visibility,
		Deleted:     d.Deleted,
		Votes:       d.Votes,
		CreatedAtTS: meiliUnix(d.CreatedAt),
		UpdatedAtTS: meiliUnix(d.UpdatedAt),
	}
}

// stems returns the distinct English stems of texts, space-separated.
func (a *meiliAnalyzer) stems(texts ...string) string {
	seen := map[string]bool{}
	var b strings.Builder
	for _, text := range texts {
		latin := strings.Map(func(r rune) rune {
			if isMeiliCJK(r) || isMeiliMarker(r) {
				return ' '
			}
			return r
		}, text)
		for _, tok := range a.en.Analyze([]byte(latin)) {
			if s := string(tok.Term); !seen[s] {
				seen[s] = true
				b.WriteString(s)
				b.WriteByte(' ')
			}
		}
	}
	return strings.TrimSpace(b.String())
}

// meiliQuery is a query's text prepared for Meilisearch.
type meiliQuery struct {
	// strict is q with each Han or kana run a phrase; loose has the runs'
	// characters separate. relax reports whether they differ.
	strict, loose string
	relax         bool
	// none: the text has something but no word to look for (only
	// punctuation or symbols), so nothing matches.
	none bool
	// What highlight marks: stems are the query's English stems (and
	// words sent as typed), typed its Latin words as typed, lower-cased,
	// prefix the last of them when it is matched as a prefix, runs its
	// Han and kana runs.
	stems  map[string]bool
	typed  []string
	prefix string
	runs   []string
}

// query prepares the text a user typed. Unless prefix is set, a trailing
// space stops Meilisearch from matching the last word as a prefix. With
// prefix, the last word is sent as its stem only when that is a prefix of
// the word ("exporting" → "export"), else as typed ("key", whose stem
// "kei" would not find "keyboard").
func (a *meiliAnalyzer) query(text string, prefix bool) meiliQuery {
	type unit struct {
		strict, loose string
		typed         string // a Latin word as typed, lower-cased
	}
	var units []unit
	seen := map[string]bool{}
	add := func(u unit) {
		if !seen[u.strict] {
			seen[u.strict] = true
			units = append(units, u)
		}
	}
	var latin strings.Builder
	var raw []string // the Latin words unanalysed, for a text of stop words only
	var run []rune
	var runs []string
	endsLatin := false
	flushLatin := func() {
		if latin.Len() == 0 {
			return
		}
		s := latin.String()
		latin.Reset()
		for _, tok := range a.en.Analyze([]byte(s)) {
			typed := strings.ToLower(s[tok.Start:tok.End])
			typed = strings.TrimSuffix(strings.TrimSuffix(typed, "'s"), "’s")
			add(unit{string(tok.Term), string(tok.Term), typed})
		}
		raw = append(raw, strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
			return !unicode.IsLetter(r) && !unicode.IsNumber(r)
		})...)
	}
	flushRun := func() {
		if len(run) == 0 {
			return
		}
		runs = append(runs, string(run))
		chars := strings.Join(strings.Split(string(run), ""), string(meiliCJKSep))
		if len(run) == 1 {
			add(unit{strict: chars, loose: chars})
		} else {
			add(unit{strict: `"` + chars + `"`, loose: chars})
		}
		run = run[:0]
	}
	for _, r := range text {
		switch {
		case isMeiliMarker(r):
		case isMeiliCJK(r):
			flushLatin()
			run = append(run, r)
			endsLatin = false
		default:
			flushRun()
			latin.WriteRune(r)
			endsLatin = endsLatin || !unicode.IsSpace(r)
		}
	}
	flushLatin()
	flushRun()
	if len(units) == 0 {
		for _, w := range raw {
			add(unit{w, w, w})
		}
	}
	if len(units) == 0 {
		return meiliQuery{none: strings.TrimSpace(text) != ""}
	}
	units = units[:min(len(units), meiliMaxQueryUnits)]
	if last := &units[len(units)-1]; prefix && endsLatin && last.typed != "" && !strings.HasPrefix(last.typed, last.strict) {
		last.strict, last.loose = last.typed, last.typed
	}
	q := meiliQuery{stems: map[string]bool{}, runs: runs}
	s, l := make([]string, len(units)), make([]string, len(units))
	for i, u := range units {
		s[i], l[i] = u.strict, u.loose
		q.relax = q.relax || u.strict != u.loose
		if u.typed != "" {
			q.stems[u.strict] = true
			q.typed = append(q.typed, u.typed)
		}
	}
	if last := units[len(units)-1]; prefix && endsLatin && last.typed != "" {
		q.prefix = last.typed
	}
	q.strict, q.loose = strings.Join(s, " "), strings.Join(l, " ")
	if !prefix {
		q.strict += " "
		q.loose += " "
	}
	return q
}

// isMeiliCJK reports whether r is indexed as a word of its own.
func isMeiliCJK(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana)
}

func isMeiliMarker(r rune) bool { return strings.ContainsRune(meiliMarkers, r) }

// meiliIndexText prepares text for indexing: marker runes are dropped and
// adjacent Han or kana characters are separated.
func meiliIndexText(s string) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/2)
	prevCJK := false
	for _, r := range s {
		if isMeiliMarker(r) {
			continue
		}
		cjk := isMeiliCJK(r)
		if cjk && prevCJK {
			b.WriteRune(meiliCJKSep)
		}
		b.WriteRune(r)
		prevCJK = cjk
	}
	return b.String()
}

// highlight renders stored text (as meiliIndexText stored it) as a
// Snippet of at most maxRunes characters with the matches of q marked.
//
// Meilisearch could mark and crop the text itself, but that is most of
// its time per search (on the benchmark corpus, 18–74 ms of a search that
// takes 1–6 ms without it), so the text is fetched whole and marked here:
// the query's Han and kana runs where they occur as typed, or else their
// characters; Latin words equal to a typed word, beginning with the word
// matched as a prefix, within Meilisearch's typo distance of a typed word,
// or whose English stem is one of the query's (Meilisearch matched those
// through the stems field).
func (a *meiliAnalyzer) highlight(stored string, q *meiliQuery, maxRunes int) string {
	text := strings.ReplaceAll(stored, string(meiliCJKSep), "")
	var spans []Span
	for _, run := range q.runs {
		if n := len(spans); markAll(text, run, &spans) == n {
			for _, r := range run {
				markAll(text, string(r), &spans)
			}
		}
	}
	if len(q.stems) > 0 || len(q.typed) > 0 {
		spans = a.wordSpans(text, q, spans)
	}
	return Snippet(text, spans, maxRunes)
}

// markAll appends the spans of every occurrence of sub in text and
// returns how many spans there are now.
func markAll(text, sub string, spans *[]Span) int {
	for i := 0; sub != ""; {
		j := strings.Index(text[i:], sub)
		if j < 0 {
			break
		}
		*spans = append(*spans, Span{i + j, i + j + len(sub)})
		i += j + len(sub)
	}
	return len(*spans)
}

// wordSpans appends the spans of the Latin words of text that q matches
// (see highlight). A stem changes only the end of a word, so only the
// words that begin as some stem does are analysed, one by one.
func (a *meiliAnalyzer) wordSpans(text string, q *meiliQuery, spans []Span) []Span {
	const lead = 2 // letters compared before analysing
	starts := make(map[string]bool, len(q.stems))
	for s := range q.stems {
		starts[leadOf(s, lead)] = true
	}
	isWord := func(r rune) bool {
		return (unicode.IsLetter(r) || unicode.IsNumber(r) || r == '\'' || r == '’') && !isMeiliCJK(r)
	}
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		if !isWord(r) {
			i += size
			continue
		}
		end := i + size
		for end < len(text) {
			r, size := utf8.DecodeRuneInString(text[end:])
			if !isWord(r) {
				break
			}
			end += size
		}
		word := strings.ToLower(text[i:end])
		if q.matchesWord(word) {
			spans = append(spans, Span{i, end})
		} else if starts[leadOf(word, lead)] {
			for _, tok := range a.en.Analyze([]byte(text[i:end])) {
				if q.stems[string(tok.Term)] {
					spans = append(spans, Span{i + tok.Start, i + tok.End})
				}
			}
		}
		i = end
	}
	return spans
}

// matchesWord reports whether a lower-cased word is a typed word, begins
// with the prefix, or is a typo of a typed word as Meilisearch allows one
// (see meiliSettings: one from 5 letters, two from 9).
func (q *meiliQuery) matchesWord(word string) bool {
	if q.prefix != "" && strings.HasPrefix(word, q.prefix) {
		return true
	}
	for _, t := range q.typed {
		if word == t {
			return true
		}
		n := utf8.RuneCountInString(t)
		switch {
		case n >= 9 && typoDistance(word, t, 2) <= 2:
			return true
		case n >= 5 && typoDistance(word, t, 1) <= 1:
			return true
		}
	}
	return false
}

// typoDistance is the edit distance between a and b counting a swap of
// neighbours as one edit, or max+1 once it exceeds max.
func typoDistance(a, b string, max int) int {
	ra, rb := []rune(a), []rune(b)
	if d := len(ra) - len(rb); d > max || -d > max {
		return max + 1
	}
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		best := cur[0]
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
			best = min(best, cur[j])
		}
		if best > max {
			return max + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

// leadOf is the first n runes of s.
func leadOf(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

// meiliUnix is t in unix seconds; the zero time is 0.
func meiliUnix(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}
