// Package markup renders forum post Markdown to safe HTML and extracts what
// the forum needs from it: mentions, tags, quotes of other posts and a plain
// text excerpt.
package markup

import (
	"bytes"
	"net/url"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// Limits on what a single post may yield.
const (
	maxMentions   = 50
	maxTags       = 20
	excerptRunes  = 200
	textRunes     = 100000 // longer than any post may be
	maxQuoteDepth = 3
)

// Options configures a Renderer.
type Options struct {
	// UserURL and TagURL build link targets, e.g.
	// func(u string) string { return "/u/" + url.PathEscape(u) }.
	// When nil, "/u/{username}" and "/tag/{tag}" are used.
	UserURL func(username string) string
	TagURL  func(tag string) string
}

// Result is a rendered post and what was extracted from it.
type Result struct {
	// HTML is sanitized and safe to embed in a page.
	HTML string
	// Mentions are usernames mentioned with @ outside quotes, case preserved
	// as first written, deduplicated case-insensitively, in order of first
	// appearance, at most 50.
	Mentions []string
	// Tags are #tags outside quotes, lowercased, deduplicated, at most 20.
	Tags []string
	// Quotes are the posts quoted with [quote=user post=N], in order of
	// appearance, without duplicates.
	Quotes []Quote
	// Excerpt is plain text from the start of the post (quotes excluded),
	// whitespace collapsed, at most about 200 characters.
	Excerpt string
	// Text is the post's whole plain text (quotes excluded), whitespace
	// collapsed: what search indexes.
	Text string
}

// Quote identifies a quoted post.
type Quote struct {
	Username string
	PostID   int
}

// Renderer turns post Markdown into a Result. It is safe for concurrent use;
// build one at start-up.
type Renderer struct {
	md     goldmark.Markdown
	policy *bluemonday.Policy
}

// New returns a Renderer configured by opts.
func New(opts Options) *Renderer {
	links := &linkRenderer{userURL: opts.UserURL, tagURL: opts.TagURL}
	if links.userURL == nil {
		links.userURL = func(u string) string { return "/u/" + url.PathEscape(u) }
	}
	if links.tagURL == nil {
		links.tagURL = func(t string) string { return "/tag/" + url.PathEscape(t) }
	}

	return &Renderer{md: newMarkdown(links), policy: newPolicy()}
}

// Render renders src and extracts mentions, tags, quotes and an excerpt.
func (r *Renderer) Render(src string) Result {
	source := []byte(src)
	blocks := splitQuotes(source)

	st := &renderState{
		seenMentions: map[string]struct{}{},
		seenTags:     map[string]struct{}{},
		seenQuotes:   map[Quote]struct{}{},
		excerpt:      excerptWriter{limit: excerptRunes},
		text:         excerptWriter{limit: textRunes},
	}
	var out bytes.Buffer
	out.Grow(len(source) + len(source)/2)
	r.renderBlocks(&out, source, blocks, 0, st)

	return Result{
		HTML:     r.policy.Sanitize(out.String()),
		Mentions: st.mentions,
		Tags:     st.tags,
		Quotes:   st.quotes,
		Excerpt:  st.excerpt.String(),
		Text:     st.text.String(),
	}
}

// renderState accumulates extraction results across the pieces of a post.
type renderState struct {
	mentions     []string
	seenMentions map[string]struct{}
	tags         []string
	seenTags     map[string]struct{}
	quotes       []Quote
	seenQuotes   map[Quote]struct{}
	excerpt      excerptWriter
	text         excerptWriter
}

// renderBlocks renders Markdown pieces and the quotes between them. Each
// Markdown piece is parsed on its own, so link reference definitions do not
// cross quote boundaries.
func (r *Renderer) renderBlocks(out *bytes.Buffer, source []byte, blocks []block, depth int, st *renderState) {
	for _, b := range blocks {
		if b.quote == nil {
			r.renderMarkdown(out, source[b.start:b.end], depth, st)
			continue
		}
		q := b.quote
		key := Quote{Username: q.username, PostID: q.post}
		if _, ok := st.seenQuotes[key]; !ok {
			st.seenQuotes[key] = struct{}{}
			st.quotes = append(st.quotes, key)
		}
		out.WriteString(`<blockquote class="quote" data-username="`)
		out.Write(util.EscapeHTML([]byte(q.username)))
		out.WriteString(`" data-post="`)
		out.WriteString(q.postText)
		out.WriteString("\">\n<p class=\"quote-author\">")
		out.Write(util.EscapeHTML([]byte(q.username)))
		out.WriteString(":</p>\n")
		r.renderBlocks(out, source, q.children, depth+1, st)
		out.WriteString("</blockquote>\n")
	}
}

// renderMarkdown parses one Markdown piece, post-processes its tree and
// renders it. depth > 0 means the piece is quoted text.
func (r *Renderer) renderMarkdown(out *bytes.Buffer, src []byte, depth int, st *renderState) {
	if len(bytes.TrimSpace(src)) == 0 {
		return
	}
	doc := r.md.Parser().Parse(text.NewReader(src))
	fixTree(doc, src)
	if depth == 0 {
		st.collect(doc, src)
	}
	// Rendering into a bytes.Buffer cannot fail.
	_ = r.md.Renderer().Render(out, src, doc)
}

// collect records the mentions and tags of doc and feeds the excerpt.
func (st *renderState) collect(doc ast.Node, src []byte) {
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *mentionNode:
			key := strings.ToLower(n.username)
			if _, ok := st.seenMentions[key]; !ok && len(st.mentions) < maxMentions {
				st.seenMentions[key] = struct{}{}
				st.mentions = append(st.mentions, n.username)
			}
		case *hashtagNode:
			if _, ok := st.seenTags[n.tag]; !ok && len(st.tags) < maxTags {
				st.seenTags[n.tag] = struct{}{}
				st.tags = append(st.tags, n.tag)
			}
		}
		return ast.WalkContinue, nil
	})
	st.excerpt.addTree(doc, src)
	st.text.addTree(doc, src)
}
