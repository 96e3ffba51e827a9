package markup

import (
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/util"
)

// newMarkdown builds the goldmark pipeline: CommonMark without raw HTML,
// the GFM extensions (tables, strikethrough, autolinks, task lists), and
// @mentions and #tags, with the limits from limits.go in front of the
// parsers that need them.
//
// Raw HTML parsing is left out on purpose: text that looks like HTML is
// shown as written instead of being interpreted or silently dropped. Hard
// wraps stay off, and html.WithUnsafe is never set, so goldmark also blanks
// dangerous link targets itself before bluemonday sees them.
func newMarkdown(refs *linkRenderer) goldmark.Markdown {
	// Emphasis and strikethrough share goldmark's delimiter list, so they
	// share one limit.
	emphasis := &delimiterLimited{inner: parser.NewEmphasisParser(), key: delimiterCountKey}
	strikethrough := &delimiterLimited{inner: extension.NewStrikethroughParser(), key: delimiterCountKey}
	links := &linkLimited{inner: parser.NewLinkParser(), key: failedLinkCountKey}
	linkify := linkifyPrefiltered{inner: extension.NewLinkifyParser(
		extension.WithLinkifyAllowedProtocols([]string{"http:", "https:"}),
		extension.WithLinkifyEmailRegexp(emailRegexp),
	)}

	p := parser.NewParser(
		parser.WithBlockParsers(
			util.Prioritized(parser.NewSetextHeadingParser(), 100),
			util.Prioritized(parser.NewThematicBreakParser(), 200),
			util.Prioritized(nestingLimited{parser.NewListParser()}, 300),
			util.Prioritized(parser.NewListItemParser(), 400),
			util.Prioritized(parser.NewCodeBlockParser(), 500),
			util.Prioritized(parser.NewATXHeadingParser(), 600),
			util.Prioritized(parser.NewFencedCodeBlockParser(), 700),
			util.Prioritized(nestingLimited{parser.NewBlockquoteParser()}, 800),
			util.Prioritized(parser.NewParagraphParser(), 1000),
		),
		parser.WithInlineParsers(
			util.Prioritized(parser.NewCodeSpanParser(), 100),
			util.Prioritized(links, 200),
			util.Prioritized(parser.NewAutoLinkParser(), 300),
			util.Prioritized(emphasis, 500),
			util.Prioritized(strikethrough, 500),
			util.Prioritized(linkify, 999),
			util.Prioritized(mentionParser{}, 1100),
			util.Prioritized(hashtagParser{}, 1100),
		),
		parser.WithParagraphTransformers(
			util.Prioritized(refLimited{parser.LinkReferenceParagraphTransformer}, 100),
			util.Prioritized(tableLimited{extension.NewTableParagraphTransformer()}, 200),
		),
		parser.WithASTTransformers(util.Prioritized(extension.NewTableASTTransformer(), 0)),
	)

	// Tables, strikethrough and linkify are registered piece by piece above
	// and below (instead of as extensions) so that the limits can wrap their
	// parsers.
	return goldmark.New(
		goldmark.WithParser(p),
		goldmark.WithExtensions(
			extension.TaskList,
		),
		goldmark.WithRendererOptions(
			renderer.WithNodeRenderers(
				util.Prioritized(extension.NewTableHTMLRenderer(
					extension.WithTableCellAlignMethod(extension.TableCellAlignAttribute),
				), 500),
				util.Prioritized(extension.NewStrikethroughHTMLRenderer(), 500),
				util.Prioritized(refs, 500),
			),
		),
	)
}
