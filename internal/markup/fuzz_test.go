package markup

import (
	"strings"
	"testing"
	"unicode/utf8"
)

var fuzzSeeds = []string{
	typicalPost,
	"感谢 @alice 的回答 #产品反馈",
	"<script>alert(1)</script>",
	"<img src=x onerror=alert(1)>",
	"[x](javascript:alert(1))",
	"[x](JaVaScRiPt:alert(1))",
	"[x](&#106;avascript:alert(1))",
	"[x](&#x6A;avascript&#x3A;alert(1))",
	"[x](java&#x09;script:alert(1))",
	"[x](<java\tscript:alert(1)>)",
	"[x](\x01javascript:alert(1))",
	"<a href=\"java\tscript:alert(1)\">x</a>",
	"[x][1]\n\n[1]: javascript:alert(1)",
	"[x](vbscript:msgbox(1))",
	"[x](data:text/html;base64,PHNjcmlwdD4=)",
	"![x](data:image/png;base64,iVBORw0KGgo=)",
	"![x](javascript:alert(1))",
	"<javascript:alert(1)>",
	"<svg onload=alert(1)>",
	"<iframe src=//evil.example></iframe>",
	"<style>*{}</style><p style=\"x:expression(alert(1))\">",
	"<form><input formaction=javascript:alert(1)></form>",
	"<meta http-equiv=refresh content=\"0;url=javascript:alert(1)\"><base href=javascript:/>",
	"[quote=x\" onmouseover=\"alert(1) post=1]\nhi\n[/quote]",
	"[quote=alice post=1]\n[quote=bob post=2]\n**hi** @carol #tag\n[/quote]\n[/quote]",
	"[quote=a post=1]\n[quote=b post=2]\n[quote=c post=3]\n[quote=d post=4]\nx\n[/quote]\n[/quote]\n[/quote]\n[/quote]",
	"```\"><script>alert(1)</script>\nx\n```",
	"| a | b |\n|:-|-:|\n| @x | #y |",
	"- [x] done\n- [ ] todo",
	"mail bob@example.com and https://example.com/@x#y www.example.com",
	"&#35;x &#x41; &amp;#106; \\#x \\@y",
	"_@alice_ **#news** ~~@bob~~",
	"> > > @deep",
	"[@alice](https://example.com) ![#tag](https://example.com/x.png)",
	"[x](https://example.com/\"onmouseover=\"alert(1))",
	"[x](//evil.example) [y](/relative) [z](?q) [w](#frag) [v](mailto:a@b.c)",
}

// FuzzRenderIsSafe checks that no input yields executable markup, and that
// the extracted data keeps its documented shape.
func FuzzRenderIsSafe(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	r := newTestRenderer()
	f.Fuzz(func(t *testing.T, src string) {
		res := r.Render(src)
		if msg := unsafeMarkup(res.HTML); msg != "" {
			t.Fatalf("Render(%q): %s\noutput: %s", src, msg, res.HTML)
		}
		if !utf8.ValidString(res.Excerpt) || utf8.RuneCountInString(res.Excerpt) > excerptRunes+1 {
			t.Errorf("bad excerpt %q", res.Excerpt)
		}
		if len(res.Mentions) > maxMentions || len(res.Tags) > maxTags {
			t.Errorf("%d mentions, %d tags", len(res.Mentions), len(res.Tags))
		}
		for _, m := range res.Mentions {
			if !validUsername(m) || !strings.Contains(src, "@"+m) {
				t.Errorf("bad mention %q", m)
			}
		}
		for _, tag := range res.Tags {
			if tag == "" || tag != strings.ToLower(tag) || utf8.RuneCountInString(tag) > maxTagRunes {
				t.Errorf("bad tag %q", tag)
			}
		}
		for _, q := range res.Quotes {
			if !validUsername(q.Username) || q.PostID <= 0 {
				t.Errorf("bad quote %+v", q)
			}
		}
	})
}
