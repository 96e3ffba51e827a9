package seed

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/group"
	"github.com/crn-dev/crn/internal/resource"
)

// Resources is what the seed needs of the resource service.
type Resources interface {
	Create(ctx context.Context, a authz.Actor, in resource.Input, up *resource.Upload) (*resource.View, error)
	AddVersion(ctx context.Context, a authz.Actor, id int, up *resource.Upload) (*ent.ResourceVersion, error)
	Rate(ctx context.Context, a authz.Actor, id, stars int) (*resource.View, error)
	Download(ctx context.Context, a authz.Actor, id, version int, count bool) (*resource.Download, error)
	List(ctx context.Context, a authz.Actor, q resource.ListQuery) (*resource.Page, error)
}

// demoFile is a file made in memory: its name and bytes.
type demoFile struct {
	name string
	body []byte
	note string
}

// resourceSpec is one demo resource.
type resourceSpec struct {
	kind, title, desc, url string
	tags                   []string
	group                  string // slug; "" shares it with the whole community
	members                bool   // members-only (outside groups)
	files                  []demoFile
}

func link(title, url, desc, group string, tags ...string) resourceSpec {
	return resourceSpec{kind: resource.KindLink, title: title, url: url, desc: desc, group: group, tags: tags}
}

func guide(title, text, group string, tags ...string) resourceSpec {
	return resourceSpec{kind: resource.KindGuide, title: title, desc: text, group: group, tags: tags}
}

func file(title, desc, group string, tags []string, versions ...demoFile) resourceSpec {
	return resourceSpec{kind: resource.KindFile, title: title, desc: desc, group: group, tags: tags, files: versions}
}

// membersOnly shares r with signed-in members only.
func membersOnly(r resourceSpec) resourceSpec {
	r.members = true
	return r
}

func csvFile(name, note string, rows ...string) demoFile {
	return demoFile{name: name, note: note, body: []byte(strings.Join(rows, "\n") + "\n")}
}

func textFile(name, note, text string) demoFile {
	return demoFile{name: name, note: note, body: []byte(text)}
}

// chart draws a small bar chart as a PNG; stream picks the bars.
func chart(name string, stream uint64) demoFile {
	rng := rand.New(rand.NewPCG(2026, stream))
	const w, h = 96, 48
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		for y := range h {
			img.Set(x, y, color.RGBA{0xf6, 0xf7, 0xf9, 0xff})
		}
	}
	bar := color.RGBA{0x2f, 0x6f, 0xeb, 0xff}
	for b := range 8 {
		top := h - 4 - rng.IntN(h-8)
		for x := 4 + b*11; x < 4+b*11+8; x++ {
			for y := top; y < h-2; y++ {
				img.Set(x, y, bar)
			}
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		panic(err) // encoding an in-memory image cannot fail
	}
	return demoFile{name: name, body: buf.Bytes()}
}

