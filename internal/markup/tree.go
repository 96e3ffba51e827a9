package markup

import (
	"net/url"
	"strings"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/util"
	"golang.org/x/net/html"
)

// fixTree makes the parsed tree safe and consistent before rendering:
//   - mentions and tags inside link text or image alt text become plain text;
//   - links whose target is not http, https, mailto or relative, and images
//     whose source is not http, https or relative, are replaced by their text;
//   - every remaining link gets rel="nofollow noopener";
//   - adjacent pieces of one run of text are joined again.
func fixTree(doc ast.Node, source []byte) {
	fixChildren(doc, source, false)
}

func fixChildren(parent ast.Node, source []byte, inLink bool) {
	for c := parent.FirstChild(); c != nil; {
		next := c.NextSibling()
		switch n := c.(type) {
		case *mentionNode:
			if inLink {
				parent.ReplaceChild(parent, n, ast.NewTextSegment(n.segment))
			}
		case *hashtagNode:
			if inLink {
				parent.ReplaceChild(parent, n, ast.NewTextSegment(n.segment))
			}
		case *ast.Link:
			fixChildren(n, source, true)
			if allowedURL(n.Destination, false) {
				n.SetAttributeString("rel", []byte(linkRel))
			} else {
				unwrap(parent, n)
			}
		case *ast.Image:
			fixChildren(n, source, true)
			if !allowedURL(n.Destination, true) {
				unwrap(parent, n)
			}
		case *ast.AutoLink:
			if n.AutoLinkType == ast.AutoLinkEmail || allowedURL(n.URL(source), false) {
				n.SetAttributeString("rel", []byte(linkRel))
			} else {
				parent.ReplaceChild(parent, n, ast.NewString(n.Label(source)))
			}
		case *ast.Text:
			mergeText(parent, n)
			next = n.NextSibling()
		case *ast.CodeSpan, *ast.CodeBlock, *ast.FencedCodeBlock:
			// Literal text only.
		default:
			fixChildren(c, source, inLink)
		}
		c = next
	}
}

// mergeText joins the Text siblings that directly follow t in the source
// into t. goldmark cuts text wherever an inline parser was tried, and '#' is
// a trigger now, so "&#x41;" could be left as "&" + "#x41;" and its
// character reference would no longer be resolved.
func mergeText(parent ast.Node, t *ast.Text) {
	for {
		next, ok := t.NextSibling().(*ast.Text)
		if !ok || t.SoftLineBreak() || t.HardLineBreak() || t.IsRaw() || next.IsRaw() ||
			t.Segment.Stop != next.Segment.Start || t.Segment.Padding != 0 || next.Segment.Padding != 0 {
			return
		}
		t.Segment = t.Segment.WithStop(next.Segment.Stop)
		t.SetSoftLineBreak(next.SoftLineBreak())
		t.SetHardLineBreak(next.HardLineBreak())
		parent.RemoveChild(parent, next)
	}
}

// unwrap replaces n by its children.
func unwrap(parent, n ast.Node) {
	for c := n.FirstChild(); c != nil; {
		next := c.NextSibling()
		parent.InsertBefore(parent, n, c)
		c = next
	}
	parent.RemoveChild(parent, n)
}

// allowedURL reports whether dest may be used as a link target (or, with
// image set, an image source): a non-empty relative reference, or a URL
// whose scheme is http or https (or mailto for links).
//
// The check is deliberately stricter than what a browser would need. It
// looks at dest and at the form goldmark writes into the attribute (which
// resolves character references and percent-encodes some characters) and
// at that form re-serialized by net/url as bluemonday does, each
// after zero, one and two rounds of HTML5 character reference decoding, and
// every one of them must pass. That way no consumer that decodes once too
// often can find a scheme we did not see.
func allowedURL(dest []byte, image bool) bool {
	written := string(util.URLEscape(dest, true))
	forms := []string{string(dest), written}
	if u, err := url.Parse(strings.TrimSpace(written)); err == nil {
		forms = append(forms, u.String()) // as bluemonday re-serializes it
	}
	for _, s := range forms {
		for range 3 {
			if !allowedScheme(s, image) {
				return false
			}
			next := html.UnescapeString(s)
			if next == s {
				break
			}
			s = next
		}
	}
	return true
}

// allowedScheme checks one decoding round of a URL. ASCII whitespace and
// control characters are dropped first, as browsers ignore them in schemes.
func allowedScheme(s string, image bool) bool {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c == 0x7f {
			continue
		}
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	if len(b) == 0 {
		return false // an empty target links nowhere
	}
	for i, c := range b {
		switch c {
		case '/', '?', '#':
			return true // relative reference: no scheme before the path
		case ':':
			switch string(b[:i]) {
			case "http", "https":
				return true
			case "mailto":
				return !image
			}
			return false
		}
	}
	return true
}
