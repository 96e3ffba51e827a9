package search

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"syscall"
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
	// Built the way a reindex builds: thousands at a time into a new
	// generation, which Commit merges into one segment and swaps in.
	start := time.Now()
	builder, err := e.Rebuild(ctx)
	if err != nil {
		b.Fatal(err)
	}
	batch := make([]Doc, 0, 5000)
	for i := range docs {
		batch = append(batch, benchDoc(r, i))
		if len(batch) == cap(batch) || i == docs-1 {
			if err := builder.Upsert(ctx, batch...); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	loaded := time.Since(start)
	if err := builder.Commit(ctx); err != nil {
		b.Fatal(err)
	}
	building := time.Since(start)
	queries := benchQueries(r, 1000)

	// The parent runs once; the sub-benchmark runs the 1,000 queries, one
	// after the other, as many times as the benchmark time asks (usually
	// once), on the index built above.
	settle(b, e)
	b.Run("100k", func(b *testing.B) {
		var st queryStats
		b.ResetTimer()
		for range b.N {
			for i, q := range queries {
				start, cpu := time.Now(), cpuTime()
				res, err := e.Search(ctx, q)
				if err != nil {
					b.Fatal(err)
				}
				st.add(i, time.Since(start), cpuTime()-cpu, res.EstimatedTotal)
			}
		}
		b.StopTimer()
		st.report(b)
		b.ReportMetric(docs/loaded.Seconds(), "load-docs/s")
		b.ReportMetric(docs/building.Seconds(), "build-docs/s")
	})
}

// settle waits until the index has merged and persisted what it was
// given, as an index that serves queries usually has, so that the query
// timings do not include the background merging of the load.
func settle(b *testing.B, e *Embedded) {
	deadline := time.Now().Add(10 * time.Minute)
	for time.Now().Before(deadline) {
		if !e.Merging() {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	b.Log("index still merging after 10 minutes")
}

// benchKinds names the query kinds of benchQueries, by i % 10.
var benchKinds = []string{
	"one English word", "two English words", "one Chinese word", "two Chinese words", "CRM + Chinese",
	"word, type and forum filters", "forum filter, newest, no text", "as-you-type prefix", "English word with a typo", "Chinese word, facets, by votes",
}

// cpuTime is the CPU time the process has used, user and system: unlike
// wall-clock time, it does not grow while other processes hold the CPU.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// queryStats collects the latency and CPU time of each query, by kind.
type queryStats struct {
	lat, cpu []time.Duration
	engine   []time.Duration // Meilisearch's CPU time, when known
	kind     []int
	hits     int
}

func (s *queryStats) add(i int, lat, cpu time.Duration, hits int) {
	s.lat, s.cpu, s.kind = append(s.lat, lat), append(s.cpu, cpu), append(s.kind, i%len(benchKinds))
	s.hits += hits
}

func (s *queryStats) report(b *testing.B) {
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	pct := func(ds []time.Duration, p int) time.Duration {
		ds = slices.Clone(ds)
		slices.Sort(ds)
		return ds[min(len(ds)*p/100, len(ds)-1)]
	}
	mean := func(ds []time.Duration) float64 {
		var sum time.Duration
		for _, d := range ds {
			sum += d
		}
		return ms(sum) / float64(max(len(ds), 1))
	}
	b.ReportMetric(ms(pct(s.lat, 50)), "p50-ms")
	b.ReportMetric(ms(pct(s.lat, 99)), "p99-ms")
	b.ReportMetric(ms(pct(s.cpu, 50)), "cpu-p50-ms")
	b.ReportMetric(mean(s.cpu), "cpu-mean-ms")
	b.ReportMetric(float64(s.hits)/float64(len(s.lat)), "hits/query")
	if len(s.engine) > 0 {
		b.ReportMetric(mean(s.engine), "engine-cpu-mean-ms")
	}
	for k, name := range benchKinds {
		var lat, cpu, engine []time.Duration
		for i := range s.kind {
			if s.kind[i] == k {
				lat, cpu = append(lat, s.lat[i]), append(cpu, s.cpu[i])
				if len(s.engine) > i {
					engine = append(engine, s.engine[i])
				}
			}
		}
		if len(lat) == 0 {
			continue
		}
		line := fmt.Sprintf("%-32s p50 %6.2f ms  p99 %6.2f ms  cpu p50 %6.2f ms  mean %6.2f ms",
			name, ms(pct(lat, 50)), ms(pct(lat, 99)), ms(pct(cpu, 50)), mean(cpu))
		if len(engine) > 0 {
			line += fmt.Sprintf("  engine cpu mean %6.2f ms", mean(engine))
		}
		b.Log(line)
	}
}
