package search

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Run with:
//
//	go test -run '^$' -bench Embedded ./internal/search/
//
// BenchmarkEmbeddedQuery builds its 100,000 documents once (about a minute
// on two cores) and then times 1,000 queries one by one.

var benchEnglish = strings.Fields(`account admin alert analytics api approval archive
	attachment audit backup billing browser bug cache calendar channel checkout client
	cluster comment config connector contract customer dashboard data database deadline
	deploy device discount document domain download email error event export feature
	feedback field filter forum gateway group import integration invoice issue language
	license limit login mailbox member message metric migration mobile module network
	notification onboarding order password payment performance permission plugin policy
	pricing privacy profile project queue quota release report request role schedule
	search security server session settings setup storage subscription support sync
	team template ticket timezone token translation trial update upgrade upload user
	version webhook widget workflow workspace`)

var benchChinese = strings.Fields(`客户 关系 管理 系统 数据 导出 导入 问题 功能 版本 更新 设置 权限
	用户 社区 论坛 反馈 建议 错误 登录 注册 密码 邮件 通知 报表 分析 集成 接口 文档 支持 账户
	账单 发票 性能 服务器 数据库 迁移 同步 团队 工单 搜索 角色 流程 插件 移动端 仪表盘 订阅 价格
	升级 备份 安全 隐私 模板 附件 日历 审批 订单 支付 合同 配置 部署 监控 日志 缓存 网络 浏览器`)

var benchTags = strings.Fields("export import billing api mobile sso crm report bug feature question howto")

// benchVocab holds the words of the benchmark corpus. Real text follows
// Zipf's law over a large vocabulary: a few words are everywhere, most are
// rare. The real words above come first (most frequent), then made-up ones.
type benchVocab struct {
	english, chinese []string
	cdfEN, cdfZH     []float64 // cumulative Zipf weights
}

// benchWords is built once, the same on every run.
var benchWords = sync.OnceValue(func() *benchVocab {
	r := rand.New(rand.NewPCG(7, 8))
	syllables := strings.Fields("ba co de fi ga lo mu ne pra qui ro sa ti ve zo kan mer tis dol ven ar on us el")
	han := []rune("的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可也你能而子那得着下自之年过发后里如家多方")
	v := &benchVocab{english: slices.Clone(benchEnglish), chinese: slices.Clone(benchChinese)}
	for len(v.english) < 4000 {
		w := ""
		for range 2 + r.IntN(2) {
			w += syllables[r.IntN(len(syllables))]
		}
		v.english = append(v.english, w)
	}
	for len(v.chinese) < 3000 {
		v.chinese = append(v.chinese, string([]rune{han[r.IntN(len(han))], han[r.IntN(len(han))]}))
	}
	v.cdfEN, v.cdfZH = zipfCDF(len(v.english)), zipfCDF(len(v.chinese))
	return v
})

func zipfCDF(n int) []float64 {
	cdf := make([]float64, n)
	sum := 0.0
	for i := range n {
		sum += 1 / math.Pow(float64(i+2), 1.1)
		cdf[i] = sum
	}
	return cdf
}

func zipfPick(r *rand.Rand, words []string, cdf []float64) string {
	i, _ := slices.BinarySearch(cdf, r.Float64()*cdf[len(cdf)-1])
	return words[min(i, len(words)-1)]
}

func (v *benchVocab) en(r *rand.Rand) string { return zipfPick(r, v.english, v.cdfEN) }
func (v *benchVocab) zh(r *rand.Rand) string { return zipfPick(r, v.chinese, v.cdfZH) }

// text makes about n bytes of English or Chinese prose.
func (v *benchVocab) text(r *rand.Rand, chinese bool, n int) string {
	var b strings.Builder
	for b.Len() < n {
		if chinese {
			b.WriteString(v.zh(r))
			switch k := r.IntN(12); {
			case k == 0:
				b.WriteString("，")
			case k == 1:
				b.WriteString("。")
			case k == 2:
				b.WriteString(" CRM ")
			case k == 3:
				b.WriteString(" " + v.en(r) + " ")
			}
			continue
		}
		if b.Len() > 0 {
			b.WriteString(" ")
		}
		b.WriteString(v.en(r))
		if r.IntN(10) == 0 {
			b.WriteString(".")
		}
	}
	return b.String()
}

