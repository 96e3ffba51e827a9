package markup

import (
	"bytes"
	"strconv"
)

// block is a piece of a post: either Markdown source[start:end] or a quote.
type block struct {
	start, end int
	quote      *quoteBlock
}

// quoteBlock is a [quote=user post=N] ... [/quote] section.
type quoteBlock struct {
	username string
	post     int
	postText string // canonical decimal form of post
	children []block
}

// line is one line of the source with what the quote scanner saw in it.
type line struct {
	start, end int // source[start:end] includes the line ending
	open       *quoteBlock
	close      bool
}

// splitQuotes cuts source into Markdown pieces and quote sections.
//
// A quote opens with a line "[quote=alice post=123]" and closes with a line
// "[/quote]" (up to three spaces of indentation, surrounding whitespace
// ignored). Tags are paired like brackets; tags without a partner, tags
// nested deeper than maxQuoteDepth, and tag-like lines inside fenced code are
// left as text. The scan is a single pass over the lines.
func splitQuotes(source []byte) []block {
	if !bytes.Contains(source, []byte("[quote=")) {
		return []block{{start: 0, end: len(source)}}
	}
	lines := scanLines(source)

	// pairs[i] = j when line i opens a quote closed by line j.
	pairs := map[int]int{}
	var stack []int
	for i, l := range lines {
		switch {
		case l.open != nil:
			stack = append(stack, i)
		case l.close && len(stack) > 0:
			pairs[stack[len(stack)-1]] = i
			stack = stack[:len(stack)-1]
		}
	}
	if len(pairs) == 0 {
		return []block{{start: 0, end: len(source)}}
	}

	// Depth counts enclosing pairs only (an unpaired tag is text and does not
	// nest anything). Pairs nested too deeply become text.
	var enclosing []int // close lines of the pairs around line i
	for i := range lines {
		for len(enclosing) > 0 && enclosing[len(enclosing)-1] < i {
			enclosing = enclosing[:len(enclosing)-1]
		}
		closeAt, ok := pairs[i]
		if !ok {
			continue
		}
		if len(enclosing) >= maxQuoteDepth {
			delete(pairs, i)
			continue
		}
		enclosing = append(enclosing, closeAt)
	}
	return buildBlocks(lines, pairs, 0, len(lines))
}

// buildBlocks turns lines[lo:hi] into blocks, recursing into quotes.
// Recursion depth is bounded by maxQuoteDepth because only pairs at that
// depth or shallower are in pairs.
func buildBlocks(lines []line, pairs map[int]int, lo, hi int) []block {
	var out []block
	textStart := -1
	flush := func(end int) {
		if textStart >= 0 {
			out = append(out, block{start: textStart, end: end})
			textStart = -1
		}
	}
	for i := lo; i < hi; i++ {
		closeAt, ok := pairs[i]
		if !ok {
			if textStart < 0 {
				textStart = lines[i].start
			}
			continue
		}
		flush(lines[i].start)
		q := *lines[i].open
		q.children = buildBlocks(lines, pairs, i+1, closeAt)
		out = append(out, block{quote: &q})
		i = closeAt
	}
	if textStart >= 0 {
		flush(lines[hi-1].end)
	}
	return out
}

// scanLines splits source into lines, marking quote tags outside fenced code.
func scanLines(source []byte) []line {
	var lines []line
	var fenceChar byte
	fenceLen := 0
	for start := 0; start < len(source); {
		end := bytes.IndexByte(source[start:], '\n')
		if end < 0 {
			end = len(source)
		} else {
			end += start + 1
		}
		l := line{start: start, end: end}
		content := trimIndent(bytes.TrimRight(source[start:end], " \t\r\n"))

		if c, n, ok := fenceMarker(content); ok {
			switch {
			case fenceLen == 0:
				fenceChar, fenceLen = c, n
			case c == fenceChar && n >= fenceLen && len(bytes.TrimSpace(content[n:])) == 0:
				fenceLen = 0
			}
		} else if fenceLen == 0 {
			if bytes.Equal(content, []byte("[/quote]")) {
				l.close = true
			} else {
				l.open = parseQuoteOpen(content)
			}
		}
		lines = append(lines, l)
		start = end
	}
	return lines
}

// trimIndent removes up to three leading spaces; a line indented further is
// an indented code line and yields nil.
func trimIndent(b []byte) []byte {
	for i := 0; i < 4; i++ {
		if i == len(b) || b[i] != ' ' {
			return b[i:]
		}
	}
	return nil
}

// fenceMarker reports whether b opens or closes a fenced code block, and
// the fence character and length.
func fenceMarker(b []byte) (byte, int, bool) {
	if len(b) < 3 || (b[0] != '`' && b[0] != '~') {
		return 0, 0, false
	}
	c := b[0]
	n := 0
	for n < len(b) && b[n] == c {
		n++
	}
	if n < 3 {
		return 0, 0, false
	}
	if c == '`' && bytes.IndexByte(b[n:], '`') >= 0 {
		return 0, 0, false // an inline code span, not a fence
	}
	return c, n, true
}

// parseQuoteOpen parses "[quote=NAME post=N]" (any run of spaces or tabs
// between the two parts). It returns nil for anything else, including
// malformed names, so attribute-like junk never reaches the output.
func parseQuoteOpen(b []byte) *quoteBlock {
	rest, ok := bytes.CutPrefix(b, []byte("[quote="))
	if !ok {
		return nil
	}
	rest, ok = bytes.CutSuffix(rest, []byte("]"))
	if !ok {
		return nil
	}
	sp := bytes.IndexAny(rest, " \t")
	if sp < 0 {
		return nil
	}
	name := string(rest[:sp])
	postArg, ok := bytes.CutPrefix(bytes.TrimLeft(rest[sp:], " \t"), []byte("post="))
	if !ok || !validUsername(name) || len(postArg) == 0 || len(postArg) > 18 {
		return nil
	}
	for _, c := range postArg {
		if c < '0' || c > '9' {
			return nil
		}
	}
	post, err := strconv.Atoi(string(postArg))
	if err != nil || post <= 0 {
		return nil
	}
	return &quoteBlock{username: name, post: post, postText: strconv.Itoa(post)}
}
