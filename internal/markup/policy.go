package markup

import (
	"regexp"

	"github.com/microcosm-cc/bluemonday"
)

// newPolicy returns the sanitizer that is the last gate before HTML leaves
// the package. The Markdown renderer already produces only safe markup; this
// policy makes sure a mistake there cannot turn into script execution.
//
// UGCPolicy already allows only http, https, mailto and relative URLs, and no
// style, script, iframe, object, embed, form, svg, math, base, meta or link.
func newPolicy() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.AllowURLSchemes("http", "https", "mailto")
	p.RequireParseableURLs(true)
	p.AllowRelativeURLs(true)
	p.RequireNoFollowOnLinks(true)

	p.AllowAttrs("rel").Matching(regexp.MustCompile(`^nofollow noopener$`)).OnElements("a")
	p.AllowAttrs("class").Matching(regexp.MustCompile(`^(?:mention|hashtag)$`)).OnElements("a")
	p.AllowAttrs("class").Matching(regexp.MustCompile(`^language-[A-Za-z0-9_+#.-]{1,40}$`)).OnElements("code")

	p.AllowAttrs("class").Matching(regexp.MustCompile(`^quote$`)).OnElements("blockquote")
	p.AllowAttrs("data-username").Matching(regexp.MustCompile(`^(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9_.-]{0,28}[A-Za-z0-9])$`)).OnElements("blockquote")
	p.AllowAttrs("data-post").Matching(regexp.MustCompile(`^[1-9][0-9]{0,17}$`)).OnElements("blockquote")
	p.AllowAttrs("class").Matching(regexp.MustCompile(`^quote-author$`)).OnElements("p")

	// Task list items: read-only checkboxes.
	p.AllowAttrs("type").Matching(regexp.MustCompile(`^checkbox$`)).OnElements("input")
	p.AllowAttrs("checked", "disabled").Matching(regexp.MustCompile(`^$`)).OnElements("input")

	return p
}
