package markup

import (
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/crn-dev/crn/internal/testenv"
)

func newTestRenderer() *Renderer {
	return New(Options{
		UserURL: func(u string) string { return "/u/" + url.PathEscape(u) },
		TagURL:  func(t string) string { return "/tag/" + url.PathEscape(t) },
	})
}

// markupForbidden must not occur in the tags and attributes of any output
// (attributes are serialized as ` name="value"`).
var markupForbidden = []string{
	"<script", "<iframe", "<svg", "<math", "<style", "<form", "<meta", "<base", "<object", "<embed", "<link",
	" onerror=", " onload=", " onmouseover=", " onclick=", " onfocus=", "javascript:", "vbscript:", "data:",
	" style=", "expression(", " target=", "<input type=\"text",
}

// rawForbidden must not occur anywhere in any output, text included: text
// is escaped, so these can only appear as markup.
var rawForbidden = []string{"<script", "<iframe", "<svg", "<style", "<form", "<meta", "<base", "<object", "<embed", "<img src=x", "<img src=\"javascript"}

func checkSafe(t *testing.T, src, out string) {
	t.Helper()
	if msg := unsafeMarkup(out); msg != "" {
		t.Errorf("Render(%q): %s\noutput: %s", src, msg, out)
	}
	tags := strings.ToLower(tagsOnly(out))
	for _, bad := range markupForbidden {
		if strings.Contains(tags, bad) {
			t.Errorf("Render(%q): markup contains %q\noutput: %s", src, bad, out)
		}
	}
	lower := strings.ToLower(out)
	for _, bad := range rawForbidden {
		if strings.Contains(lower, bad) {
			t.Errorf("Render(%q): output contains %q\noutput: %s", src, bad, out)
		}
	}
}

