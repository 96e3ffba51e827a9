package moderation

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkWatchedWords measures screening a long post against many rules:
// the cost every write by a member pays.
//
//	go test ./internal/moderation -run '^$' -bench WatchedWords -benchmem
func BenchmarkWatchedWords(b *testing.B) {
	for _, c := range []struct{ words, regexes int }{{10, 0}, {100, 0}, {500, 0}, {0, 10}, {0, 50}, {450, 50}} {
		var ws []WordRule
		for i := range c.words {
			switch i % 3 {
			case 0:
				ws = append(ws, WordRule{Pattern: fmt.Sprintf("badword%d", i), Action: ActionBlock})
			case 1:
				ws = append(ws, WordRule{Pattern: fmt.Sprintf("违禁词%d", i), Action: ActionHold})
			default:
				ws = append(ws, WordRule{Pattern: fmt.Sprintf("rude%d", i), Action: ActionReplace, Replacement: "***"})
			}
		}
		for i := range c.regexes {
			ws = append(ws, WordRule{Pattern: fmt.Sprintf(`(?i)spam\s*%d\b`, i), Regex: true, Action: ActionFlag})
		}
		st := DefaultSettings()
		st.Words = ws
		rules, problems := validate(st)
		if len(problems) > 0 {
			b.Fatal(problems)
		}
		for _, size := range []int{500, 32000} {
			unit := "The export button is under Settings, 导出按钮在设置里。 "
			text := strings.ToValidUTF8(strings.Repeat(unit, size/len(unit)+1)[:size], "")
			b.Run(fmt.Sprintf("words=%d/regexes=%d/bytes=%d", c.words, c.regexes, size), func(b *testing.B) {
				b.SetBytes(int64(len(text)))
				for b.Loop() {
					d := newDoc(text)
					for _, r := range rules {
						r.apply(d)
					}
				}
			})
		}
	}
}