// demoResources is every demo resource, always the same.
var demoResources = []resourceSpec{
	link("API reference", "https://developer.crn.example/api", "Every endpoint with examples.", "", "api", "docs"),
	link("Service status page", "https://status.crn.example", "Subscribe to incident updates.", "", "status"),
	link("Release notes feed", "http://blog.crn.example/releases.rss", "RSS feed of every release.", "", "releases"),
	link("中文帮助中心", "https://help.crn.example/zh-CN", "官方中文文档和常见问题。", "", "帮助", "docs"),
	link("Community guidelines", "http://crn.example/guidelines", "How we keep this place useful and kind.", "", "community"),
	link("Webhook signature checker", "https://tools.crn.example/webhooks", "Paste a payload and a secret to check the signature.", "api-builders", "webhooks", "api"),
	link("Okta SAML setup (vendor docs)", "https://okta.example.com/docs/saml", "The identity provider's side of SSO.", "api-builders", "sso"),
	link("GDPR data processing addendum", "https://legal.crn.example/dpa", "Sign it from the admin console.", "emea", "gdpr", "legal"),
	link("APAC meetup calendar", "https://events.crn.example/apac", "Singapore, Sydney, Tokyo and Shanghai.", "apac", "events"),
	link("亚太区线下活动报名", "https://events.crn.example/apac/zh", "上海、深圳和新加坡的用户交流会。", "apac", "活动"),
	link("Mobile beta builds", "https://beta.crn.example/mobile", "TestFlight and Android builds.", "mobile-beta", "mobile", "beta"),
	link("PCI DSS quick reference", "https://pci.example.org/quick-reference", "What applies to card data you store.", "finserv", "compliance"),
	link("Enterprise roadmap preview", "https://roadmap.crn.example/enterprise", "Slides of the last roadmap call; do not share outside the circle.", "enterprise-admins", "roadmap"),

	guide("Getting started in 10 minutes", "## 1. Invite your team\n\nSettings → Members → Invite.\n\n## 2. Import your contacts\n\nUse the CSV template in Resources.\n\n## 3. Build a first dashboard\n\nStart from a template and adjust the filters.", "", "onboarding"),
	guide("新手入门指南", "## 第一步：邀请同事\n\n设置 → 成员 → 邀请。\n\n## 第二步：导入客户\n\n使用资源区的 CSV 模板。\n\n## 第三步：创建仪表盘\n\n从模板开始，再调整筛选条件。", "", "入门", "onboarding"),
	guide("如何配置单点登录", "1. 在身份平台创建 SAML 应用\n2. 复制元数据地址\n3. 在 **设置 → 安全** 中粘贴并测试\n\n> 测试成功后再对所有人启用。", "", "单点登录", "sso"),
	membersOnly(guide("数据导出常见问题", "**导出很慢？** 大账户的导出在后台进行，完成后会发邮件。\n\n**缺少字段？** 在导出设置里勾选自定义字段。", "", "导出")),
	guide("Exporting reports to CSV step by step", "1. Open the report\n2. **Export → CSV**\n3. Pick the columns\n\nLarge exports arrive by email.", "analytics", "export", "reports"),
	guide("Dashboard performance checklist", "- Fewer than 12 widgets per dashboard\n- Date filters on every widget\n- Avoid *all time* ranges on large accounts", "analytics", "performance", "dashboards"),
	guide("Writing a webhook consumer that never loses events", "Acknowledge fast, process later:\n\n```go\nfunc handle(w http.ResponseWriter, r *http.Request) {\n\tenqueue(r.Body)\n\tw.WriteHeader(http.StatusAccepted)\n}\n```\n\nDeduplicate by the event id: deliveries are at least once.", "api-builders", "webhooks", "api"),
	guide("Data residency in the EU", "Accounts created in the EU region keep their data in Frankfurt. Moving an existing account takes a support request and a maintenance window.", "emea", "gdpr"),
	guide("Preparing for peak season", "Before Black Friday and 双十一:\n\n- raise API limits a week ahead\n- freeze dashboard changes\n- schedule exports at night", "retail", "retail", "performance"),
	guide("Beta tester handbook · 内测手册", "Report crashes from **Settings → Send diagnostics**.\n\n崩溃请在 **设置 → 发送诊断信息** 中提交。", "mobile-beta", "beta", "mobile"),
	guide("Audit trail retention for regulators", "Keep audit logs for seven years: turn on archive export and point it at a bucket your auditors can read.", "finserv", "compliance", "audit"),
	guide("Quarterly access review checklist", "1. Export the access review (see the CSV in this group)\n2. Ask each team lead to confirm\n3. Remove leavers the same day", "enterprise-admins", "permissions", "admin"),

	file("Contact import template", "Fill it in and import from Settings → Data.", "", []string{"import", "csv"},
		csvFile("contacts-template.csv", "", "name,email,company", "Ada Lovelace,ada@example.com,Analytical Engines"),
		csvFile("contacts-template.csv", "Adds the phone and owner columns.", "name,email,company,phone,owner", "Ada Lovelace,ada@example.com,Analytical Engines,+44 20 0000 0000,alice")),
	file("客户导入模板", "填写后在 设置 → 数据 中导入。", "", []string{"导入", "csv"},
		csvFile("customers-zh.csv", "", "姓名,邮箱,公司", "张伟,zhang@example.cn,示例科技")),
	file("SSO troubleshooting checklist", "", "", []string{"sso"},
		textFile("sso-checklist.txt", "", "1. Clock skew under 5 minutes\n2. Certificate not expired\n3. NameID is the email address\n4. The user exists or auto-provisioning is on\n")),
	file("Architecture overview diagram", "How the pieces fit together.", "", []string{"architecture"}, chart("architecture.png", 301)),
	membersOnly(file("Release checklist", "What we check before every release.", "", []string{"releases"},
		textFile("release-checklist.md", "", "# Release checklist\n\n- [ ] Changelog written\n- [ ] Migrations tested on a copy\n- [ ] Status page notice scheduled\n"))),
	file("Monthly KPI report sample", "A sample of the KPI export.", "analytics", []string{"reports", "csv"},
		csvFile("kpi-sample.csv", "", "month,active_users,tickets,nps", "2026-01,1204,310,41", "2026-02,1288,295,44", "2026-03,1350,280,47")),
	file("Dashboard layout sketch", "", "analytics", []string{"dashboards"}, chart("dashboard.png", 302)),
	file("Webhook payload examples", "Every event type with a sample payload.", "api-builders", []string{"webhooks", "api"},
		textFile("webhook-payloads.md", "", "# Webhook payloads\n\n```json\n{\"type\": \"contact.created\", \"id\": \"evt_1\"}\n```\n"),
		textFile("webhook-payloads.md", "Adds contact.deleted.", "# Webhook payloads\n\n```json\n{\"type\": \"contact.created\", \"id\": \"evt_1\"}\n{\"type\": \"contact.deleted\", \"id\": \"evt_2\"}\n```\n")),
	file("APAC public holidays 2026", "Plan releases around them.", "apac", []string{"events", "csv"},
		csvFile("apac-holidays-2026.csv", "", "date,country,holiday", "2026-02-17,CN,春节", "2026-04-03,AU,Good Friday", "2026-10-01,CN,国庆节")),
	file("EMEA user conference notes · 会议纪要", "", "emea", []string{"events"},
		textFile("emea-conference-notes.md", "", "# EMEA user conference\n\n- Data residency is the top ask\n- 多位客户希望支持更多语言\n")),
	file("Store opening hours import", "", "retail", []string{"retail", "import"},
		csvFile("stores.csv", "", "store,opens,closes", "Berlin Mitte,09:00,20:00", "上海南京路,10:00,22:00")),
	file("Peak traffic chart", "Requests per minute during last year's peak week.", "retail", []string{"retail", "performance"}, chart("peak-traffic.png", 303)),
	file("Beta known issues", "", "mobile-beta", []string{"beta", "mobile"},
		textFile("known-issues.txt", "", "- Photos over 20 MB fail to upload\n"),
		textFile("known-issues.txt", "Build 42: upload fixed, new login issue.", "- Fixed: photos over 20 MB\n- Some Android 14 devices log out after an hour\n")),
	file("Regulatory reporting template", "Quarterly template our auditors accepted.", "finserv", []string{"compliance", "csv"},
		csvFile("regulatory-report.csv", "", "quarter,accounts_reviewed,exceptions", "2026-Q1,1840,3")),
	file("Access review export", "", "enterprise-admins", []string{"permissions", "admin"},
		csvFile("access-review.csv", "", "user,role,last_login", "alice,admin,2026-03-01"),
		csvFile("access-review.csv", "Adds the team column.", "user,role,team,last_login", "alice,admin,IT,2026-03-01")),
}