func TestRenderAttacks(t *testing.T) {
	r := newTestRenderer()
	tests := []struct {
		name string
		src  string
		// text must be part of the visible text of the output.
		text []string
		// html must be substrings of the output.
		html []string
		// notHTML must not be substrings of the output.
		notHTML []string
	}{
		{name: "script tag", src: "<script>alert(1)</script>", text: []string{"<script>alert(1)</script>"}, html: []string{"&lt;script&gt;"}},
		{name: "script mid-paragraph", src: "hello <script src=//evil.example/x.js></script> world", text: []string{"hello", "world"}},
		{name: "img onerror", src: "<img src=x onerror=alert(1)>", text: []string{"<img src=x onerror=alert(1)>"}, notHTML: []string{"<img"}},
		{name: "javascript link", src: "[click](javascript:alert(1))", text: []string{"click"}, notHTML: []string{"<a"}},
		{name: "mixed case scheme", src: "[click](JaVaScRiPt:alert(1))", text: []string{"click"}, notHTML: []string{"<a"}},
		{name: "decimal entity scheme", src: "[click](&#106;avascript:alert(1))", text: []string{"click"}, notHTML: []string{"<a"}},
		{name: "hex entity scheme", src: "[click](&#x6A;&#x61;vascript:alert(1))", text: []string{"click"}, notHTML: []string{"<a"}},
		{name: "named entity colon", src: "[click](javascript&colon;alert(1))", text: []string{"click"}, notHTML: []string{"<a"}},
		{name: "entity tab in scheme", src: "[click](java&#x09;script:alert(1))", text: []string{"click"}, notHTML: []string{"<a"}},
		{name: "tab in angle destination", src: "[click](<java\tscript:alert(1)>)", text: []string{"click"}, notHTML: []string{"<a"}},
		{name: "space in angle destination", src: "[click](< javascript:alert(1)>)", text: []string{"click"}, notHTML: []string{"<a"}},
		{name: "control char in scheme", src: "[click](java\x01script:alert(1))", text: []string{"click"}, notHTML: []string{"<a"}},
		{name: "raw anchor with tab", src: "<a href=\"java\tscript:alert(1)\">x</a>", text: []string{`<a href="java`}, notHTML: []string{"<a "}},
		{name: "reference link", src: "[click][1]\n\n[1]: javascript:alert(1)", text: []string{"click"}, notHTML: []string{"<a"}},
		{name: "vbscript", src: "[click](vbscript:msgbox(1))", text: []string{"click"}, notHTML: []string{"<a"}},
		{name: "data link", src: "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)", text: []string{"click"}, notHTML: []string{"<a"}},
		{name: "data image", src: "![pic](data:image/png;base64,iVBORw0KGgo=)", text: []string{"pic"}, notHTML: []string{"<img"}},
		{name: "data svg image", src: "![pic](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)", text: []string{"pic"}, notHTML: []string{"<img"}},
		{name: "javascript image", src: "![pic](javascript:alert(1))", text: []string{"pic"}, notHTML: []string{"<img"}},
		{name: "mailto image", src: "![pic](mailto:a@example.com)", text: []string{"pic"}, notHTML: []string{"<img"}},
		{name: "javascript autolink", src: "<javascript:alert(1)>", text: []string{"javascript:alert(1)"}, notHTML: []string{"<a"}},
		{name: "vbscript autolink", src: "<VBScript:msgbox(1)>", notHTML: []string{"<a"}},
		{name: "svg", src: "<svg onload=alert(1)><circle r=1 /></svg>", text: []string{"<svg onload=alert(1)>"}},
		{name: "svg block", src: "<svg>\n<script>alert(1)</script>\n</svg>", text: []string{"alert(1)"}},
		{name: "iframe", src: "<iframe src=\"https://evil.example\"></iframe>", text: []string{"<iframe"}},
		{name: "style element", src: "<style>body{background:url(javascript:alert(1))}</style>", text: []string{"<style>"}},
		{name: "style attribute", src: "<p style=\"color:red\">red</p>", text: []string{"red"}},
		{name: "css expression", src: "<div style=\"width: expression(alert(1))\">x</div>", text: []string{"x"}},
		{name: "form", src: "<form action=\"https://evil.example\"><input name=p type=password><button>go</button></form>", text: []string{"<form"}},
		{name: "meta refresh", src: "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">", text: []string{"<meta"}},
		{name: "base", src: "<base href=\"javascript:alert(1)//\">", text: []string{"<base"}},
		{name: "object and embed", src: "<object data=\"x.swf\"></object><embed src=\"x.swf\">", text: []string{"<object"}},
		{name: "math", src: "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>", text: []string{"<math>"}},
		{name: "html comment", src: "a <!-- <script>alert(1)</script> --> b", text: []string{"a", "b"}},
		{name: "fence language injection", src: "```\"><script>alert(1)</script>\ncode\n```", text: []string{"code"}, notHTML: []string{"class="}},
		{name: "fence language ok", src: "```go\nfmt.Println(\"hi\")\n```", html: []string{`<code class="language-go">`}},
		{name: "link title", src: `[x](https://example.com "a\" onmouseover=\"alert(1)")`, html: []string{`href="https://example.com"`}},
		{name: "link breaking out of href", src: `[x](https://example.com/"onmouseover="alert(1))`, text: []string{"x"}},
		{name: "entity text stays escaped", src: "&lt;script&gt;alert(1)&lt;/script&gt;", html: []string{"&lt;script&gt;"}},
		{name: "quote attribute injection", src: "[quote=x\" onmouseover=\"alert(1) post=1]\nhi\n[/quote]", text: []string{"hi"}, notHTML: []string{"<blockquote", `onmouseover="`}},
		{name: "quote extra attribute", src: "[quote=alice post=1 onmouseover=alert(1)]\nhi\n[/quote]", notHTML: []string{"<blockquote"}},
		{name: "mention in link text", src: "[@alice](javascript:alert(1))", text: []string{"@alice"}, notHTML: []string{"<a"}},
		{name: "https link", src: "[ok](https://example.com/a?b=c&d=e)", html: []string{`<a href="https://example.com/a?b=c&amp;d=e" rel="nofollow noopener">ok</a>`}},
		{name: "relative link", src: "[topic](/t/42)", html: []string{`<a href="/t/42" rel="nofollow noopener">topic</a>`}},
		{name: "mailto link", src: "[mail](mailto:a@example.com)", html: []string{`href="mailto:a@example.com"`}},
		{name: "https image", src: "![cat](https://example.com/cat.png)", html: []string{`<img src="https://example.com/cat.png" alt="cat"`}},
		{name: "bare url", src: "see https://example.com/x.", html: []string{`<a href="https://example.com/x" rel="nofollow noopener">https://example.com/x</a>.`}},
		{name: "ftp not linked", src: "ftp://example.com/x", notHTML: []string{"<a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := r.Render(tt.src)
			checkSafe(t, tt.src, res.HTML)
			text := visibleText(res.HTML)
			for _, want := range tt.text {
				if !strings.Contains(text, want) {
					t.Errorf("visible text %q does not contain %q\noutput: %s", text, want, res.HTML)
				}
			}
			for _, want := range tt.html {
				if !strings.Contains(res.HTML, want) {
					t.Errorf("output does not contain %q\noutput: %s", want, res.HTML)
				}
			}
			for _, bad := range tt.notHTML {
				if strings.Contains(res.HTML, bad) {
					t.Errorf("output contains %q\noutput: %s", bad, res.HTML)
				}
			}
		})
	}
}

// The sanitizer is the last gate even for URLs built by our own callbacks.
func TestRenderHostileURLBuilders(t *testing.T) {
	r := New(Options{
		UserURL: func(u string) string { return "javascript:alert('" + u + "')" },
		TagURL:  func(t string) string { return `/tag/` + t + `" onclick="alert(1)` },
	})
	src := "hi @alice #news"
	res := r.Render(src)
	checkSafe(t, src, res.HTML)
	if !strings.Contains(visibleText(res.HTML), "hi @alice #news") {
		t.Errorf("visible text lost: %s", res.HTML)
	}
}

func TestRenderFeatures(t *testing.T) {
	r := newTestRenderer()
	tests := []struct {
		name string
		src  string
		want []string
		not  []string
	}{
		{name: "emphasis", src: "**bold** _it_ ~~gone~~", want: []string{"<strong>bold</strong>", "<em>it</em>", "<del>gone</del>"}},
		{name: "hard wraps off", src: "one\ntwo", want: []string{"<p>one\ntwo</p>"}, not: []string{"<br"}},
		{name: "explicit hard break", src: "one  \ntwo", want: []string{"<br"}},
		{name: "table", src: "| a | b |\n|:--|--:|\n| 1 | 2 |", want: []string{"<table>", `<th align="left">a</th>`, `<td align="right">2</td>`}},
		{name: "task list", src: "- [x] done\n- [ ] todo", want: []string{`<input checked="" disabled="" type="checkbox"> done`, `<input disabled="" type="checkbox"> todo`}},
		{name: "autolink email", src: "write to help@example.com", want: []string{`<a href="mailto:help@example.com" rel="nofollow noopener">help@example.com</a>`}},
		{name: "www autolink", src: "www.example.com", want: []string{`href="http://www.example.com"`}},
		{name: "heading", src: "# Title", want: []string{"<h1>Title</h1>"}},
		{name: "blockquote", src: "> quoted", want: []string{"<blockquote>\n<p>quoted</p>\n</blockquote>"}},
		{name: "inline html shown", src: "use <br> here", want: []string{"use &lt;br&gt; here"}},
		{name: "character reference", src: "a &amp; b &#x41; &copy;", want: []string{"a &amp; b A ©"}},
		{name: "escaped hash and at", src: `\#notag \@nomention`, want: []string{"#notag @nomention"}, not: []string{"<a"}},
		{name: "ordered list", src: "1. one\n2. two", want: []string{"<ol>", "<li>one</li>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := r.Render(tt.src)
			checkSafe(t, tt.src, res.HTML)
			for _, w := range tt.want {
				if !strings.Contains(res.HTML, w) {
					t.Errorf("Render(%q) = %q, want it to contain %q", tt.src, res.HTML, w)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(res.HTML, n) {
					t.Errorf("Render(%q) = %q, want no %q", tt.src, res.HTML, n)
				}
			}
		})
	}
}

func TestMentionsAndTags(t *testing.T) {
	r := newTestRenderer()
	tests := []struct {
		name     string
		src      string
		mentions []string
		tags     []string
	}{
		{name: "chinese", src: "感谢 @alice 的回答 #产品反馈", mentions: []string{"alice"}, tags: []string{"产品反馈"}},
		{name: "chinese without spaces", src: "感谢@alice的回答（#产品反馈）", mentions: []string{"alice"}, tags: []string{"产品反馈"}},
		{name: "tag glued to a word", src: "中文#标签 and foo#bar", tags: nil},
		{name: "email is not a mention", src: "mail bob@example.com or carol@host, x:dave@example.org", mentions: nil},
		{name: "address after mention", src: "@erin@example.com", mentions: nil},
		{name: "underscore email", src: "bob_@example.com", mentions: nil},
		{name: "code span", src: "run `@alice #tag` now", mentions: nil, tags: nil},
		{name: "code block", src: "```\n@alice #tag\n```\n\n    @bob #indented", mentions: nil, tags: nil},
		{name: "links", src: "[@alice #tag](https://example.com) ![#img @bob](https://example.com/x.png)", mentions: nil, tags: nil},
		{name: "urls", src: "https://example.com/@carol#frag and https://example.com/#tag", mentions: nil, tags: nil},
		{name: "heading marker is not a tag", src: "# Title\n\n## Release #notes", tags: []string{"notes"}},
		{name: "tag at paragraph start", src: "#hello world", tags: []string{"hello"}},
		{name: "numbers are not tags", src: "see #123 and #v2 and #2024年", tags: []string{"v2", "2024年"}},
		{name: "programming languages", src: "C# and F# are languages", tags: nil},
		{name: "character references", src: "&#35;notag &#x41;", tags: nil},
		{name: "escaped", src: `\@alice \#tag`, mentions: nil, tags: nil},
		{name: "dedup mentions keeps first spelling", src: "@Alice @alice @ALICE @bob @Bob", mentions: []string{"Alice", "bob"}},
		{name: "dedup tags lowercased", src: "#Go #go #GO #Rust", tags: []string{"go", "rust"}},
		{name: "trailing punctuation", src: "thanks @alice. and (@bob), @carol_! @dave-", mentions: []string{"alice", "bob", "carol", "dave"}},
		{name: "username characters", src: "@a @x.y-z_1 @_bad @-bad", mentions: []string{"a", "x.y-z_1"}},
		{name: "username length", src: "@" + strings.Repeat("a", 30) + " @" + strings.Repeat("b", 31), mentions: []string{strings.Repeat("a", 30)}},
		{name: "tag length", src: "#" + strings.Repeat("a", 40) + " #" + strings.Repeat("b", 41), tags: []string{strings.Repeat("a", 40)}},
		{name: "tag characters", src: "#a-b_c #tag- #_x #-y", tags: []string{"a-b_c", "tag"}},
		{name: "emphasis around", src: "_@alice_ **#news**", mentions: []string{"alice"}, tags: []string{"news"}},
		{name: "in list and table", src: "- @alice\n\n| h |\n|---|\n| #tag |", mentions: []string{"alice"}, tags: []string{"tag"}},
		{name: "hex colour is a tag", src: "colour #fff", tags: []string{"fff"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := r.Render(tt.src)
			checkSafe(t, tt.src, res.HTML)
			if !reflect.DeepEqual(res.Mentions, tt.mentions) {
				t.Errorf("Render(%q).Mentions = %q, want %q", tt.src, res.Mentions, tt.mentions)
			}
			if !reflect.DeepEqual(res.Tags, tt.tags) {
				t.Errorf("Render(%q).Tags = %q, want %q", tt.src, res.Tags, tt.tags)
			}
		})
	}
}

func TestMentionAndTagLinks(t *testing.T) {
	r := newTestRenderer()
	res := r.Render("感谢 @Alice 的回答 #产品反馈 #Go")
	for _, want := range []string{
		`<a class="mention" href="/u/Alice" rel="nofollow noopener">@Alice</a>`,
		`<a class="hashtag" href="/tag/` + url.PathEscape("产品反馈") + `" rel="nofollow noopener">#产品反馈</a>`,
		`<a class="hashtag" href="/tag/go" rel="nofollow noopener">#Go</a>`,
	} {
		if !strings.Contains(res.HTML, want) {
			t.Errorf("output %q does not contain %q", res.HTML, want)
		}
	}

	def := New(Options{}).Render("@bob #news")
	for _, want := range []string{`href="/u/bob"`, `href="/tag/news"`} {
		if !strings.Contains(def.HTML, want) {
			t.Errorf("default URLs: output %q does not contain %q", def.HTML, want)
		}
	}
}

func TestExtractionLimits(t *testing.T) {
	r := newTestRenderer()
	var b strings.Builder
	for i := range 60 {
		fmt.Fprintf(&b, "@user%d #tag%d ", i, i)
	}
	res := r.Render(b.String())
	if len(res.Mentions) != maxMentions || res.Mentions[0] != "user0" || res.Mentions[49] != "user49" {
		t.Errorf("Mentions = %d items %q..., want the first %d", len(res.Mentions), res.Mentions[:3], maxMentions)
	}
	if len(res.Tags) != maxTags || res.Tags[19] != "tag19" {
		t.Errorf("Tags = %q, want the first %d", res.Tags, maxTags)
	}
	// Everything is still rendered as links.
	if got := strings.Count(res.HTML, `class="mention"`); got != 60 {
		t.Errorf("rendered %d mention links, want 60", got)
	}
}

func TestQuotes(t *testing.T) {
	r := newTestRenderer()
	tests := []struct {
		name     string
		src      string
		quotes   []Quote
		html     []string
		notHTML  []string
		mentions []string
	}{
		{
			name:   "simple",
			src:    "[quote=alice post=123]\nsome **bold** text\n[/quote]\n\nI agree.",
			quotes: []Quote{{"alice", 123}},
			html: []string{
				`<blockquote class="quote" data-username="alice" data-post="123">`,
				`<p class="quote-author">alice:</p>`,
				`<p>some <strong>bold</strong> text</p>`,
				`</blockquote>`,
				`<p>I agree.</p>`,
			},
		},
		{
			name:   "nested",
			src:    "[quote=alice post=1]\nouter\n[quote=bob post=2]\ninner\n[/quote]\nafter inner\n[/quote]\nmine",
			quotes: []Quote{{"alice", 1}, {"bob", 2}},
			html: []string{
				`<blockquote class="quote" data-username="alice" data-post="1">` + "\n" + `<p class="quote-author">alice:</p>` + "\n<p>outer</p>\n" +
					`<blockquote class="quote" data-username="bob" data-post="2">` + "\n" + `<p class="quote-author">bob:</p>` + "\n<p>inner</p>\n</blockquote>\n<p>after inner</p>\n</blockquote>\n<p>mine</p>",
			},
		},
		{
			name:    "depth four is text",
			src:     "[quote=a post=1]\n[quote=b post=2]\n[quote=c post=3]\n[quote=d post=4]\ndeep\n[/quote]\n[/quote]\n[/quote]\n[/quote]",
			quotes:  []Quote{{"a", 1}, {"b", 2}, {"c", 3}},
			html:    []string{"[quote=d post=4]", "deep\n[/quote]"},
			notHTML: []string{`data-username="d"`},
		},
		{
			name:    "unterminated",
			src:     "[quote=alice post=1]\nhello",
			quotes:  nil,
			html:    []string{"[quote=alice post=1]\nhello"},
			notHTML: []string{"<blockquote"},
		},
		{
			name:   "unterminated outer, closed inner",
			src:    "[quote=alice post=1]\n[quote=bob post=2]\nhi\n[/quote]",
			quotes: []Quote{{"bob", 2}},
			html:   []string{"<p>[quote=alice post=1]</p>", `data-username="bob"`},
		},
		{
			name:    "stray close",
			src:     "text\n[/quote]",
			html:    []string{"[/quote]"},
			notHTML: []string{"<blockquote"},
		},
		{
			name:    "injection in username",
			src:     "[quote=x\" onmouseover=\"alert(1) post=1]\nhi\n[/quote]",
			notHTML: []string{"<blockquote", `onmouseover="`},
		},
		{
			name:    "injection in post",
			src:     "[quote=alice post=1\" onmouseover=\"alert(1)]\nhi\n[/quote]",
			notHTML: []string{"<blockquote", `onmouseover="`},
		},
		{
			name:    "bad post ids",
			src:     "[quote=alice post=0]\na\n[/quote]\n[quote=alice post=x]\nb\n[/quote]\n[quote=alice post=-1]\nc\n[/quote]",
			notHTML: []string{"<blockquote"},
		},
		{
			name:    "inside fenced code",
			src:     "```\n[quote=alice post=1]\nhi\n[/quote]\n```",
			html:    []string{"<pre><code>[quote=alice post=1]\nhi\n[/quote]\n</code></pre>"},
			notHTML: []string{"<blockquote"},
		},
		{
			name:    "indented code",
			src:     "    [quote=alice post=1]\n    hi\n    [/quote]",
			notHTML: []string{"<blockquote"},
		},
		{
			name:   "duplicates recorded once",
			src:    "[quote=alice post=1]\na\n[/quote]\n\n[quote=alice post=1]\nb\n[/quote]\n\n[quote=bob post=1]\nc\n[/quote]",
			quotes: []Quote{{"alice", 1}, {"bob", 1}},
		},
		{
			name:     "mentions in quotes are rendered but not extracted",
			src:      "[quote=alice post=1]\nping @carol #old\n[/quote]\n@dave",
			quotes:   []Quote{{"alice", 1}},
			html:     []string{`<a class="mention" href="/u/carol" rel="nofollow noopener">@carol</a>`},
			mentions: []string{"dave"},
		},
		{
			name:   "crlf and indentation",
			src:    "  [quote=alice post=7]\r\nhi\r\n [/quote]  \r\n",
			quotes: []Quote{{"alice", 7}},
			html:   []string{`data-post="7"`, "<p>hi</p>"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := r.Render(tt.src)
			checkSafe(t, tt.src, res.HTML)
			if !reflect.DeepEqual(res.Quotes, tt.quotes) {
				t.Errorf("Quotes = %+v, want %+v", res.Quotes, tt.quotes)
			}
			for _, want := range tt.html {
				if !strings.Contains(res.HTML, want) {
					t.Errorf("output does not contain %q\noutput: %s", want, res.HTML)
				}
			}
			for _, bad := range tt.notHTML {
				if strings.Contains(res.HTML, bad) {
					t.Errorf("output contains %q\noutput: %s", bad, res.HTML)
				}
			}
			if tt.mentions != nil && !reflect.DeepEqual(res.Mentions, tt.mentions) {
				t.Errorf("Mentions = %q, want %q", res.Mentions, tt.mentions)
			}
		})
	}
}

func TestExcerpt(t *testing.T) {
	r := newTestRenderer()
	tests := []struct {
		name string
		src  string
		want string
	}{
		{name: "markdown stripped", src: "# Title\n\nSome **bold**   and\n_italic_ text.\n\n- one\n- two", want: "Title Some bold and italic text. one two"},
		{name: "mentions and tags", src: "感谢 @alice 的回答 #产品反馈", want: "感谢 @alice 的回答 #产品反馈"},
		{name: "references decoded", src: "a &amp; b &lt;tag&gt; \\*", want: "a & b <tag> *"},
		{name: "links keep their text", src: "see [the docs](https://example.com) or https://example.org", want: "see the docs or https://example.org"},
		{name: "quotes excluded", src: "[quote=alice post=1]\nquoted words\n[/quote]\n\nmy reply", want: "my reply"},
		{name: "code kept", src: "run `go test` then\n\n```\nmake\n```", want: "run go test then make"},
		{name: "empty", src: "   \n\n", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := r.Render(tt.src).Excerpt; got != tt.want {
				t.Errorf("Excerpt = %q, want %q", got, tt.want)
			}
		})
	}

	t.Run("long chinese is cut on a rune boundary", func(t *testing.T) {
		got := r.Render(strings.Repeat("产品反馈很好", 100)).Excerpt
		if !utf8.ValidString(got) {
			t.Fatalf("invalid UTF-8: %q", got)
		}
		if n := utf8.RuneCountInString(got); n != excerptRunes+1 || !strings.HasSuffix(got, "…") {
			t.Errorf("got %d runes ending %q, want %d runes and an ellipsis", n, got[len(got)-6:], excerptRunes+1)
		}
	})
	t.Run("long english is cut at a word", func(t *testing.T) {
		got := r.Render(strings.Repeat("lorem ipsum ", 50)).Excerpt
		if utf8.RuneCountInString(got) > excerptRunes+1 || !strings.HasSuffix(got, "m…") {
			t.Errorf("got %q", got)
		}
	})
	t.Run("invalid UTF-8", func(t *testing.T) {
		if got := r.Render("ab\xffcd").Excerpt; !utf8.ValidString(got) {
			t.Errorf("invalid UTF-8 excerpt %q", got)
		}
	})
}

func TestRenderConcurrent(t *testing.T) {
	r := newTestRenderer()
	src := typicalPost
	want := r.Render(src)
	var wg sync.WaitGroup
	// Building another renderer meanwhile must not disturb this one.
	wg.Go(func() { New(Options{}).Render(src) })
	for range 8 {
		wg.Go(func() {
			for range 20 {
				if got := r.Render(src); !reflect.DeepEqual(got, want) {
					t.Errorf("concurrent Render differs")
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestRenderPathological checks that hostile input stays cheap. The inputs
// are larger than the longest post allowed; before the limits in limits.go,
// several of them took seconds to minutes.
func TestRenderPathological(t *testing.T) {
	testenv.SkipIfShort(t, "slow")
	r := newTestRenderer()
	for _, tt := range pathologicalInputs() {
		t.Run(tt.name, func(t *testing.T) {
			res := r.Render(tt.src)
			if len(res.HTML) > 40*len(tt.src)+1000 {
				t.Errorf("output is %d bytes for %d bytes of input", len(res.HTML), len(tt.src))
			}
		})
	}
}

func TestTextIsWholePlainText(t *testing.T) {
	r := New(Options{})
	long := strings.Repeat("客户关系管理 ", 100)
	res := r.Render("# Title\n\nSome **bold** text and `code`.\n\n" + long + "\n\n[quote=bob post=3]\nquoted words\n[/quote]\n\nthe end")
	if !strings.Contains(res.Text, "Title Some bold text and code.") || !strings.HasSuffix(res.Text, "the end") {
		t.Fatalf("text: %q", res.Text)
	}
	if strings.Contains(res.Text, "quoted words") || strings.Contains(res.Text, "**") {
		t.Fatalf("quotes and markup must not be in the text: %q", res.Text)
	}
	if strings.Count(res.Text, "客户关系管理") != 100 {
		t.Fatal("text was cut")
	}
}
