package markup

import (
	"fmt"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Helpers shared by the rendering tests and the fuzz target. They are an
// independent check of the output: they parse it the way a browser would and
// look at the resulting elements and attributes, not at the renderer's code.

// forbiddenElements may never appear in rendered output.
var forbiddenElements = map[string]bool{
	"script": true, "iframe": true, "frame": true, "frameset": true, "object": true,
	"embed": true, "applet": true, "style": true, "form": true, "svg": true,
	"math": true, "base": true, "meta": true, "link": true, "template": true,
	"noscript": true, "textarea": true, "select": true, "button": true,
}

// unsafeMarkup returns a description of the first executable or otherwise
// forbidden construct in out, or "" when there is none.
func unsafeMarkup(out string) string {
	ctx := &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div}
	nodes, err := html.ParseFragment(strings.NewReader(out), ctx)
	if err != nil {
		return fmt.Sprintf("output does not parse: %v", err)
	}
	for _, n := range nodes {
		if msg := unsafeNode(n); msg != "" {
			return msg
		}
	}
	return ""
}

func unsafeNode(n *html.Node) string {
	if n.Type == html.ElementNode {
		if msg := unsafeElement(n); msg != "" {
			return msg
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if msg := unsafeNode(c); msg != "" {
			return msg
		}
	}
	return ""
}

func unsafeElement(n *html.Node) string {
	name := strings.ToLower(n.Data)
	if n.Namespace != "" {
		return fmt.Sprintf("foreign element <%s:%s>", n.Namespace, name)
	}
	if forbiddenElements[name] {
		return fmt.Sprintf("forbidden element <%s>", name)
	}
	if name == "input" && attr(n, "type") != "checkbox" {
		return "input that is not a checkbox"
	}
	for _, a := range n.Attr {
		key := strings.ToLower(a.Key)
		switch {
		case strings.HasPrefix(key, "on"):
			return fmt.Sprintf("event handler %s on <%s>", key, name)
		case key == "style", key == "target", key == "formaction", key == "srcdoc", key == "srcset":
			return fmt.Sprintf("attribute %s on <%s>", key, name)
		case key == "href" || key == "src" || key == "cite" || key == "action" || key == "background" || key == "poster" || key == "xlink:href":
			scheme := urlScheme(a.Val)
			allowed := scheme == "" || scheme == "http" || scheme == "https" || (scheme == "mailto" && key != "src")
			if !allowed {
				return fmt.Sprintf("%s=%q on <%s> has scheme %q", key, a.Val, name, scheme)
			}
		case key == "class":
			if !allowedClass(name, a.Val) {
				return fmt.Sprintf("class %q on <%s>", a.Val, name)
			}
		}
	}
	if name == "a" && attr(n, "href") != "" && attr(n, "rel") != "nofollow noopener" {
		return fmt.Sprintf("link without rel=\"nofollow noopener\": rel=%q", attr(n, "rel"))
	}
	return ""
}

func allowedClass(element, class string) bool {
	switch element {
	case "a":
		return class == "mention" || class == "hashtag"
	case "code":
		return strings.HasPrefix(class, "language-") && !strings.ContainsAny(class, " \t\n\"'<>")
	case "blockquote":
		return class == "quote"
	case "p":
		return class == "quote-author"
	}
	return false
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// urlScheme returns the lowercased scheme of a URL attribute value as a
// browser would see it, after decoding character references (again, to be
// conservative: the parser already decoded them once), removing ASCII
// whitespace and control characters and lowercasing; "" means relative.
func urlScheme(v string) string {
	v = html.UnescapeString(v)
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c <= ' ' || c == 0x7f {
			continue
		}
		b.WriteByte(c)
	}
	s := strings.ToLower(b.String())
	if i := strings.IndexAny(s, ":/?#"); i >= 0 && s[i] == ':' {
		if i == 0 {
			return ":"
		}
		return s[:i]
	}
	return ""
}

// tagsOnly returns out with all text removed: just the start and end tags
// with their attributes, as the parser sees them. Substring checks against
// it are checks on markup, not on text a user typed (which may well contain
// "javascript:" or "onerror" and is harmless once escaped).
func tagsOnly(out string) string {
	z := html.NewTokenizer(strings.NewReader(out))
	var b strings.Builder
	for {
		switch z.Next() {
		case html.ErrorToken:
			return b.String()
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			b.WriteString(z.Token().String())
		case html.CommentToken, html.DoctypeToken:
			b.WriteString(z.Token().String())
		}
	}
}

// visibleText returns the text content of out, as a browser would show it.
func visibleText(out string) string {
	z := html.NewTokenizer(strings.NewReader(out))
	var b strings.Builder
	for {
		switch z.Next() {
		case html.ErrorToken:
			return b.String()
		case html.TextToken:
			b.Write(z.Text())
		}
	}
}
