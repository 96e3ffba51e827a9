package search

import (
	"html"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Span is the byte range [Start, End) of one match inside a text.
type Span struct {
	Start, End int
}

// Sentinels a backend may ask its engine to wrap matches in (Meilisearch's
// highlightPreTag and highlightPostTag) before handing the tagged text to
// FromTagged. They are private-use code points, so they never collide with
// markup, and the engine's own tags are never passed through to a page.
const (
	MarkOpen  = "\uE000"
	MarkClose = "\uE001"
)

// Snippet lengths, in characters, used by the backends.
const (
	titleSnippetRunes = 200
	bodySnippetRunes  = 180
)

// Snippet renders text as safe HTML: every character is escaped and the
// spans are wrapped in <mark>…</mark>, with nothing else added but an
// ellipsis where the text was cut. When the text is longer than maxRunes
// characters (and maxRunes > 0) it is cropped to the window holding the most
// matches. Spans may overlap, be unsorted or fall outside the text; they are
// cleaned up first, and a span that splits a UTF-8 sequence is widened to
// whole characters.
func Snippet(text string, spans []Span, maxRunes int) string {
	spans = normalizeSpans(text, spans)
	start, end := 0, len(text)
	if maxRunes > 0 && utf8.RuneCountInString(text) > maxRunes {
		start, end = cropWindow(text, spans, maxRunes)
	}

	var b strings.Builder
	b.Grow(end - start + 16)
	if start > 0 {
		b.WriteString("…")
	}
	pos := start
	for _, s := range spans {
		if s.End <= start || s.Start >= end {
			continue
		}
		s.Start, s.End = max(s.Start, start), min(s.End, end)
		writeEscaped(&b, text[pos:s.Start])
		b.WriteString("<mark>")
		writeEscaped(&b, text[s.Start:s.End])
		b.WriteString("</mark>")
		pos = s.End
	}
	writeEscaped(&b, text[pos:end])
	if end < len(text) {
		b.WriteString("…")
	}
	return b.String()
}

// FromTagged turns text whose matches an engine wrapped in MarkOpen and
// MarkClose into a Snippet. Unbalanced sentinels are tolerated: a stray
// close is dropped and an open without a close runs to the end.
func FromTagged(tagged string, maxRunes int) string {
	var plain strings.Builder
	plain.Grow(len(tagged))
	var spans []Span
	open := -1
	for i := 0; i < len(tagged); {
		switch {
		case strings.HasPrefix(tagged[i:], MarkOpen):
			if open < 0 {
				open = plain.Len()
			}
			i += len(MarkOpen)
		case strings.HasPrefix(tagged[i:], MarkClose):
			if open >= 0 {
				spans = append(spans, Span{open, plain.Len()})
				open = -1
			}
			i += len(MarkClose)
		default:
			plain.WriteByte(tagged[i])
			i++
		}
	}
	if open >= 0 {
		spans = append(spans, Span{open, plain.Len()})
	}
	return Snippet(plain.String(), spans, maxRunes)
}

// writeEscaped writes s HTML-escaped, replacing invalid UTF-8.
func writeEscaped(b *strings.Builder, s string) {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	b.WriteString(html.EscapeString(s))
}

// normalizeSpans clips spans to text, widens them to whole characters,
// sorts them and merges the ones that overlap or touch.
func normalizeSpans(text string, spans []Span) []Span {
	out := make([]Span, 0, len(spans))
	for _, s := range spans {
		s.Start, s.End = min(max(s.Start, 0), len(text)), min(s.End, len(text))
		for s.Start > 0 && s.Start < len(text) && !utf8.RuneStart(text[s.Start]) {
			s.Start--
		}
		for s.End < len(text) && !utf8.RuneStart(text[s.End]) {
			s.End++
		}
		if s.Start < s.End {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start < out[j].Start })
	merged := out[:0]
	for _, s := range out {
		if n := len(merged); n > 0 && s.Start <= merged[n-1].End {
			merged[n-1].End = max(merged[n-1].End, s.End)
			continue
		}
		merged = append(merged, s)
	}
	return merged
}

// cropWindow picks the byte range of at most maxRunes characters that holds
// the most whole spans, leading with a little context before the first of
// them, then moves its edges off the middle of words where that is cheap.
func cropWindow(text string, spans []Span, maxRunes int) (start, end int) {
	lead := maxRunes / 4
	end = forwardRunes(text, 0, maxRunes)
	bestCount := 0
	for i, s := range spans {
		ws := backRunes(text, s.Start, lead)
		we := forwardRunes(text, ws, maxRunes)
		count := 0
		for _, t := range spans[i:] {
			if t.End > we {
				break
			}
			count++
		}
		if count > bestCount {
			bestCount, start, end = count, ws, we
		}
	}
	firstMatch, lastMatch := end, start
	for _, s := range spans {
		if s.Start >= start && s.End <= end {
			firstMatch = min(firstMatch, s.Start)
			lastMatch = max(lastMatch, s.End)
		}
	}
	if start > 0 && !spaceBefore(text, start) && !spaceAt(text, start) {
		if i := strings.IndexFunc(text[start:firstMatch], unicode.IsSpace); i >= 0 {
			start += i
		}
	}
	if end < len(text) && !spaceBefore(text, end) && !spaceAt(text, end) {
		if i := strings.LastIndexFunc(text[lastMatch:end], unicode.IsSpace); i >= 0 {
			end = lastMatch + i
		}
	}
	for start < firstMatch && spaceAt(text, start) {
		_, size := utf8.DecodeRuneInString(text[start:])
		start += size
	}
	for end > lastMatch && spaceBefore(text, end) {
		_, size := utf8.DecodeLastRuneInString(text[:end])
		end -= size
	}
	return start, end
}

func spaceAt(text string, i int) bool {
	r, _ := utf8.DecodeRuneInString(text[i:])
	return i < len(text) && unicode.IsSpace(r)
}

func spaceBefore(text string, i int) bool {
	r, _ := utf8.DecodeLastRuneInString(text[:i])
	return i > 0 && unicode.IsSpace(r)
}

// backRunes moves from byte offset i back by n characters.
func backRunes(text string, i, n int) int {
	for ; n > 0 && i > 0; n-- {
		_, size := utf8.DecodeLastRuneInString(text[:i])
		i -= size
	}
	return i
}

// forwardRunes moves from byte offset i forward by n characters.
func forwardRunes(text string, i, n int) int {
	for ; n > 0 && i < len(text); n-- {
		_, size := utf8.DecodeRuneInString(text[i:])
		i += size
	}
	return i
}
