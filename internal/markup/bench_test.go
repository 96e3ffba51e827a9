package markup

import (
	"strings"
	"testing"
)

// typicalPost is a realistic ~1 KB post.
const typicalPost = `Thanks @alice and @bob_smith for the quick replies! I tried the workaround from
[the upgrade guide](https://docs.example.com/upgrade#config) but the importer still fails:

` + "```go" + `
cfg, err := config.Load(ctx, "/etc/crn/config.toml")
if err != nil {
	return fmt.Errorf("load config: %w", err)
}
` + "```" + `

What I checked so far:

1. the file is readable by the service user
2. ` + "`crn check-config`" + ` reports **no errors**
3. the same config works on the *staging* instance
4. downgrading to 1.4.2 makes the error go away, see https://status.example.com/incidents/42

> Note: the importer runs as a background job, so the error only shows up in
> the job log and not in the admin dashboard.

升级之后导入功能一直报错，日志里没有更多信息。请问是否需要重新生成索引？谢谢大家的帮助！

Any idea what else to look at? Happy to share more logs if needed. #upgrade
`

func BenchmarkRenderTypicalPost(b *testing.B) {
	r := newTestRenderer()
	b.SetBytes(int64(len(typicalPost)))
	b.ReportAllocs()
	for b.Loop() {
		r.Render(typicalPost)
	}
}

type namedInput struct {
	name string
	src  string
}

// pathologicalInputs are inputs known to be expensive for Markdown parsers,
// each around 100 KB.
func pathologicalInputs() []namedInput {
	var nestedList strings.Builder
	for i := range 200 {
		nestedList.WriteString(strings.Repeat("  ", i) + "- a\n")
	}
	return []namedInput{
		{"open brackets", strings.Repeat("[", 100000)},
		{"stars", strings.Repeat("*", 100000)},
		{"alternating delimiters", strings.Repeat("_a*", 33000)},
		{"underscore words", strings.Repeat("_a", 50000)},
		{"nested blockquotes", strings.Repeat(">", 100000)},
		{"nested blockquote lines", strings.Repeat(strings.Repeat(">", 1000)+" x\n", 100)},
		{"nested lists", nestedList.String()},
		{"unclosed link destinations", strings.Repeat("[a](", 25000)},
		{"unclosed angle destinations", strings.Repeat("[](<", 25000)},
		{"unclosed titles", strings.Repeat("[](b \"", 16000)},
		{"reference definitions", strings.Repeat("[a]: b\n", 7000) + strings.Repeat("[a]", 16000)},
		{"wide table", "|" + strings.Repeat("a|", 5000) + "\n|" + strings.Repeat("-|", 5000) + "\n" + strings.Repeat("|x\n", 20000)},
		{"backticks", strings.Repeat("`a", 50000)},
		{"mentions", strings.Repeat("@a ", 33000)},
		{"hashes", strings.Repeat("#", 100000)},
		{"quote tags", strings.Repeat("[quote=a post=1]\n", 3000) + strings.Repeat("[/quote]\n", 3000)},
		{"emails", strings.Repeat("a_", 50000) + "@example.com"},
	}
}

func BenchmarkRenderPathological(b *testing.B) {
	r := newTestRenderer()
	for _, in := range pathologicalInputs() {
		b.Run(strings.ReplaceAll(in.name, " ", "_"), func(b *testing.B) {
			b.SetBytes(int64(len(in.src)))
			b.ReportAllocs()
			for b.Loop() {
				r.Render(in.src)
			}
		})
	}
}
