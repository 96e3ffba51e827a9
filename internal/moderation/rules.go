package moderation

import (
	"strings"
	"unicode/utf8"
)

// doc is text being screened, with its lower-case form computed once and
// again only after a replacement changed it.
type doc struct {
	s     string
	lower string
	ok    bool // lower is current
}

func newDoc(s string) *doc { return &doc{s: s} }

func (d *doc) lowered() string {
	if !d.ok {
		d.lower, d.ok = strings.ToLower(d.s), true
	}
	return d.lower
}

func (d *doc) set(s string) { d.s, d.ok = s, false }

// joins reports whether r continues a word of a spaced script across a
// watched word's edge: a letter or digit of such a script, or '_'. A Han
// character next to "spam" does not, since Chinese text runs words
// together and mixes in Latin ones without spaces.
func joins(r rune) bool { return r == '_' || spaced(r) }

// bounded reports whether s[start:end] stands as a word where the rule
// asks for boundaries.
func (r compiledRule) bounded(s string, start, end int) bool {
	if r.left && start > 0 {
		if prev, _ := utf8.DecodeLastRuneInString(s[:start]); joins(prev) {
			return false
		}
	}
	if r.right && end < len(s) {
		if next, _ := utf8.DecodeRuneInString(s[end:]); joins(next) {
			return false
		}
	}
	return true
}

// findWord returns the spans of a plain watched word in d. It searches the
// lower-cased text with strings.Index, far faster than a case-insensitive
// regular expression, and checks the word boundaries by hand. When lower
// casing changed byte lengths (rare letters such as 'İ'), offsets would not
// map back to the original text, so the rule's regular expression decides.
func (r compiledRule) findWord(d *doc) [][2]int {
	lower := d.lowered()
	if len(lower) != len(d.s) {
		var out [][2]int
		for _, loc := range r.re.FindAllStringIndex(d.s, -1) {
			if r.bounded(d.s, loc[0], loc[1]) {
				out = append(out, [2]int{loc[0], loc[1]})
			}
		}
		return out
	}
	var out [][2]int
	for from := 0; from <= len(lower)-len(r.word); {
		i := strings.Index(lower[from:], r.word)
		if i < 0 {
			break
		}
		start, end := from+i, from+i+len(r.word)
		if r.bounded(lower, start, end) {
			out = append(out, [2]int{start, end})
			from = end
		} else {
			_, size := utf8.DecodeRuneInString(lower[start:])
			from = start + size
		}
	}
	return out
}

// apply runs rule r over d and reports a hit; a replace rule rewrites d.
func (r compiledRule) apply(d *doc) bool {
	var spans [][2]int
	if r.Regex {
		for _, loc := range r.re.FindAllStringIndex(d.s, -1) {
			spans = append(spans, [2]int{loc[0], loc[1]})
		}
	} else {
		spans = r.findWord(d)
	}
	if len(spans) == 0 {
		return false
	}
	if r.Action == ActionReplace {
		var b strings.Builder
		last := 0
		for _, sp := range spans {
			b.WriteString(d.s[last:sp[0]])
			b.WriteString(r.Replacement)
			last = sp[1]
		}
		b.WriteString(d.s[last:])
		d.set(b.String())
	}
	return true
}
