package seed

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/forum"
	"github.com/crn-dev/crn/internal/group"
)

// Groups is what the seed needs of the group service.
type Groups interface {
	Get(ctx context.Context, a authz.Actor, slug string) (*group.View, error)
	Create(ctx context.Context, a authz.Actor, in group.Input) (*group.View, error)
	Join(ctx context.Context, a authz.Actor, slug string) (*group.View, error)
	SetRole(ctx context.Context, a authz.Actor, slug, username, role string) (*group.Member, error)
	Members(ctx context.Context, a authz.Actor, slug string, q group.MemberQuery) ([]group.Member, int, error)
	CreateRequest(ctx context.Context, a authz.Actor, slug, message string) (*group.Request, error)
	Decide(ctx context.Context, a authz.Actor, slug string, id int, approve bool, reason string) (*group.Request, error)
	CreateInvite(ctx context.Context, a authz.Actor, slug string, in group.InviteInput) (*group.Invite, error)
	AcceptInvite(ctx context.Context, a authz.Actor, token string) (*group.View, error)
}

// SpacesSummary counts what DemoSpaces created.
type SpacesSummary struct {
	Groups, Members, Requests, Invites, Forums, Topics, Posts int
	Resources, Versions, Ratings, Downloads                   int
}

func (s SpacesSummary) String() string {
	if s == (SpacesSummary{}) {
		return "groups: already present"
	}
	return fmt.Sprintf("groups: %d groups, %d members, %d join requests, %d invites, %d forums, %d topics, %d posts; "+
		"resources: %d resources, %d versions, %d ratings, %d downloads created",
		s.Groups, s.Members, s.Requests, s.Invites, s.Forums, s.Topics, s.Posts,
		s.Resources, s.Versions, s.Ratings, s.Downloads)
}

// groupSpec is one demo group. Names and descriptions carry both
// languages, as a bilingual community would write them.
type groupSpec struct {
	slug, name, desc, visibility string
	forums                       int // 1 or 2
}

// DemoGroupSlugs are the slugs of the demo groups, in creation order.
var demoGroups = []groupSpec{
	{"analytics", "Analytics Power Users · 数据分析高手",
		"Dashboards, reports and exports: share what you built.\n\n仪表盘、报表和导出：分享你的做法。", "public", 2},
	{"api-builders", "API & Integrations Builders · API 与集成开发者",
		"Webhooks, SDKs, SSO and the CRM sync, by the people who wire them up.\n\nWebhook、SDK、单点登录和 CRM 同步的开发者交流。", "public", 1},
	{"apac", "APAC Customers · 亚太客户",
		"Meetups, time zones and local payment questions for Asia-Pacific.\n\n亚太地区的线下活动、时区和本地支付问题。", "public", 1},
	{"emea", "EMEA User Group · 欧洲中东非洲用户组",
		"GDPR, data residency and the yearly user conference.\n\nGDPR、数据驻留和年度用户大会。", "public", 2},
	{"mobile-beta", "Mobile App Beta · 移动应用内测",
		"Early builds of the mobile app. Ask to join and tell us which devices you use.\n\n移动应用的早期版本。申请加入时请告诉我们你使用的设备。", "restricted", 1},
	{"retail", "Retail & E-commerce · 零售与电商",
		"Stores, seasonal peaks and order data. Members are checked to be retailers.\n\n门店、促销高峰和订单数据。成员需经审核确认为零售企业。", "restricted", 2},
	{"finserv", "Financial Services Council · 金融服务委员会",
		"Compliance and audit practices of banks and insurers. By invitation only.\n\n银行和保险客户的合规与审计实践，仅限受邀加入。", "private", 1},
	{"enterprise-admins", "Enterprise Admins Circle · 企业管理员圈",
		"Roadmap previews and admin tooling for enterprise plans. By invitation only.\n\n企业版的路线图预览和管理工具，仅限受邀加入。", "private", 2},
}

var (
	groupForumNames = []struct{ name, desc string }{
		{"General · 综合讨论", "Everything about the group's topic. 与本组主题相关的一切。"},
		{"Q&A · 问答", "Ask the group; mark what helped. 向组员提问，并标记有用的回答。"},
	}
	groupTopicsEN = []string{
		"What does your %s setup look like?", "Lessons from rolling out %s", "Wishlist for %s next year",
		"How do you report on %s to management?", "Monthly check-in: %s", "Pitfalls with %s we hit",
	}
	groupTopicsZH = []string{
		"大家的%s是怎么配置的？", "推广%s的经验教训", "明年对%s的期待", "如何向管理层汇报%s？", "每月交流：%s", "%s踩过的坑",
	}
	groupBodiesEN = []string{
		"Sharing ours to start: a small team owns it, with a weekly review.",
		"We are about to start and would love to hear what worked for you.",
		"Three things helped us most:\n\n- clear owners\n- a shared template\n- a monthly review",
	}
	groupBodiesZH = []string{
		"先分享我们的做法：一个小团队负责，每周复盘。", "我们马上要开始了，想听听大家的经验。",
		"对我们最有帮助的三点：\n\n- 明确负责人\n- 统一模板\n- 每月复盘",
	}
	joinMessages = []string{"We run 40 stores and would like to compare notes.", "我们是零售企业，希望加入交流。",
		"Testing on Android and iOS daily.", "想参与内测，主要用华为手机。", ""}
	rejectReasons = []string{
		"This group is for retailers; please ask again from your company account.",
		"The beta is full for now; we will open more seats next month.",
	}
)

