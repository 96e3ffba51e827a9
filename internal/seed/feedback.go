package seed

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/feedback"
	"github.com/crn-dev/crn/internal/forum"
)

// Feedback is what the seed needs of the feedback service.
type Feedback interface {
	Create(ctx context.Context, a authz.Actor, in feedback.CreateInput) (*feedback.Item, error)
	Vote(ctx context.Context, a authz.Actor, id int, in feedback.VoteInput) (*feedback.Item, error)
	ChangeStatus(ctx context.Context, a authz.Actor, id int, to, response string) (*feedback.Item, error)
	Merge(ctx context.Context, a authz.Actor, id, into int, response string) (*feedback.Item, error)
	Rate(ctx context.Context, a authz.Actor, id, score int, comment string) (*ent.FeedbackSatisfaction, error)
}

// FeedbackSummary counts what DemoFeedback created.
type FeedbackSummary struct {
	Boards, Items, Votes, StatusChanges, Merges, Ratings int
}

func (s FeedbackSummary) String() string {
	return fmt.Sprintf("feedback: %d boards, %d items, %d votes, %d status changes, %d merges, %d ratings created",
		s.Boards, s.Items, s.Votes, s.StatusChanges, s.Merges, s.Ratings)
}

// DemoFeedbackItems is how many items DemoFeedback opens.
const DemoFeedbackItems = 300

// feedbackSpan is how far back the demo feedback starts.
const feedbackSpan = 60 * 24 * time.Hour

type fbTheme struct {
	area     string
	titles   []string // with one %s for a variant
	variants []string
	bodies   []string
	bug      bool
}

var themesEN = []fbTheme{
	{area: "reports", titles: []string{"Export %s to CSV", "Excel export for %s", "Schedule %s exports by email", "CSV export of %s is missing columns"},
		variants: []string{"reports", "dashboards", "contacts", "invoices", "activity logs"},
		bodies:   []string{"We send these exports to finance every week and copy the data by hand today.", "Our analysts want the raw data in a spreadsheet."}},
	{area: "sso", titles: []string{"Single sign-on with %s", "SAML SSO login through %s", "Provision users automatically from %s"},
		variants: []string{"Okta", "Azure AD", "Google Workspace", "OneLogin"},
		bodies:   []string{"Security requires single sign-on for every tool we buy.", "Our IT team manages every account in the identity provider."}},
	{area: "mobile", titles: []string{"Mobile app crashes when %s", "Offline mode in the mobile app for %s", "Mobile app logs me out after %s"},
		variants: []string{"uploading photos", "opening attachments", "switching accounts", "a few minutes"},
		bodies:   []string{"This happens on Android and on iPhone.", "Field staff rely on the mobile app all day."}, bug: true},
	{area: "notifications", titles: []string{"Daily digest instead of single %s", "Mute %s notifications per project", "Email notifications for %s are too noisy"},
		variants: []string{"emails", "mentions", "comments", "status changes"},
		bodies:   []string{"My inbox is flooded with notification emails.", "We need control over how often notifications arrive."}},
	{area: "api", titles: []string{"Webhooks for %s", "Raise API rate limits for %s", "API endpoint to bulk update %s"},
		variants: []string{"new contacts", "deleted records", "invoices", "tags"},
		bodies:   []string{"Our integration polls the API every minute today.", "The API limits block our nightly sync."}},
	{area: "performance", titles: []string{"Dashboard is slow with %s", "Search takes seconds on %s", "Loading %s times out"},
		variants: []string{"10k records", "large accounts", "long histories", "many filters"},
		bodies:   []string{"Pages take over ten seconds to load for our biggest customers.", "Performance got worse since the last release."}, bug: true},
	{area: "ui", titles: []string{"Dark mode for the %s", "Keyboard shortcuts in the %s", "Bigger fonts in the %s"},
		variants: []string{"editor", "dashboard", "inbox", "calendar"},
		bodies:   []string{"Working late would be easier on the eyes.", "Power users would move much faster."}},
}

var themesZH = []fbTheme{
	{area: "导出", titles: []string{"希望支持把%s导出为 Excel", "%s导出的数据不完整", "定时导出%s并发邮件"},
		variants: []string{"报表", "客户列表", "发票", "操作日志"},
		bodies:   []string{"财务每周都要这些数据，现在只能手工复制。", "分析师需要在表格里处理原始数据。"}},
	{area: "单点登录", titles: []string{"支持通过%s单点登录", "%s单点登录经常失败", "从%s自动同步用户账号"},
		variants: []string{"企业微信", "钉钉", "飞书", "Azure AD"},
		bodies:   []string{"公司安全要求所有系统都必须单点登录。", "IT 部门在统一身份平台里管理所有账号。"}},
	{area: "手机应用", titles: []string{"手机应用在%s时闪退", "手机应用%s后自动退出登录", "手机应用支持离线%s"},
		variants: []string{"上传照片", "打开附件", "切换账号", "查看客户"},
		bodies:   []string{"安卓和苹果手机上都有这个问题。", "外勤同事整天都在用手机应用。"}, bug: true},
	{area: "通知", titles: []string{"邮件通知太多，希望按%s汇总", "可以关闭%s的通知吗", "自定义%s通知的频率"},
		variants: []string{"每天", "评论", "提及", "状态变化"},
		bodies:   []string{"邮箱被通知邮件塞满了。", "希望能自己控制通知的频率。"}},
	{area: "性能", titles: []string{"仪表盘在%s时很慢", "搜索%s要等好几秒", "加载%s经常超时"},
		variants: []string{"一万条记录", "大客户", "历史很长", "筛选条件多"},
		bodies:   []string{"大客户打开页面要十几秒。", "上个版本之后明显变慢了。"}, bug: true},
}

