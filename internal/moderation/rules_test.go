package moderation

import (
	"fmt"
	"testing"
)

func TestWatchedWordMatching(t *testing.T) {
	cases := []struct {
		rule WordRule
		in   string
		hit  bool
		out  string
	}{
		{WordRule{Pattern: "ass", Action: ActionReplace, Replacement: "***"}, "a class act, you ASS!", true, "a class act, you ***!"},
		{WordRule{Pattern: "ass", Action: ActionFlag}, "classic passage", false, ""},
		{WordRule{Pattern: "垃圾", Action: ActionReplace, Replacement: "**"}, "这是垃圾邮件", true, "这是**邮件"},
		{WordRule{Pattern: "spam", Action: ActionFlag}, "垃圾spam邮件", true, ""},            // Latin next to Han: no letters of a spaced script around it
		{WordRule{Pattern: "spam", Action: ActionFlag}, "spammer", false, ""},            // a longer word
		{WordRule{Pattern: "İstanbul", Action: ActionFlag}, "I love İSTANBUL", true, ""}, // lower-casing changes lengths: the regex decides
		{WordRule{Pattern: "bad", Action: ActionReplace, Replacement: "b*d"}, "İ bad BAD", true, "İ b*d b*d"},
		{WordRule{Pattern: `(?i)free\s+money`, Regex: true, Action: ActionReplace, Replacement: "[x]"}, "FREE  money!", true, "[x]!"},
	}
	for _, c := range cases {
		rules, problems := validate(withWords(c.rule))
		if len(problems) > 0 {
			t.Fatalf("%v: %v", c.rule, problems)
		}
		d := newDoc(c.in)
		if got := rules[0].apply(d); got != c.hit {
			t.Errorf("%q in %q: hit %v, want %v", c.rule.Pattern, c.in, got, c.hit)
		}
		if c.out != "" && d.s != c.out {
			t.Errorf("%q in %q: %q, want %q", c.rule.Pattern, c.in, d.s, c.out)
		}
	}
}

func withWords(ws ...WordRule) Settings {
	s := DefaultSettings()
	s.Words = ws
	return s
}

func TestRuleLimits(t *testing.T) {
	var many []WordRule
	for i := range MaxRegexRules + 1 {
		many = append(many, WordRule{Pattern: fmt.Sprintf("x%d", i), Regex: true, Action: ActionFlag})
	}
	if _, p := validate(withWords(many...)); p["watched_words"] == "" {
		t.Fatal("more than MaxRegexRules regexes accepted")
	}
	for _, bad := range []WordRule{
		{Pattern: "(?:a{1000}){1000}", Regex: true, Action: ActionBlock}, // too large
		{Pattern: `(a)\1`, Regex: true, Action: ActionBlock},             // backreferences are not RE2
		{Pattern: "", Action: ActionBlock},
		{Pattern: string(make([]byte, 300)), Action: ActionBlock},
		{Pattern: "ok", Action: "delete"},
		{Pattern: "ok", Action: ActionBlock, Replacement: "x"},
	} {
		if _, p := validate(withWords(bad)); len(p) == 0 {
			t.Errorf("accepted %+v", bad)
		}
	}
}
