package feedback

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchCorpus builds n feedback texts over a dozen themes, English and
// Chinese, worded from templates the way the demo seed words them.
func benchCorpus(n int) []ThemeDoc {
	themes := [][]string{
		{"Export %s to CSV", "Excel export for %s", "CSV export of %s is missing columns"},
		{"Single sign-on with %s", "SAML SSO login through %s", "Provision users from %s"},
		{"Mobile app crashes when %s", "Offline mode in the mobile app for %s"},
		{"Daily digest instead of single %s", "Mute %s notifications per project"},
		{"Webhooks for %s", "Raise API rate limits for %s"},
		{"Dashboard is slow with %s", "Search takes seconds on %s"},
		{"希望支持把%s导出为 Excel", "%s导出的数据不完整"},
		{"支持通过%s单点登录", "%s单点登录经常失败"},
		{"手机应用在%s时闪退", "手机应用%s后自动退出登录"},
		{"邮件通知太多，希望按%s汇总", "可以关闭%s的通知吗"},
	}
	variants := []string{"reports", "contacts", "invoices", "Okta", "Azure AD", "uploading photos", "报表", "客户", "飞书", "评论"}
	rng := rand.New(rand.NewPCG(1, 2))
	docs := make([]ThemeDoc, n)
	for i := range docs {
		th := themes[rng.IntN(len(themes))]
		title := fmt.Sprintf(th[rng.IntN(len(th))], variants[rng.IntN(len(variants))])
		docs[i] = ThemeDoc{ID: i + 1, Title: title, Text: title + "\n" + title, Votes: rng.IntN(50)}
	}
	return docs
}

func BenchmarkClusterThemes(b *testing.B) {
	for _, n := range []int{100, 300, ThemeDocsMax} {
		docs := benchCorpus(n)
		b.Run(fmt.Sprintf("items=%d", n), func(b *testing.B) {
			for b.Loop() {
				if _, _, err := ClusterThemes(docs); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
