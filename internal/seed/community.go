package seed

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/forum"
)

// Forums is what the seed needs of the forum service.
type Forums interface {
	Actor(ctx context.Context, u *ent.User) (authz.Actor, error)
	Forums(ctx context.Context, a authz.Actor) ([]*ent.Forum, error)
	CreateForum(ctx context.Context, a authz.Actor, in forum.ForumInput) (*ent.Forum, error)
	CreateTopic(ctx context.Context, a authz.Actor, forumID int, in forum.TopicInput) (*forum.TopicView, *ent.Post, error)
	CreatePost(ctx context.Context, a authz.Actor, topicID int, in forum.PostInput) (*ent.Post, error)
	React(ctx context.Context, a authz.Actor, postID int, kind string, on bool) (*ent.Post, error)
	AcceptAnswer(ctx context.Context, a authz.Actor, topicID, postID int) (*forum.TopicView, error)
}

// Clock is the simulated time the seed writes at: it moves forward as
// content is created, so the demo has a history.
type Clock struct{ t time.Time }

// NewClock starts at start.
func NewClock(start time.Time) *Clock { return &Clock{t: start} }

// Now returns the simulated time.
func (c *Clock) Now() time.Time { return c.t }

func (c *Clock) advance(d time.Duration) { c.t = c.t.Add(d) }

// Demo sizes.
const (
	DemoTopics = 220
	maxReplies = 18
)

type forumSpec struct {
	name, slug, desc string
	members, staff   bool
	zh               bool
}

var forumSpecs = []forumSpec{
	{"Announcements", "announcements", "News and releases from the team.", false, true, false},
	{"Getting Started", "getting-started", "New here? Start with these.", false, false, false},
	{"Product Help", "product-help", "Ask how to do anything; mark the answer that helped.", false, false, false},
	{"Integrations & API", "integrations", "Webhooks, the REST API, SSO and the CRM sync.", false, false, false},
	{"中文社区", "zh", "产品使用、经验分享和问题讨论。", false, false, true},
	{"Customer Lounge", "lounge", "For signed-in customers only.", true, false, false},
}

var (
	topicsEN = []string{
		"How do I export my data to CSV?", "Best way to set up SSO with Okta?", "Webhook retries: what is the policy?",
		"Dashboard loads slowly with 10k records", "Can we customise email notifications?", "Tips for onboarding a new team",
		"API rate limits for bulk imports", "Dark mode when?", "Mobile app keeps logging me out",
		"How are you using tags to organise work?", "Migrating from our old tool: lessons learned", "Permissions for contractors",
	}
	topicsZH = []string{
		"如何把数据导出为 CSV？", "单点登录怎么配置？", "Webhook 重试策略是什么？", "仪表盘在一万条记录时很慢",
		"可以自定义邮件通知吗？", "新团队上手的一些经验", "批量导入的 API 限速", "什么时候支持深色模式？",
		"手机应用总是退出登录", "大家怎么用标签整理工作？", "从旧系统迁移的经验分享", "外包人员的权限设置",
	}
	bodiesEN = []string{
		"We have been using the product for a few months and this keeps coming up in our team.",
		"I searched the docs but could not find a clear answer. Any pointers?",
		"Here is what I tried so far:\n\n1. Settings → Export\n2. Picked CSV\n3. Nothing happened\n\nAm I missing a step?",
		"Context: we are on the **Pro** plan with about 40 seats.",
	}
	bodiesZH = []string{
		"我们团队用了几个月，这个问题经常被问到。", "我查了文档，但没有找到明确的答案，有人知道吗？",
		"我目前尝试了：\n\n1. 设置 → 导出\n2. 选择 CSV\n3. 没有反应\n\n是不是漏了哪一步？", "背景：我们是 **专业版**，大约 40 个席位。",
	}
	repliesEN = []string{
		"Same here, following.", "You can do this under Settings → Data. It takes a minute for large accounts.",
		"We solved it with a small script against the API:\n\n```python\nfor page in client.records(page_size=500):\n    write(page)\n```",
		"+1, this would save us hours every week.", "Check the permissions of the integration user first; that was our issue.",
		"Thanks, that worked!", "The changelog mentions a fix for this in the last release.",
	}
	repliesZH = []string{
		"同样的问题，关注一下。", "在 设置 → 数据 里可以做到，大账户需要等一分钟。", "我们用 API 写了个小脚本解决了。",
		"+1，这能每周帮我们省好几个小时。", "先检查集成用户的权限，我们就是这个原因。", "谢谢，解决了！", "更新日志里提到上个版本修复了这个问题。",
	}
	tagsEN = []string{"export", "sso", "webhooks", "performance", "notifications", "onboarding", "api", "mobile", "tags", "migration", "permissions"}
	tagsZH = []string{"导出", "单点登录", "性能", "通知", "迁移", "权限"}
)