var starWeights = []int{5, 5, 5, 4, 4, 4, 4, 3, 3, 2, 1}

// seedResources shares demoResources that are not there yet (by title),
// rates them and downloads the files. Group resources come from the
// group's members, others from any customer.
func seedResources(ctx context.Context, forums Forums, groups Groups, resources Resources, c cast, admin authz.Actor,
	clock *Clock, end time.Time, progress func(done int), sum *SpacesSummary) error {
	have := map[string]bool{}
	for cursor := ""; ; {
		page, err := resources.List(ctx, admin, resource.ListQuery{Cursor: cursor, Limit: 100})
		if err != nil {
			return fmt.Errorf("seed resources: %w", err)
		}
		for _, r := range page.Resources {
			have[r.Title] = true
		}
		if cursor = page.Next; cursor == "" {
			break
		}
	}
	groupIDs, groupMembers := map[string]int{}, map[string][]*ent.User{}
	for _, g := range demoGroups {
		v, err := groups.Get(ctx, admin, g.slug)
		if err != nil {
			return fmt.Errorf("seed resources: group %s: %w", g.slug, err)
		}
		ms, _, err := groups.Members(ctx, admin, g.slug, group.MemberQuery{Limit: group.PageMax})
		if err != nil {
			return err
		}
		groupIDs[g.slug] = v.ID
		for _, m := range ms {
			groupMembers[g.slug] = append(groupMembers[g.slug], m.User)
		}
	}
	for i, spec := range demoResources {
		progress(i)
		if have[spec.title] {
			continue
		}
		rng := rand.New(rand.NewPCG(2026, uint64(400+i)))
		readers := c.customers
		if spec.group != "" {
			readers = groupMembers[spec.group]
		}
		owner, err := actor(ctx, forums, readers[rng.IntN(len(readers))])
		if err != nil {
			return err
		}
		if t := clock.t.Add(time.Duration(60+rng.IntN(300)) * time.Minute); t.Before(end) {
			clock.t = t
		}
		in := resource.Input{Kind: &spec.kind, Title: &spec.title, Tags: &spec.tags}
		if spec.desc != "" {
			in.Description = &spec.desc
		}
		if spec.url != "" {
			in.URL = &spec.url
		}
		if spec.group != "" {
			id := groupIDs[spec.group]
			in.GroupID = &id
		}
		if spec.members {
			vis := "members"
			in.Visibility = &vis
		}
		var up *resource.Upload
		if len(spec.files) > 0 {
			f := spec.files[0]
			up = &resource.Upload{Filename: f.name, Body: bytes.NewReader(f.body), Note: f.note}
		}
		v, err := resources.Create(ctx, owner, in, up)
		if err != nil {
			return fmt.Errorf("seed resource %q: %w", spec.title, err)
		}
		sum.Resources++
		sum.Versions += v.VersionCount
		for _, f := range spec.files[min(1, len(spec.files)):] {
			clock.advance(time.Duration(1+rng.IntN(48)) * time.Hour)
			if _, err := resources.AddVersion(ctx, owner, v.ID, &resource.Upload{Filename: f.name, Body: bytes.NewReader(f.body), Note: f.note}); err != nil {
				return fmt.Errorf("seed version of %q: %w", spec.title, err)
			}
			sum.Versions++
		}
		// Ratings and downloads from readers other than the owner.
		for _, ri := range rng.Perm(len(readers))[:min(len(readers), 2+rng.IntN(6))] {
			if readers[ri].ID == owner.ID {
				continue
			}
			a, err := actor(ctx, forums, readers[ri])
			if err != nil {
				return err
			}
			if _, err := resources.Rate(ctx, a, v.ID, starWeights[rng.IntN(len(starWeights))]); err != nil {
				return fmt.Errorf("seed rating of %q: %w", spec.title, err)
			}
			sum.Ratings++
			if spec.kind == resource.KindFile && rng.IntN(3) > 0 {
				d, err := resources.Download(ctx, a, v.ID, 0, true)
				if err != nil {
					return fmt.Errorf("seed download of %q: %w", spec.title, err)
				}
				if err := d.Object.Close(); err != nil {
					return fmt.Errorf("seed download of %q: %w", spec.title, err)
				}
				sum.Downloads++
			}
		}
	}
	progress(len(demoResources))
	return nil
}
