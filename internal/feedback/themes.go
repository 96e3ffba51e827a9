package feedback

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/lang/cjk"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	unicodetok "github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/registry"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// Themes groups feedback text into labelled clusters. The method (see
// docs/feedback.md):
//
//  1. Tokenise with one bleve analyzer for both languages: Unicode word
//     breaks, full-width folding, English possessives, lower case, English
//     stop words and Snowball stems for words, and overlapping bigrams for
//     runs of Han, kana and Hangul (Chinese has no spaces, and bigrams
//     find its words without a dictionary). Bigrams holding a Chinese
//     function character (的, 了, 是…) are dropped.
//  2. Weigh terms with TF-IDF (sublinear tf, smoothed idf), keeping terms
//     found in at least two items (a term in one item links nothing) and in
//     at most half of them (a term everyone uses tells no theme apart), the
//     ThemeVocabulary most frequent; rows are L2-normalised.
//  3. Cluster agglomeratively with average linkage on cosine similarity
//     (gonum computes X·Xᵀ), merging while the closest pair of clusters is
//     at least ThemeThreshold alike. No number of clusters to guess, and
//     the result does not depend on a random start.
//  4. Label each cluster with the three heaviest terms of its centroid,
//     words shown in their most frequent spelling rather than as stems.
type ThemeDoc struct {
	ID    int
	Title string
	Text  string // title and body
	Votes int
}

// Theme is one cluster.
type Theme struct {
	Label string      `json:"label"`
	Terms []string    `json:"terms"`
	Votes int         `json:"votes"`
	Items []ThemeItem `json:"items"`
}

// ThemeItem is an item in a theme.
type ThemeItem struct {
	ID    int    `json:"id"`
	Title string `json:"title"`
	Votes int    `json:"votes"`
}

// Tuning of the theme clustering.
const (
	ThemeThreshold  = 0.12 // least average cosine similarity of two clusters to merge
	ThemeVocabulary = 1500 // most terms kept
	ThemeDocsMax    = 800  // most items clustered (the most voted)
	themeLabelTerms = 3
)

// zhStop are function characters: a bigram holding one is seldom a word.
var zhStop = map[rune]bool{}

func init() {
	for _, r := range "的了是在和也就都而及与或我你他她它们这那吗呢吧啊很把被让给着过之其" {
		zhStop[r] = true
	}
}

var (
	analyzerOnce  sync.Once
	themeAnalyzer analysis.Analyzer
	analyzerErr   error
)

func textAnalyzer() (analysis.Analyzer, error) {
	analyzerOnce.Do(func() {
		cache := registry.NewCache()
		themeAnalyzer, analyzerErr = cache.DefineAnalyzer("crn_feedback_themes", map[string]any{
			"type":      custom.Name,
			"tokenizer": unicodetok.Name,
			"token_filters": []any{cjk.WidthName, en.PossessiveName, lowercase.Name, en.StopName,
				en.SnowballStemmerName, cjk.BigramName},
		})
	})
	return themeAnalyzer, analyzerErr
}

// terms returns the analysed terms of text and, for word terms, the
// spelling each came from.
func terms(a analysis.Analyzer, text string, surface map[string]map[string]int) []string {
	var out []string
	for _, tok := range a.Analyze([]byte(text)) {
		term := string(tok.Term)
		if tok.Type == analysis.Ideographic || tok.Type == analysis.Double || tok.Type == analysis.Single {
			if utf8.RuneCountInString(term) < 2 || strings.ContainsFunc(term, func(r rune) bool { return zhStop[r] }) {
				continue
			}
			out = append(out, term)
			continue
		}
		if utf8.RuneCountInString(term) < 2 || strings.IndexFunc(term, unicode.IsLetter) < 0 {
			continue // numbers and single letters say nothing about a theme
		}
		out = append(out, term)
		if surface != nil && tok.End <= len(text) && tok.Start < tok.End {
			word := strings.ToLower(text[tok.Start:tok.End])
			if surface[term] == nil {
				surface[term] = map[string]int{}
			}
			surface[term][word]++
		}
	}
	return out
}

