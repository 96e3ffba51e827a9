package markup

import (
	"bytes"
	"regexp"
	"strings"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
)

// Guards against input that would make parsing or output blow up. goldmark is
// linear on most input, but some constructs are not bounded by the input
// size: every extra nesting level costs work on every following line, and a
// GFM table pads every row to the header's width.
const (
	// maxNesting bounds blockquotes and lists nested in one another; deeper
	// markers are shown as text.
	maxNesting = 32
	// maxTableColumns and maxTableCells bound a table; larger ones stay a
	// paragraph of text.
	maxTableColumns = 64
	maxTableCells   = 20000
	// maxRefParagraphLines bounds the paragraphs searched for link reference
	// definitions; goldmark re-copies the remaining lines after each one.
	maxRefParagraphLines = 1000
)

// emailRegexp replaces linkify's e-mail scanner. The stock scanner runs to
// the end of the line from every '_' and '*' (all valid in a local part), so
// "_a_a_a..." costs quadratic time; bounded repetitions stop the regexp
// after a few hundred bytes at most.
var emailRegexp = regexp.MustCompile(`^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,8}`)

// nestingLimited refuses to open a container block nested more than
// maxNesting containers deep.
type nestingLimited struct {
	parser.BlockParser
}

func (p nestingLimited) Open(parent ast.Node, reader text.Reader, pc parser.Context) (ast.Node, parser.State) {
	depth := 0
	for n := parent; n != nil; n = n.Parent() {
		switch n.Kind() {
		case ast.KindBlockquote, ast.KindList:
			depth++
			if depth >= maxNesting {
				return nil, parser.NoChildren
			}
		}
	}
	return p.BlockParser.Open(parent, reader, pc)
}

// tableLimited skips the GFM table transform for paragraphs that would
// become oversized tables.
type tableLimited struct {
	parser.ParagraphTransformer
}

func (t tableLimited) Transform(node *ast.Paragraph, reader text.Reader, pc parser.Context) {
	lines := node.Lines()
	widest := 0
	for i := 0; i < lines.Len(); i++ {
		seg := lines.At(i)
		if n := bytes.Count(seg.Value(reader.Source()), []byte{'|'}) + 1; n > widest {
			widest = n
		}
	}
	if widest > maxTableColumns || widest*lines.Len() > maxTableCells {
		return
	}
	t.ParagraphTransformer.Transform(node, reader, pc)
}

// refLimited skips link reference definitions in huge paragraphs.
type refLimited struct {
	parser.ParagraphTransformer
}

func (t refLimited) Transform(node *ast.Paragraph, reader text.Reader, pc parser.Context) {
	if node.Lines().Len() > maxRefParagraphLines {
		return
	}
	t.ParagraphTransformer.Transform(node, reader, pc)
}

// Per-paragraph limits for inline constructs whose goldmark cost grows with
// the square of their count in one block: emphasis and strikethrough
// delimiters (matched pairwise), and link closers "](" or "][" that fail
// (each one scans the rest of the line for a destination). Past a limit,
// the characters are plain text.
const (
	maxDelimiters  = 1000
	maxFailedLinks = 100
)

// Parse context keys for the per-block counts. goldmark hands out keys from
// an unsynchronised global counter and sizes every parse context by it, so
// keys are taken once, at package initialisation, as goldmark's own
// parsers do; taking them in New could race with a concurrent Render.
var (
	delimiterCountKey  = parser.NewContextKey()
	failedLinkCountKey = parser.NewContextKey()
)

// blockCount counts events in the block being parsed.
type blockCount struct {
	block ast.Node
	n     int
}

// counter returns the count for block stored under key in pc.
func counter(pc parser.Context, key parser.ContextKey, block ast.Node) *blockCount {
	c, _ := pc.Get(key).(*blockCount)
	if c == nil || c.block != block {
		c = &blockCount{block: block}
		pc.Set(key, c)
	}
	return c
}

// closeBlock lets a wrapped parser clean up its per-block state.
func closeBlock(inner parser.InlineParser, parent ast.Node, block text.Reader, pc parser.Context) {
	if cb, ok := inner.(parser.CloseBlocker); ok {
		cb.CloseBlock(parent, block, pc)
	}
}

// delimiterLimited wraps an emphasis-like parser and stops producing
// delimiters after maxDelimiters in one block. Wrappers sharing a key share
// the count.
type delimiterLimited struct {
	inner parser.InlineParser
	key   parser.ContextKey
}

func (l *delimiterLimited) Trigger() []byte { return l.inner.Trigger() }

func (l *delimiterLimited) Parse(parent ast.Node, block text.Reader, pc parser.Context) ast.Node {
	c := counter(pc, l.key, parent)
	if c.n >= maxDelimiters {
		return nil
	}
	n := l.inner.Parse(parent, block, pc)
	if n != nil {
		c.n++
	}
	return n
}

func (l *delimiterLimited) CloseBlock(parent ast.Node, block text.Reader, pc parser.Context) {
	closeBlock(l.inner, parent, block, pc)
}

// linkLimited wraps the link parser and, after maxFailedLinks failed "]("
// or "][" in one block, treats further ']' as text.
type linkLimited struct {
	inner parser.InlineParser
	key   parser.ContextKey
}

func (l *linkLimited) Trigger() []byte { return l.inner.Trigger() }

func (l *linkLimited) Parse(parent ast.Node, block text.Reader, pc parser.Context) ast.Node {
	line, _ := block.PeekLine()
	if len(line) < 2 || line[0] != ']' || (line[1] != '(' && line[1] != '[') {
		return l.inner.Parse(parent, block, pc)
	}
	c := counter(pc, l.key, parent)
	if c.n >= maxFailedLinks {
		return nil
	}
	n := l.inner.Parse(parent, block, pc)
	if n == nil {
		c.n++
	}
	return n
}

func (l *linkLimited) CloseBlock(parent ast.Node, block text.Reader, pc parser.Context) {
	closeBlock(l.inner, parent, block, pc)
}

// linkifyPrefiltered wraps the GFM autolink parser and skips positions where
// it cannot match. Without a URL prefix only an e-mail address can match,
// and that needs an '@' within the 64 characters of a local part; checking
// for it first keeps the e-mail regexp from running at every '_' and '*'.
type linkifyPrefiltered struct {
	inner parser.InlineParser
}

func (l linkifyPrefiltered) Trigger() []byte { return l.inner.Trigger() }

func (l linkifyPrefiltered) Parse(parent ast.Node, block text.Reader, pc parser.Context) ast.Node {
	line, _ := block.PeekLine()
	rest := line
	if len(rest) > 0 && strings.IndexByte(" *_~(", rest[0]) >= 0 {
		rest = rest[1:]
	}
	if !bytes.HasPrefix(rest, []byte("http:")) && !bytes.HasPrefix(rest, []byte("https:")) &&
		!bytes.HasPrefix(rest, []byte("www.")) &&
		bytes.IndexByte(rest[:min(len(rest), 66)], '@') < 0 {
		return nil
	}
	return l.inner.Parse(parent, block, pc)
}

func (l linkifyPrefiltered) CloseBlock(parent ast.Node, block text.Reader, pc parser.Context) {
	closeBlock(l.inner, parent, block, pc)
}
