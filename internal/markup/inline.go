package markup

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

const (
	maxUsernameLen = 30
	maxTagRunes    = 40
	linkRel        = "nofollow noopener"
)

var (
	kindMention = ast.NewNodeKind("Mention")
	kindHashtag = ast.NewNodeKind("Hashtag")
)

// mentionNode is an @username in running text.
type mentionNode struct {
	ast.BaseInline
	username string
	segment  text.Segment // "@username" in the source
}

func (n *mentionNode) Kind() ast.NodeKind { return kindMention }

func (n *mentionNode) Dump(source []byte, level int) {
	ast.DumpHelper(n, source, level, map[string]string{"Username": n.username}, nil)
}

// hashtagNode is a #tag in running text.
type hashtagNode struct {
	ast.BaseInline
	tag     string // lowercased
	segment text.Segment
}

func (n *hashtagNode) Kind() ast.NodeKind { return kindHashtag }

func (n *hashtagNode) Dump(source []byte, level int) {
	ast.DumpHelper(n, source, level, map[string]string{"Tag": n.tag}, nil)
}

// mentionParser recognises @username. Code spans never reach it (the code
// span parser consumes them first); mentions inside link text are turned
// back into text by fixTree.
type mentionParser struct{}

func (mentionParser) Trigger() []byte { return []byte{'@'} }

func (mentionParser) Parse(_ ast.Node, block text.Reader, _ parser.Context) ast.Node {
	line, seg := block.PeekLine()
	if len(line) < 2 || line[0] != '@' {
		return nil
	}
	if !mentionMayStartAfter(block.Source()[:seg.Start]) {
		return nil
	}
	n := scanUsername(line[1:])
	if n == 0 {
		return nil
	}
	if 1+n < len(line) && line[1+n] == '@' {
		// alice@example.org-like: an address, not a mention.
		return nil
	}
	block.Advance(1 + n)
	return &mentionNode{username: string(line[1 : 1+n]), segment: seg.WithStop(seg.Start + 1 + n)}
}

// mentionMayStartAfter reports whether an @ may open a mention after before.
// It rejects the middle of words, e-mail addresses and URL-ish text.
func mentionMayStartAfter(before []byte) bool {
	if len(before) == 0 {
		return true
	}
	c := before[len(before)-1]
	switch {
	case isASCIIAlnum(c):
		return false
	case c == '.' || c == '+' || c == '-' || c == '=' || c == '/' || c == '@' || c == '&' || c == '%':
		return false
	case c == '_' || c == '*':
		// Emphasis may wrap a mention (_@alice_), but an underscore inside a
		// word (bob_@x) may not open emphasis, so look past the delimiters.
		i := len(before) - 1
		for i >= 0 && (before[i] == '_' || before[i] == '*') {
			i--
		}
		return i < 0 || !isASCIIAlnum(before[i])
	}
	return true
}

// scanUsername returns the length of the username at the start of b, or 0.
// Usernames are [A-Za-z0-9] or [A-Za-z0-9][A-Za-z0-9_.-]*[A-Za-z0-9], at most
// 30 bytes; trailing punctuation (as in "thanks @alice.") is not part of it.
func scanUsername(b []byte) int {
	if len(b) == 0 || !isASCIIAlnum(b[0]) {
		return 0
	}
	n := 1
	for n < len(b) && (isASCIIAlnum(b[n]) || b[n] == '_' || b[n] == '.' || b[n] == '-') {
		n++
	}
	for !isASCIIAlnum(b[n-1]) {
		n--
	}
	if n > maxUsernameLen {
		return 0
	}
	return n
}

// validUsername reports whether s is a whole, well-formed username.
func validUsername(s string) bool {
	return s != "" && scanUsername([]byte(s)) == len(s)
}

func isASCIIAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// hashtagParser recognises #tag. ATX headings are claimed by the block
// parser before inline parsing, so "# Title" never gets here.
type hashtagParser struct{}

func (hashtagParser) Trigger() []byte { return []byte{'#'} }

func (hashtagParser) Parse(_ ast.Node, block text.Reader, _ parser.Context) ast.Node {
	line, seg := block.PeekLine()
	if len(line) < 2 || line[0] != '#' {
		return nil
	}
	if !hashtagMayStartAfter(block.Source()[:seg.Start]) {
		return nil
	}
	n := scanTag(line[1:])
	if n == 0 {
		return nil
	}
	block.Advance(1 + n)
	return &hashtagNode{tag: strings.ToLower(string(line[1 : 1+n])), segment: seg.WithStop(seg.Start + 1 + n)}
}

// hashtagMayStartAfter reports whether a # may open a tag after before: at
// the start, or after whitespace or punctuation other than & (character
// references such as &#39;) and # itself.
func hashtagMayStartAfter(before []byte) bool {
	if len(before) == 0 {
		return true
	}
	r, _ := utf8.DecodeLastRune(before)
	if r == '&' || r == '#' {
		return false
	}
	return unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r)
}

// scanTag returns the byte length of the tag at the start of b, or 0. A tag
// is 1-40 letters (any script), marks, digits, '-' and '_', starts with a
// letter or digit, is not all digits (#123 is a post or issue number), and
// does not end in '-' or '_'.
func scanTag(b []byte) int {
	// The whole run of tag characters is scanned even past 40 runes so that
	// an over-long run is rejected rather than cut; a later '#' can only
	// open a tag after the run ends, so total work stays linear.
	n, runes, end, endRunes := 0, 0, 0, 0
	for n < len(b) {
		r, size := utf8.DecodeRune(b[n:])
		word := unicode.IsLetter(r) || unicode.IsDigit(r)
		if runes == 0 && !word {
			return 0
		}
		if !word && !unicode.IsMark(r) && r != '-' && r != '_' {
			break
		}
		n += size
		runes++
		if r != '-' && r != '_' {
			end, endRunes = n, runes
		}
	}
	if endRunes == 0 || endRunes > maxTagRunes || allDigits(b[:end]) {
		return 0
	}
	return end
}

func allDigits(b []byte) bool {
	for _, r := range string(b) {
		if !unicode.IsDigit(r) {
			return false
		}
	}
	return true
}

// linkRenderer renders mention and hashtag nodes as links.
type linkRenderer struct {
	userURL func(string) string
	tagURL  func(string) string
}

func (r *linkRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(kindMention, r.renderMention)
	reg.Register(kindHashtag, r.renderHashtag)
}

func (r *linkRenderer) renderMention(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if entering {
		n := node.(*mentionNode)
		writeLink(w, "mention", r.userURL(n.username), n.segment.Value(source))
	}
	return ast.WalkSkipChildren, nil
}

func (r *linkRenderer) renderHashtag(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if entering {
		n := node.(*hashtagNode)
		writeLink(w, "hashtag", r.tagURL(n.tag), n.segment.Value(source))
	}
	return ast.WalkSkipChildren, nil
}

func writeLink(w util.BufWriter, class, href string, label []byte) {
	_, _ = w.WriteString(`<a class="`)
	_, _ = w.WriteString(class)
	_, _ = w.WriteString(`" href="`)
	_, _ = w.Write(util.EscapeHTML([]byte(href)))
	_, _ = w.WriteString(`" rel="` + linkRel + `">`)
	_, _ = w.Write(util.EscapeHTML(label))
	_, _ = w.WriteString("</a>")
}