// doc makes a realistic document: a ~400-byte post, topic or profile,
// half of them Chinese, mostly public, a few deleted.
func benchDoc(r *rand.Rand, i int) Doc {
	v := benchWords()
	chinese := i%2 == 1
	d := Doc{
		ID:         fmt.Sprintf("post-%d", i),
		Type:       TypePost,
		Title:      v.text(r, chinese, 40),
		Body:       v.text(r, chinese, 400),
		Username:   fmt.Sprintf("user%d", r.IntN(5000)),
		AuthorID:   1 + r.IntN(5000),
		ForumID:    1 + r.IntN(20),
		TopicID:    1 + i/8,
		Visibility: "public",
		Votes:      r.IntN(50),
		CreatedAt:  time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute),
	}
	switch k := r.IntN(20); {
	case k < 5:
		d.Type, d.ID = TypeTopic, fmt.Sprintf("topic-%d", i)
	case k == 5:
		d.Type, d.ID, d.AuthorID, d.ForumID = TypeUser, fmt.Sprintf("user-%d", i), 0, 0
	}
	switch k := r.IntN(20); {
	case k < 2:
		d.Visibility = "members"
	case k == 2:
		d.GroupID = 1 + r.IntN(10)
		d.Visibility = fmt.Sprintf("group:%d", d.GroupID)
	}
	d.Deleted = r.IntN(30) == 0
	for range r.IntN(3) {
		d.Tags = append(d.Tags, benchTags[r.IntN(len(benchTags))])
	}
	d.UpdatedAt = d.CreatedAt
	return d
}

func BenchmarkEmbeddedIndex(b *testing.B) {
	ctx := context.Background()
	e, err := NewEmbedded(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	r := rand.New(rand.NewPCG(1, 2))
	docs := make([]Doc, b.N)
	for i := range docs {
		docs[i] = benchDoc(r, i)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i += 500 {
		if err := e.Upsert(ctx, docs[i:min(i+500, b.N)]...); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "docs/s")
}

// benchQueries makes n queries of the kinds people type: words, Chinese,
// mixed, filtered, as-you-type, with typos, with facets, by different
// callers. Words are drawn with the corpus's own frequencies.
func benchQueries(r *rand.Rand, n int) []Query {
	v := benchWords()
	accesses := []Access{
		{Visibilities: []string{"public"}},
		{Visibilities: []string{"public", "members", "group:3"}},
		{Visibilities: []string{"public", "members"}, DeletedInForums: []int{4}},
		{Visibilities: []string{"public", "members", "staff"}, AllDeleted: true},
	}
	qs := make([]Query, n)
	for i := range qs {
		q := Query{Access: accesses[min(r.IntN(10), 3)], Limit: 20}
		switch i % 10 {
		case 0:
			q.Text = v.en(r)
		case 1:
			q.Text = v.en(r) + " " + v.en(r)
		case 2:
			q.Text = v.zh(r)
		case 3:
			q.Text = v.zh(r) + v.zh(r)
		case 4:
			q.Text = "CRM " + v.zh(r)
		case 5:
			q.Text, q.Types, q.ForumIDs = v.en(r), []string{TypeTopic}, []int{1 + r.IntN(20)}
		case 6:
			q.ForumIDs, q.Sort = []int{1 + r.IntN(20)}, SortNewest
		case 7:
			w := v.en(r)
			q.Text, q.Prefix, q.Limit = w[:min(3, len(w))], true, 8
		case 8:
			w := []byte(v.en(r))
			if len(w) >= 5 {
				w[2], w[3] = w[3], w[2]
			}
			q.Text = string(w)
		case 9:
			q.Text, q.Facets, q.Sort = v.zh(r), true, SortVotes
		}
		qs[i] = q
	}
	return qs
}

func BenchmarkEmbeddedQuery(b *testing.B) {
	const docs = 100_000
	ctx := context.Background()
	e, err := NewEmbedded(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	r := rand.New(rand.NewPCG(3, 4))
	// Built the way a reindex feeds a rebuild: thousands at a time.
	batch := make([]Doc, 0, 5000)
	var building time.Duration
	for i := range docs {
		batch = append(batch, benchDoc(r, i))
		if len(batch) == cap(batch) || i == docs-1 {
			start := time.Now()
			if err := e.Upsert(ctx, batch...); err != nil {
				b.Fatal(err)
			}
			building += time.Since(start)
			batch = batch[:0]
		}
	}
	queries := benchQueries(r, 1000)

	// The parent runs once; the sub-benchmark runs the 1,000 queries, one
	// after the other, as many times as the benchmark time asks (usually
	// once), on the index built above.
	b.Run("100k", func(b *testing.B) {
		lat := make([]time.Duration, 0, b.N*len(queries))
		hits := 0
		b.ResetTimer()
		for range b.N {
			for _, q := range queries {
				start := time.Now()
				res, err := e.Search(ctx, q)
				if err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(start))
				hits += res.EstimatedTotal
			}
		}
		b.StopTimer()
		slices.Sort(lat)
		ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
		b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
		b.ReportMetric(ms(lat[len(lat)*99/100]), "p99-ms")
		b.ReportMetric(float64(hits)/float64(len(lat)), "hits/query")
		b.ReportMetric(docs/building.Seconds(), "build-docs/s")
	})
}