// DemoSpaces adds the demo groups (public, restricted and private ones,
// with owners, moderators, members, join requests and invites, and group
// forums with topics and replies) and then the shared resources (links,
// guides and files with versions, tags, ratings and downloads, some inside
// groups). Everything goes through the services, so events, counters and
// search documents follow as in production. Groups and resources already
// there are left alone; content is written at simulated times before end.
func DemoSpaces(ctx context.Context, accounts Accounts, forums Forums, groups Groups, resources Resources,
	clock *Clock, end time.Time, progress func(done, total int)) (SpacesSummary, error) {
	var sum SpacesSummary
	cast, err := loadCast(ctx, accounts)
	if err != nil {
		return sum, fmt.Errorf("seed groups: run the user seed first: %w", err)
	}
	admin, err := forums.Actor(ctx, cast.admin)
	if err != nil {
		return sum, err
	}
	total := len(demoGroups) + len(demoResources)
	clock.t = end.Add(-40 * 24 * time.Hour)
	for i, spec := range demoGroups {
		if progress != nil {
			progress(i, total)
		}
		if _, err := groups.Get(ctx, admin, spec.slug); err == nil {
			continue
		} else if !apperr.Is(err, apperr.KindNotFound) {
			return sum, err
		}
		if err := seedGroup(ctx, forums, groups, cast, clock, spec, uint64(200+i), &sum); err != nil {
			return sum, fmt.Errorf("seed group %s: %w", spec.slug, err)
		}
	}
	err = seedResources(ctx, forums, groups, resources, cast, admin, clock, end, func(done int) {
		if progress != nil {
			progress(len(demoGroups)+done, total)
		}
	}, &sum)
	if err != nil {
		return sum, err
	}
	clock.t = end
	if progress != nil {
		progress(total, total)
	}
	return sum, nil
}

// cast is the demo's people: the admin and the customers in seed order.
type cast struct {
	admin     *ent.User
	customers []*ent.User
}

func loadCast(ctx context.Context, accounts Accounts) (cast, error) {
	var c cast
	for _, p := range demoPeople() {
		u, err := accounts.ByUsername(ctx, p.Username)
		if err != nil {
			return c, err
		}
		switch {
		case p.Username == "admin":
			c.admin = u
		case p.Role == "member":
			c.customers = append(c.customers, u)
		}
	}
	return c, nil
}

// actor is u's actor as of now: memberships change as the seed goes, and
// an actor carries the groups it was built with.
func actor(ctx context.Context, forums Forums, u *ent.User) (authz.Actor, error) {
	return forums.Actor(ctx, u)
}