// ClusterThemes groups docs into themes, most voted first. Items that join
// no other are counted in the second result.
func ClusterThemes(docs []ThemeDoc) ([]Theme, int, error) {
	if len(docs) > ThemeDocsMax {
		docs = append([]ThemeDoc(nil), docs...)
		sort.SliceStable(docs, func(i, j int) bool { return docs[i].Votes > docs[j].Votes })
		docs = docs[:ThemeDocsMax]
	}
	sort.SliceStable(docs, func(i, j int) bool { return docs[i].ID < docs[j].ID })
	n := len(docs)
	if n < 2 {
		return []Theme{}, n, nil
	}
	a, err := textAnalyzer()
	if err != nil {
		return nil, 0, fmt.Errorf("themes: analyzer: %w", err)
	}
	surface := map[string]map[string]int{}
	tf := make([]map[string]int, n)
	df := map[string]int{}
	for i, d := range docs {
		tf[i] = map[string]int{}
		for _, t := range terms(a, d.Text, surface) {
			tf[i][t]++
		}
		for t := range tf[i] {
			df[t]++
		}
	}
	vocab := make([]string, 0, len(df))
	maxDF := max(2, n/2)
	for t, c := range df {
		if c >= 2 && c <= maxDF {
			vocab = append(vocab, t)
		}
	}
	sort.Slice(vocab, func(i, j int) bool {
		if df[vocab[i]] != df[vocab[j]] {
			return df[vocab[i]] > df[vocab[j]]
		}
		return vocab[i] < vocab[j]
	})
	if len(vocab) > ThemeVocabulary {
		vocab = vocab[:ThemeVocabulary]
	}
	if len(vocab) == 0 {
		return []Theme{}, n, nil
	}
	col := make(map[string]int, len(vocab))
	for j, t := range vocab {
		col[t] = j
	}
	x := mat.NewDense(n, len(vocab), nil)
	for i := range docs {
		row := x.RawRowView(i)
		for t, c := range tf[i] {
			if j, ok := col[t]; ok {
				idf := math.Log(float64(1+n)/float64(1+df[t])) + 1
				row[j] = (1 + math.Log(float64(c))) * idf
			}
		}
		if norm := floats.Norm(row, 2); norm > 0 {
			floats.Scale(1/norm, row)
		}
	}
	var sim mat.Dense
	sim.Mul(x, x.T())
	clusters := averageLinkage(&sim, ThemeThreshold)

	var themes []Theme
	alone := 0
	for _, members := range clusters {
		if len(members) < 2 {
			alone++
			continue
		}
		centroid := make([]float64, len(vocab))
		th := Theme{Items: make([]ThemeItem, 0, len(members))}
		for _, i := range members {
			floats.Add(centroid, x.RawRowView(i))
			th.Votes += docs[i].Votes
			th.Items = append(th.Items, ThemeItem{ID: docs[i].ID, Title: docs[i].Title, Votes: docs[i].Votes})
		}
		order := make([]int, len(vocab))
		for j := range order {
			order[j] = j
		}
		sort.SliceStable(order, func(p, q int) bool { return centroid[order[p]] > centroid[order[q]] })
		var top []string
		for _, j := range order[:min(2*themeLabelTerms, len(order))] {
			if centroid[j] <= 0 {
				break
			}
			top = append(top, spelling(vocab[j], surface))
		}
		th.Terms = chainBigrams(top)
		th.Terms = th.Terms[:min(themeLabelTerms, len(th.Terms))]
		th.Label = strings.Join(th.Terms, " / ")
		sort.SliceStable(th.Items, func(p, q int) bool {
			if th.Items[p].Votes != th.Items[q].Votes {
				return th.Items[p].Votes > th.Items[q].Votes
			}
			return th.Items[p].ID < th.Items[q].ID
		})
		themes = append(themes, th)
	}
	sort.SliceStable(themes, func(i, j int) bool {
		if themes[i].Votes != themes[j].Votes {
			return themes[i].Votes > themes[j].Votes
		}
		return len(themes[i].Items) > len(themes[j].Items)
	})
	if themes == nil {
		themes = []Theme{}
	}
	return themes, alone, nil
}

// spelling is the most frequent word a stem came from (the stem itself for
// bigrams).
func spelling(term string, surface map[string]map[string]int) string {
	best, n := term, 0
	for w, c := range surface[term] {
		if c > n || (c == n && w < best) {
			best, n = w, c
		}
	}
	return best
}

// averageLinkage clusters the rows of a similarity matrix, merging the most
// similar pair of clusters while their average similarity is at least
// threshold. It keeps each cluster's most similar neighbour, so a merge
// costs O(n) in the usual case. It returns the members of each cluster.
func averageLinkage(sim *mat.Dense, threshold float64) [][]int {
	n, _ := sim.Dims()
	s := make([][]float64, n)
	for i := range s {
		s[i] = append([]float64(nil), sim.RawRowView(i)...)
	}
	active := make([]bool, n)
	size := make([]int, n)
	members := make([][]int, n)
	for i := range n {
		active[i], size[i], members[i] = true, 1, []int{i}
	}
	best := make([]int, n)
	nearest := func(i int) {
		best[i] = -1
		for j := range n {
			if j != i && active[j] && (best[i] < 0 || s[i][j] > s[i][best[i]]) {
				best[i] = j
			}
		}
	}
	for i := range n {
		nearest(i)
	}
	for {
		bi := -1
		for i := range n {
			if active[i] && best[i] >= 0 && (bi < 0 || s[i][best[i]] > s[bi][best[bi]]) {
				bi = i
			}
		}
		if bi < 0 || s[bi][best[bi]] < threshold {
			break
		}
		i, j := bi, best[bi]
		if j < i {
			i, j = j, i
		}
		for k := range n {
			if active[k] && k != i && k != j {
				v := (float64(size[i])*s[i][k] + float64(size[j])*s[j][k]) / float64(size[i]+size[j])
				s[i][k], s[k][i] = v, v
			}
		}
		size[i] += size[j]
		members[i] = append(members[i], members[j]...)
		active[j] = false
		for k := range n {
			if !active[k] {
				continue
			}
			if k == i || best[k] == i || best[k] == j {
				nearest(k)
			} else if s[k][i] > s[k][best[k]] {
				best[k] = i
			}
		}
	}
	var out [][]int
	for i := range n {
		if active[i] {
			sort.Ints(members[i])
			out = append(out, members[i])
		}
	}
	return out
}

// chainBigrams joins overlapping CJK bigrams among terms into the words
// they spell ("单点", "点登", "登录" → "单点登录"), at the place of the
// heaviest of them; other terms are left alone.
func chainBigrams(terms []string) []string {
	out := append([]string(nil), terms...)
	for joined := true; joined; {
		joined = false
		for i := 0; i < len(out) && !joined; i++ {
			for j := 0; j < len(out) && !joined; j++ {
				a, b := []rune(out[i]), []rune(out[j])
				if i == j || len(a) < 2 || len(b) < 2 || !isCJK(a[len(a)-1]) || !isCJK(b[0]) || a[len(a)-1] != b[0] {
					continue
				}
				if strings.Contains(out[i], out[j]) || strings.Contains(out[j], out[i]) {
					continue
				}
				word := out[i] + string(b[1:])
				lo, hi := min(i, j), max(i, j)
				out[lo] = word
				out = append(out[:hi], out[hi+1:]...)
				joined = true
			}
		}
	}
	return out
}
