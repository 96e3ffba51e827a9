package feedback

import (
	"slices"
	"sort"
	"strings"
	"testing"
)

// An obviously clustered corpus: three English themes and two Chinese
// ones, worded differently within each theme, with one item about nothing
// else. Each theme must come out as exactly its items.
func TestClusterThemesGroupsEnglishAndChinese(t *testing.T) {
	groups := map[string][]string{
		"export": {
			"Export reports to CSV",
			"Exporting data as CSV files fails",
			"Please add CSV export for the dashboard reports",
			"CSV exports are missing columns",
		},
		"sso": {
			"Single sign-on with Okta",
			"SSO login through Okta keeps failing",
			"Support SAML single sign-on for Azure AD",
			"Okta SSO should provision users",
		},
		"mobile": {
			"Mobile app crashes on Android",
			"The Android mobile app crashes at startup",
			"iPhone mobile app crashes when uploading photos",
		},
		"导出": {
			"希望支持导出报表为 Excel",
			"导出报表的时候数据不完整",
			"报表导出功能太慢了",
		},
		"通知": {
			"邮件通知太多了，希望可以关闭",
			"能不能自定义邮件通知的频率",
			"关闭邮件通知的设置找不到",
		},
	}
	var docs []ThemeDoc
	want := map[string][]int{}
	id := 0
	names := make([]string, 0, len(groups))
	for name := range groups {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		for i, text := range groups[name] {
			id++
			docs = append(docs, ThemeDoc{ID: id, Title: text, Text: text, Votes: i + 1})
			want[name] = append(want[name], id)
		}
	}
	id++
	docs = append(docs, ThemeDoc{ID: id, Title: "Praise for the team", Text: "Thank you all, wonderful people", Votes: 1})

	themes, alone, err := ClusterThemes(docs)
	if err != nil {
		t.Fatal(err)
	}
	if len(themes) != len(groups) {
		for _, th := range themes {
			t.Logf("theme %q: %v", th.Label, th.Items)
		}
		t.Fatalf("%d themes, want %d", len(themes), len(groups))
	}
	if alone != 1 {
		t.Errorf("%d items alone, want 1 (the praise)", alone)
	}
	for _, th := range themes {
		var ids []int
		for _, it := range th.Items {
			ids = append(ids, it.ID)
		}
		sort.Ints(ids)
		found := ""
		for name, w := range want {
			if slices.Equal(ids, w) {
				found = name
			}
		}
		if found == "" {
			t.Errorf("theme %q has items %v, which is no group of the corpus", th.Label, ids)
			continue
		}
		if !strings.Contains(strings.ToLower(th.Label), strings.ToLower(found)) {
			t.Errorf("theme of %s is labelled %q", found, th.Label)
		}
		votes := 0
		for i := range groups[found] {
			votes += i + 1
		}
		if th.Votes != votes {
			t.Errorf("theme %s has %d votes, want %d", found, th.Votes, votes)
		}
		delete(want, found)
	}
	// Most voted first: export has 4 items (1+2+3+4 = 10 votes), as has sso.
	if themes[0].Votes < themes[len(themes)-1].Votes {
		t.Errorf("themes not sorted by votes: %d then %d", themes[0].Votes, themes[len(themes)-1].Votes)
	}
}

func TestClusterThemesSmallInputs(t *testing.T) {
	th, alone, err := ClusterThemes(nil)
	if err != nil || len(th) != 0 || alone != 0 {
		t.Fatalf("nil: %v %d %v", th, alone, err)
	}
	th, alone, err = ClusterThemes([]ThemeDoc{{ID: 1, Text: "one"}, {ID: 2, Text: "two"}})
	if err != nil || len(th) != 0 || alone != 2 {
		t.Fatalf("unrelated pair: %v %d %v", th, alone, err)
	}
}

func TestChainBigrams(t *testing.T) {
	got := chainBigrams([]string{"点登", "export", "单点", "登录", "手机"})
	if want := []string{"单点登录", "export", "手机"}; !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestQueryTerms(t *testing.T) {
	got := queryTerms("How to export 报表数据 to CSV?")
	want := []string{"export", "报表", "表数", "数据", "csv"}
	if !slices.Equal(got, want) {
		t.Fatalf("terms %q, want %q", got, want)
	}
}