// DemoCommunity fills forums with topics, replies, mentions, reactions and
// accepted answers from the demo users. It does nothing when the demo forums
// exist already. now advances the simulated clock the forum service uses.
func DemoCommunity(ctx context.Context, accounts Accounts, forums Forums, clock *Clock, progress func(done, total int)) (topics, posts int, err error) {
	admin, err := accounts.ByUsername(ctx, "admin")
	if err != nil {
		return 0, 0, fmt.Errorf("seed community: run the user seed first: %w", err)
	}
	adminActor, err := forums.Actor(ctx, admin)
	if err != nil {
		return 0, 0, err
	}
	existing, err := forums.Forums(ctx, adminActor)
	if err != nil {
		return 0, 0, err
	}
	for _, f := range existing {
		if f.Slug == forumSpecs[0].slug {
			return 0, 0, nil // already seeded
		}
	}
	rng := rand.New(rand.NewPCG(2026, 3))
	var fs []*ent.Forum
	for i, spec := range forumSpecs {
		in := forum.ForumInput{Name: ptr(spec.name), Slug: ptr(spec.slug), Description: ptr(spec.desc), Position: ptr(i)}
		if spec.members {
			in.ReadVisibility = ptr("members")
		}
		if spec.staff {
			in.TopicPolicy = ptr("staff")
		}
		f, err := forums.CreateForum(ctx, adminActor, in)
		if err != nil {
			return 0, 0, fmt.Errorf("seed forum %s: %w", spec.slug, err)
		}
		fs = append(fs, f)
	}
	// Everyone who writes: the staff and the customers, in seed order.
	people := demoPeople()
	cast := make([]*ent.User, 0, len(people))
	actors := make([]authz.Actor, 0, len(people))
	for _, p := range people {
		u, err := accounts.ByUsername(ctx, p.Username)
		if err != nil {
			return 0, 0, err
		}
		a, err := forums.Actor(ctx, u)
		if err != nil {
			return 0, 0, err
		}
		cast, actors = append(cast, u), append(actors, a)
	}
	customers := len(staff())
	pick := func(zh bool) int { // a customer of the right language
		for {
			i := customers + rng.IntN(Customers)
			if (cast[i].Locale != "en") == zh {
				return i
			}
		}
	}
	for i := range DemoTopics {
		if progress != nil {
			progress(i, DemoTopics)
		}
		zh := i%2 == 1
		fi := 1 + rng.IntN(len(fs)-1) // not announcements...
		if i%25 == 0 {
			fi = 0 // ...except now and then, from staff
		}
		if zh && fi != 0 {
			fi = 4
		} else if !zh && fi == 4 {
			fi = 2
		}
		author := pick(zh)
		if fi == 0 {
			author = 2 // "product"
		}
		title, body, replies, tags := topicsEN, bodiesEN, repliesEN, tagsEN
		if zh {
			title, body, replies, tags = topicsZH, bodiesZH, repliesZH, tagsZH
		}
		kind := "discussion"
		if fi == 2 || fi == 4 || rng.IntN(3) == 0 {
			kind = "question"
		}
		clock.advance(time.Duration(20+rng.IntN(180)) * time.Minute)
		tv, _, err := forums.CreateTopic(ctx, actors[author], fs[fi].ID, forum.TopicInput{
			Title: fmt.Sprintf("%s (#%d)", title[rng.IntN(len(title))], i+1),
			Body:  body[rng.IntN(len(body))] + "\n\n" + body[rng.IntN(len(body))],
			Tags:  []string{tags[rng.IntN(len(tags))]}, Kind: kind,
		})
		if err != nil {
			return topics, posts, fmt.Errorf("seed topic %d: %w", i, err)
		}
		topics++
		posts++
		var threadPosts []*ent.Post
		for range rng.IntN(maxReplies + 1) {
			clock.advance(time.Duration(1+rng.IntN(90)) * time.Minute)
			who := pick(zh)
			text := replies[rng.IntN(len(replies))]
			if rng.IntN(8) == 0 {
				text = "@" + cast[pick(zh)].Username + " " + text
			}
			in := forum.PostInput{Body: text}
			if len(threadPosts) > 0 && rng.IntN(3) == 0 {
				in.ReplyTo = threadPosts[rng.IntN(len(threadPosts))].ID
			}
			p, err := forums.CreatePost(ctx, actors[who], tv.ID, in)
			if err != nil && !apperr.Is(err, apperr.KindForbidden) {
				return topics, posts, fmt.Errorf("seed reply: %w", err)
			}
			if err == nil {
				threadPosts = append(threadPosts, p)
				posts++
			}
		}
		for _, p := range threadPosts {
			for range rng.IntN(4) {
				r := pick(rng.IntN(2) == 0)
				if cast[r].ID == p.UserID {
					continue
				}
				kind := forum.ReactionKinds[rng.IntN(len(forum.ReactionKinds))]
				if _, err := forums.React(ctx, actors[r], p.ID, kind, true); err != nil {
					return topics, posts, fmt.Errorf("seed reaction: %w", err)
				}
			}
		}
		if kind == "question" && len(threadPosts) > 0 && rng.IntN(2) == 0 {
			if _, err := forums.AcceptAnswer(ctx, actors[author], tv.ID, threadPosts[rng.IntN(len(threadPosts))].ID); err != nil {
				return topics, posts, fmt.Errorf("seed accept: %w", err)
			}
		}
	}
	if progress != nil {
		progress(DemoTopics, DemoTopics)
	}
	return topics, posts, nil
}

func ptr[T any](v T) *T { return &v }