// seedGroup creates one group with its people, requests, invites and forums.
func seedGroup(ctx context.Context, forums Forums, groups Groups, c cast, clock *Clock, spec groupSpec, stream uint64, sum *SpacesSummary) error {
	rng := rand.New(rand.NewPCG(2026, stream))
	// Owner first, then members; a few more for requests left pending.
	order := rng.Perm(len(c.customers))
	size := 5 + rng.IntN(26)
	people := make([]*ent.User, 0, size+4)
	for _, i := range order[:size+4] {
		people = append(people, c.customers[i])
	}
	owner, members, outsiders := people[0], people[1:size], people[size:]
	ownerActor, err := actor(ctx, forums, owner)
	if err != nil {
		return err
	}
	name, desc, vis := spec.name, spec.desc, spec.visibility
	clock.advance(time.Duration(30+rng.IntN(240)) * time.Minute)
	g, err := groups.Create(ctx, ownerActor, group.Input{Name: &name, Slug: &spec.slug, Description: &desc, Visibility: &vis})
	if err != nil {
		return err
	}
	sum.Groups++
	sum.Members++
	if ownerActor, err = actor(ctx, forums, owner); err != nil {
		return err
	}
	for _, u := range members {
		clock.advance(time.Duration(1+rng.IntN(30)) * time.Minute)
		a, err := actor(ctx, forums, u)
		if err != nil {
			return err
		}
		switch vis {
		case "public":
			_, err = groups.Join(ctx, a, spec.slug)
		case "restricted":
			var r *group.Request
			if r, err = groups.CreateRequest(ctx, a, spec.slug, joinMessages[rng.IntN(len(joinMessages))]); err == nil {
				sum.Requests++
				clock.advance(time.Duration(10+rng.IntN(120)) * time.Minute)
				_, err = groups.Decide(ctx, ownerActor, spec.slug, r.ID, true, "")
			}
		default: // private: a personal invite from the owner, accepted
			var inv *group.Invite
			if inv, err = groups.CreateInvite(ctx, ownerActor, spec.slug, group.InviteInput{Username: u.Username}); err == nil {
				sum.Invites++
				clock.advance(time.Duration(10+rng.IntN(120)) * time.Minute)
				_, err = groups.AcceptInvite(ctx, a, inv.Token)
			}
		}
		if err != nil {
			return fmt.Errorf("member %s: %w", u.Username, err)
		}
		sum.Members++
	}
	// One or two group moderators among the first members.
	for _, u := range members[:1+rng.IntN(2)] {
		if _, err := groups.SetRole(ctx, ownerActor, spec.slug, u.Username, authz.GroupModerator); err != nil {
			return fmt.Errorf("moderator %s: %w", u.Username, err)
		}
	}
	switch vis {
	case "restricted": // requests still waiting, and one turned down with a reason
		for i, u := range outsiders[:3] {
			a, err := actor(ctx, forums, u)
			if err != nil {
				return err
			}
			clock.advance(time.Duration(5+rng.IntN(120)) * time.Minute)
			r, err := groups.CreateRequest(ctx, a, spec.slug, joinMessages[rng.IntN(len(joinMessages))])
			if err != nil {
				return fmt.Errorf("request of %s: %w", u.Username, err)
			}
			sum.Requests++
			if i == 0 {
				reason := rejectReasons[0]
				if spec.slug == "mobile-beta" {
					reason = rejectReasons[1]
				}
				if _, err := groups.Decide(ctx, ownerActor, spec.slug, r.ID, false, reason); err != nil {
					return fmt.Errorf("reject: %w", err)
				}
			}
		}
	case "private": // a link invite nobody used yet
		uses := 5
		if _, err := groups.CreateInvite(ctx, ownerActor, spec.slug, group.InviteInput{MaxUses: &uses, ExpiresIn: 30 * 24 * time.Hour}); err != nil {
			return fmt.Errorf("link invite: %w", err)
		}
		sum.Invites++
	}
	return seedGroupForums(ctx, forums, ownerActor, g.ID, append([]*ent.User{owner}, members...), clock, spec, rng, sum)
}

// seedGroupForums opens the group's forums and fills them with a handful
// of topics and replies from its members, in both languages.
func seedGroupForums(ctx context.Context, forums Forums, owner authz.Actor, groupID int, members []*ent.User,
	clock *Clock, spec groupSpec, rng *rand.Rand, sum *SpacesSummary) error {
	actors := make([]authz.Actor, len(members))
	for i, u := range members {
		a, err := actor(ctx, forums, u)
		if err != nil {
			return err
		}
		actors[i] = a
	}
	subject, _, _ := strings.Cut(spec.name, " · ")
	_, subjectZH, _ := strings.Cut(spec.name, " · ")
	for fi := range spec.forums {
		fn := groupForumNames[fi]
		name, slug, desc := fn.name, fmt.Sprintf("%s-%d", spec.slug, fi+1), fn.desc
		f, err := forums.CreateForum(ctx, owner, forum.ForumInput{Name: &name, Slug: &slug, Description: &desc, GroupID: groupID})
		if err != nil {
			return fmt.Errorf("forum %s: %w", slug, err)
		}
		sum.Forums++
		for ti := range 3 + rng.IntN(3) {
			zh := ti%2 == 1
			titles, bodies, replies, about := groupTopicsEN, groupBodiesEN, repliesEN, subject
			if zh {
				titles, bodies, replies, about = groupTopicsZH, groupBodiesZH, repliesZH, subjectZH
			}
			kind := "discussion"
			if fi == 1 {
				kind = "question"
			}
			clock.advance(time.Duration(30+rng.IntN(210)) * time.Minute)
			author := actors[rng.IntN(len(actors))]
			tv, _, err := forums.CreateTopic(ctx, author, f.ID, forum.TopicInput{
				Title: fmt.Sprintf(titles[rng.IntN(len(titles))], about),
				Body:  bodies[rng.IntN(len(bodies))], Kind: kind,
			})
			if err != nil {
				return fmt.Errorf("topic: %w", err)
			}
			sum.Topics++
			sum.Posts++
			for range 1 + rng.IntN(5) {
				clock.advance(time.Duration(5+rng.IntN(85)) * time.Minute)
				if _, err := forums.CreatePost(ctx, actors[rng.IntN(len(actors))], tv.ID, forum.PostInput{Body: replies[rng.IntN(len(replies))]}); err != nil {
					return fmt.Errorf("reply: %w", err)
				}
				sum.Posts++
			}
		}
	}
	return nil
}
