package webui

import (
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/internal/discovery"
	"github.com/crn-dev/crn/internal/search"
)

type searchHit struct {
	Type       string
	URL        string
	Title      string            // plain text, when no highlighted title
	Highlights map[string]string // safe HTML from the index
	User       *ent.User
	Topic      *ent.Topic
}

type facet struct {
	Label  string
	Value  string
	Count  int
	Active bool
	URL    string // the search with this value toggled
}

type searchData struct {
	Query    string
	Sort     string
	Sorts    []string
	Hits     []searchHit
	Total    int
	Facets   map[string][]facet // "type", "forum", "tags"
	Next     string
	Filtered bool
	Params   url.Values
}

// searchPage runs a search with facet filters: ?q=&type=&forum=&tags=&sort=.
func (s *server) searchPage(rq *request) error {
	q := rq.r.URL.Query()
	d := searchData{Query: strings.TrimSpace(q.Get("q")), Sort: q.Get("sort"), Params: url.Values{},
		Sorts: []string{search.SortRelevance, search.SortNewest, search.SortVotes}}
	for _, k := range []string{"q", "type", "forum", "tags", "sort"} {
		if v := strings.TrimSpace(q.Get(k)); v != "" {
			d.Params.Set(k, v)
		}
	}
	d.Filtered = d.Params.Get("type") != "" || d.Params.Get("forum") != "" || d.Params.Get("tags") != ""
	if d.Sort == "" {
		d.Sort = search.SortRelevance
	}
	v := rq.view(rq.lang.T("search.title"), &d)
	v.Search = d.Query
	if s.Discovery == nil || (d.Query == "" && !d.Filtered) {
		return rq.renderView(200, "search", v)
	}
	p := discovery.Params{Text: d.Query, Types: list(q.Get("type")), Tags: list(q.Get("tags")), Sort: q.Get("sort"),
		Cursor: q.Get("cursor"), Facets: true}
	for _, f := range list(q.Get("forum")) {
		if id, err := strconv.Atoi(f); err == nil && id > 0 {
			p.ForumIDs = append(p.ForumIDs, id)
		}
	}
	ctx := rq.r.Context()
	page, err := s.Discovery.Search(ctx, rq.actor, p)
	if err != nil {
		return err
	}
	d.Total = page.EstimatedTotal
	if page.Next != "" {
		nq := cloneValues(d.Params)
		nq.Set("cursor", page.Next)
		d.Next = "/search?" + nq.Encode()
	}
	if d.Hits, err = s.hydrate(rq, page.Hits); err != nil {
		return err
	}
	forums, err := s.Forums.Forums(ctx, rq.actor)
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, f := range forums {
		names[strconv.Itoa(f.ID)] = f.Name
	}
	d.Facets = map[string][]facet{
		"type":  d.facets(page.Facets["type"], "type", func(v string) string { return rq.lang.T("search.type." + v) }),
		"forum": d.facets(page.Facets["forum_id"], "forum", func(v string) string { return names[v] }),
		"tags":  d.facets(page.Facets["tags"], "tags", func(v string) string { return "#" + v }),
	}
	return rq.renderView(200, "search", v)
}

// facets turns counts into links that toggle each value as a filter.
func (d *searchData) facets(counts map[string]int, param string, label func(string) string) []facet {
	active := map[string]bool{}
	for _, v := range list(d.Params.Get(param)) {
		active[strings.ToLower(v)] = true
	}
	out := make([]facet, 0, len(counts))
	for v, n := range counts {
		l := label(v)
		if l == "" {
			continue // a forum the reader cannot see by name
		}
		next := map[string]bool{}
		for a := range active {
			next[a] = true
		}
		next[v] = !active[v]
		var vals []string
		for k, on := range next {
			if on {
				vals = append(vals, k)
			}
		}
		sort.Strings(vals)
		q := cloneValues(d.Params)
		q.Del("cursor")
		if len(vals) == 0 {
			q.Del(param)
		} else {
			q.Set(param, strings.Join(vals, ","))
		}
		out = append(out, facet{Label: l, Value: v, Count: n, Active: active[v], URL: "/search?" + q.Encode()})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Label < out[j].Label
	})
	if len(out) > 12 {
		out = out[:12]
	}
	return out
}

// hydrate loads each hit through the services, which check access again.
func (s *server) hydrate(rq *request, hits []search.Hit) ([]searchHit, error) {
	ctx := rq.r.Context()
	out := make([]searchHit, 0, len(hits))
	var userIDs []int
	for _, h := range hits {
		if t, id, ok := discovery.ParseDocID(h.ID); ok && t == search.TypeUser {
			userIDs = append(userIDs, id)
		}
	}
	users, err := s.usersOf(ctx, userIDs...)
	if err != nil {
		return nil, err
	}
	for _, h := range hits {
		typ, id, ok := discovery.ParseDocID(h.ID)
		if !ok {
			continue
		}
		hit := searchHit{Type: typ, Highlights: h.Highlights}
		switch typ {
		case search.TypeTopic:
			tv, err := s.Forums.Topic(ctx, rq.actor, id, false)
			if err != nil {
				continue
			}
			hit.Topic, hit.Title, hit.URL = tv.Topic, tv.Title, topicURL(tv.ID)
		case search.TypePost:
			p, err := s.Forums.Post(ctx, rq.actor, id)
			if err != nil {
				continue
			}
			tv, err := s.Forums.Topic(ctx, rq.actor, p.TopicID, false)
			if err != nil {
				continue
			}
			hit.Topic, hit.Title, hit.URL = tv.Topic, tv.Title, postURL(p.TopicID, p.PostNumber)
		case search.TypeUser:
			u := users[id]
			if u == nil || u.Status == "suspended" {
				continue
			}
			hit.User, hit.Title, hit.URL = u, u.Username, "/u/"+url.PathEscape(u.Username)
		default:
			continue
		}
		out = append(out, hit)
	}
	return out, nil
}

// tagPage is the search for one tag (post links point at /tags/{tag}).
func (s *server) tagPage(rq *request) error {
	return rq.redirect("/search?" + url.Values{"tags": {rq.r.PathValue("tag")}}.Encode())
}

func list(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}
