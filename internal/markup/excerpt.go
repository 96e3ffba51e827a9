package markup

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/yuin/goldmark/ast"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/util"
)

// excerptWriter collects plain text, collapsing whitespace, and keeps only
// the first limit runes.
type excerptWriter struct {
	b         strings.Builder
	limit     int
	runes     int
	space     bool // a space is pending before the next rune
	truncated bool
}

func (e *excerptWriter) writeString(s string) {
	for _, r := range s {
		if e.truncated {
			return
		}
		if unicode.IsSpace(r) {
			e.space = e.runes > 0
			continue
		}
		need := 1
		if e.space {
			need = 2
		}
		if e.runes+need > e.limit {
			e.truncated = true
			return
		}
		if e.space {
			e.b.WriteByte(' ')
			e.runes++
			e.space = false
		}
		e.b.WriteRune(r) // invalid UTF-8 arrives here as U+FFFD
		e.runes++
	}
}

func (e *excerptWriter) write(b []byte) { e.writeString(string(b)) }

// String returns the excerpt. A cut excerpt ends at a word boundary when
// one is near and is marked with an ellipsis.
func (e *excerptWriter) String() string {
	s := e.b.String()
	if !e.truncated {
		return s
	}
	if i := strings.LastIndexByte(s, ' '); i > 0 && utf8.RuneCountInString(s[i:]) <= 30 {
		s = s[:i]
	}
	return s + "…"
}

// addTree appends the visible text of doc.
func (e *excerptWriter) addTree(doc ast.Node, source []byte) {
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if e.truncated {
			return ast.WalkStop, nil
		}
		if n.Type() == ast.TypeBlock {
			e.writeString(" ")
		}
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Text:
			v := n.Segment.Value(source)
			v = util.UnescapePunctuations(v)
			v = util.ResolveNumericReferences(v)
			v = util.ResolveEntityNames(v)
			e.write(v)
			if n.SoftLineBreak() || n.HardLineBreak() {
				e.writeString(" ")
			}
		case *ast.String:
			e.write(n.Value)
		case *ast.CodeSpan:
			for c := n.FirstChild(); c != nil; c = c.NextSibling() {
				if t, ok := c.(*ast.Text); ok {
					e.write(t.Segment.Value(source))
				}
			}
			return ast.WalkSkipChildren, nil
		case *ast.CodeBlock, *ast.FencedCodeBlock:
			lines := n.Lines()
			for i := 0; i < lines.Len(); i++ {
				seg := lines.At(i)
				e.write(seg.Value(source))
			}
		case *ast.AutoLink:
			e.write(n.Label(source))
		case *mentionNode:
			e.write(n.segment.Value(source))
		case *hashtagNode:
			e.write(n.segment.Value(source))
		case *east.TaskCheckBox:
			// Nothing visible as text.
		}
		return ast.WalkContinue, nil
	})
}