var (
	responsesEN = map[string][]string{
		feedback.StatusUnderReview: {"Thanks! The product team is looking into this.", "We are reviewing this with a few customers."},
		feedback.StatusPlanned:     {"This is on the roadmap for next quarter.", "Planned: we will share a preview soon."},
		feedback.StatusInProgress:  {"We started building this.", "Work is under way; expect a beta in a few weeks."},
		feedback.StatusDone:        {"Shipped in the latest release. Thank you for the feedback!", "Done: available to everyone now."},
		feedback.StatusDeclined:    {"We will not build this for now: it does not fit the product direction.", "Declined: the workaround in the docs covers this."},
	}
	responsesZH = map[string][]string{
		feedback.StatusUnderReview: {"感谢反馈，产品团队正在评估。"},
		feedback.StatusPlanned:     {"已列入下个季度的计划。"},
		feedback.StatusInProgress:  {"我们已经开始开发了。"},
		feedback.StatusDone:        {"已在最新版本上线，感谢反馈！"},
		feedback.StatusDeclined:    {"暂时不会做：和产品方向不一致。"},
	}
	csatComments = []string{"", "", "Thanks!", "Took a while, but it works.", "Not what we asked for.", "谢谢！", "终于等到了。"}
)

// DemoFeedback adds feedback boards (Ideas, Bugs and a Chinese one) with
// DemoFeedbackItems items written over the feedbackSpan before end, votes
// from customers of every plan, status histories with official responses,
// a few merged duplicates and some satisfaction scores. It does nothing
// when the boards exist already.
func DemoFeedback(ctx context.Context, accounts Accounts, forums Forums, fb Feedback, clock *Clock, end time.Time, progress func(done, total int)) (FeedbackSummary, error) {
	var sum FeedbackSummary
	admin, err := accounts.ByUsername(ctx, "admin")
	if err != nil {
		return sum, fmt.Errorf("seed feedback: run the user seed first: %w", err)
	}
	adminActor, err := forums.Actor(ctx, admin)
	if err != nil {
		return sum, err
	}
	existing, err := forums.Forums(ctx, adminActor)
	if err != nil {
		return sum, err
	}
	for _, f := range existing {
		if f.Slug == "ideas" {
			return sum, nil // already seeded
		}
	}
	kind := "feedback"
	var boards []*ent.Forum
	for i, b := range []struct{ name, slug, desc string }{
		{"Ideas", "ideas", "Suggest what we should build next, and vote for what matters to you."},
		{"Bugs", "bugs", "Report what is broken; vote to tell us it hurts you too."},
		{"产品建议", "ideas-zh", "提出你的想法和问题，并为最重要的投票。"},
	} {
		f, err := forums.CreateForum(ctx, adminActor, forum.ForumInput{Name: ptr(b.name), Slug: ptr(b.slug), Description: ptr(b.desc), Position: ptr(10 + i), Kind: &kind})
		if err != nil {
			return sum, fmt.Errorf("seed board %s: %w", b.slug, err)
		}
		boards = append(boards, f)
		sum.Boards++
	}
	people := demoPeople()
	var customers, zh []authz.Actor
	usernames := map[int]string{}
	for _, p := range people {
		u, err := accounts.ByUsername(ctx, p.Username)
		if err != nil {
			return sum, err
		}
		a, err := forums.Actor(ctx, u)
		if err != nil {
			return sum, err
		}
		usernames[a.ID] = p.Username
		if p.Role == "member" {
			customers = append(customers, a)
			if p.Locale != "en" {
				zh = append(zh, a)
			}
		}
	}
	productUser, err := accounts.ByUsername(ctx, "product")
	if err != nil {
		return sum, err
	}
	product, err := forums.Actor(ctx, productUser)
	if err != nil {
		return sum, err
	}
	rng := rand.New(rand.NewPCG(2026, 7))
	start := end.Add(-feedbackSpan)
	type made struct {
		id      int
		created time.Time
		theme   string
		zh      bool
	}
	var items []made
	for i := range DemoFeedbackItems {
		if progress != nil {
			progress(i, DemoFeedbackItems)
		}
		isZH := i%3 == 2
		themes, board, author := themesEN, boards[0], customers[rng.IntN(len(customers))]
		if isZH {
			themes, board, author = themesZH, boards[2], zh[rng.IntN(len(zh))]
		}
		th := themes[rng.IntN(len(themes))]
		typ := []string{"idea", "idea", "idea", "question", "praise", "complaint"}[rng.IntN(6)]
		if th.bug && rng.IntN(3) > 0 {
			typ = "bug"
			if !isZH {
				board = boards[1]
			}
		}
		// Items arrive over the span, more of them lately.
		at := start.Add(time.Duration(float64(feedbackSpan) * (1 - rng.Float64()*rng.Float64())))
		at = at.Add(-time.Duration(rng.IntN(3600)) * time.Second)
		clock.t = at
		title := fmt.Sprintf(th.titles[rng.IntN(len(th.titles))], th.variants[rng.IntN(len(th.variants))])
		it, err := fb.Create(ctx, author, feedback.CreateInput{
			Board: board.ID, Title: title, Body: th.bodies[rng.IntN(len(th.bodies))], Type: typ, Areas: []string{th.area},
		})
		if err != nil {
			return sum, fmt.Errorf("seed feedback item %d: %w", i, err)
		}
		sum.Items++
		sum.Votes++
		items = append(items, made{id: it.ID, created: at, theme: th.area, zh: isZH})
		// Votes: most items get a few, some get many.
		n := min(int(rng.ExpFloat64()*5), 40)
		for range n {
			voter := customers[rng.IntN(len(customers))]
			clock.t = at.Add(time.Duration(rng.Float64() * float64(end.Sub(at))))
			in := feedback.VoteInput{}
			v := voter
			if rng.IntN(12) == 0 { // recorded by staff from a sales call
				in = feedback.VoteInput{OnBehalfOf: usernames[voter.ID], Note: "From a call with their account manager."}
				v = product
			}
			before := it.VoteCount
			if it, err = fb.Vote(ctx, v, it.ID, in); err != nil {
				return sum, fmt.Errorf("seed vote: %w", err)
			}
			sum.Votes += it.VoteCount - before
		}
		// A status history for some, with official responses.
		if rng.IntN(5) < 2 {
			path := [][]string{
				{feedback.StatusUnderReview},
				{feedback.StatusUnderReview, feedback.StatusPlanned},
				{feedback.StatusUnderReview, feedback.StatusPlanned, feedback.StatusInProgress},
				{feedback.StatusUnderReview, feedback.StatusPlanned, feedback.StatusInProgress, feedback.StatusDone},
				{feedback.StatusPlanned, feedback.StatusDone},
				{feedback.StatusUnderReview, feedback.StatusDeclined},
			}[rng.IntN(6)]
			t := at
			for _, st := range path {
				t = t.Add(time.Duration(6+rng.IntN(24*7)) * time.Hour)
				if t.After(end) {
					break
				}
				clock.t = t
				resp := responsesEN[st]
				if isZH {
					resp = responsesZH[st]
				}
				if _, err := fb.ChangeStatus(ctx, product, it.ID, st, resp[rng.IntN(len(resp))]); err != nil {
					return sum, fmt.Errorf("seed status: %w", err)
				}
				sum.StatusChanges++
				if st == feedback.StatusDone || st == feedback.StatusDeclined {
					rated, err := rate(ctx, fb, rng, it.ID, author, st, customers)
					if err != nil {
						return sum, err
					}
					sum.Ratings += rated
				}
			}
		}
	}
	// A few duplicates, merged into an earlier item of the same theme.
	for i := len(items) - 1; i >= 0 && sum.Merges < 12; i -= 7 {
		for j := 0; j < i; j++ {
			if items[j].theme == items[i].theme && items[j].zh == items[i].zh {
				clock.t = end.Add(-time.Duration(rng.IntN(240)) * time.Hour)
				_, err := fb.Merge(ctx, product, items[i].id, items[j].id, "")
				if err != nil && !apperr.Is(err, apperr.KindConflict) {
					return sum, fmt.Errorf("seed merge: %w", err)
				}
				if err == nil {
					sum.Merges++
				}
				break
			}
		}
	}
	clock.t = end
	if progress != nil {
		progress(DemoFeedbackItems, DemoFeedbackItems)
	}
	return sum, nil
}

// rate has the author and some voters rate a closed item; people who may
// not (they never voted) are skipped.
func rate(ctx context.Context, fb Feedback, rng *rand.Rand, id int, author authz.Actor, outcome string, customers []authz.Actor) (int, error) {
	n := 0
	raters := []authz.Actor{author}
	for range 3 {
		raters = append(raters, customers[rng.IntN(len(customers))])
	}
	for _, r := range raters {
		score := 3 + rng.IntN(3)
		if outcome == feedback.StatusDeclined {
			score = 1 + rng.IntN(3)
		}
		_, err := fb.Rate(ctx, r, id, score, csatComments[rng.IntN(len(csatComments))])
		switch {
		case err == nil:
			n++
		case apperr.Is(err, apperr.KindForbidden), apperr.Is(err, apperr.KindConflict):
		default:
			return n, fmt.Errorf("seed rating: %w", err)
		}
	}
	return n, nil
}
