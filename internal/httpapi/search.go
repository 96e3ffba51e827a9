package httpapi

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/user"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/discovery"
	"github.com/crn-dev/crn/internal/search"
)

// SearchHit is one hydrated result: exactly one of Topic, Post, User, Group and Resource is set.
type SearchHit struct {
	Type       string            `json:"type"`
	Highlights map[string]string `json:"highlights"`
	Topic      *Topic            `json:"topic,omitempty"`
	Post       *Post             `json:"post,omitempty"`
	User       *PublicUser       `json:"user,omitempty"`
	Group      *Group            `json:"group,omitempty"`
	Resource   *Resource         `json:"resource,omitempty"`
}

func splitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func queryTime(c echo.Context, name string) (time.Time, error) {
	v := c.QueryParam(name)
	if v == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, nil
		}
	}
	e := apperr.Invalid("invalid_parameter", "query parameter "+name+" must be a date (2006-01-02) or an RFC 3339 time")
	e.Fields = map[string]string{name: "must be a date or an RFC 3339 time"}
	return time.Time{}, e
}

func (s *server) search(c echo.Context) error {
	p := discovery.Params{
		Text: c.QueryParam("q"), Types: splitList(c.QueryParam("type")), Author: c.QueryParam("author"),
		Tags: splitList(c.QueryParam("tags")), Statuses: splitList(c.QueryParam("status")),
		Sort: c.QueryParam("sort"), Cursor: c.QueryParam("cursor"), Facets: c.QueryParam("facets") != "false",
	}
	for _, f := range splitList(c.QueryParam("forum")) {
		id, err := strconv.Atoi(f)
		if err != nil || id <= 0 {
			return apperr.Invalid("invalid_parameter", "forum must be a comma-separated list of forum ids")
		}
		p.ForumIDs = append(p.ForumIDs, id)
	}
	for _, g := range splitList(c.QueryParam("group")) {
		id, err := strconv.Atoi(g)
		if err != nil || id <= 0 {
			return apperr.Invalid("invalid_parameter", "group must be a comma-separated list of group ids")
		}
		p.GroupIDs = append(p.GroupIDs, id)
	}
	var err error
	if p.Limit, err = queryInt(c, "limit"); err != nil {
		return err
	}
	if p.From, err = queryTime(c, "from"); err != nil {
		return err
	}
	if p.To, err = queryTime(c, "to"); err != nil {
		return err
	}
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	page, err := s.Discovery.Search(c.Request().Context(), a, p)
	if err != nil {
		return err
	}
	hits, err := s.hydrate(c, a, page.Hits)
	if err != nil {
		return err
	}
	body := map[string]any{
		"hits": hits, "estimated_total": page.EstimatedTotal, "processing_time_ms": page.Took.Milliseconds(),
		"next_cursor": nilIfEmpty(page.Next),
	}
	if page.Facets != nil {
		body["facets"] = page.Facets
	}
	return c.JSON(http.StatusOK, body)
}

func (s *server) suggest(c echo.Context) error {
	limit, err := queryInt(c, "limit")
	if err != nil {
		return err
	}
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	topics, users, err := s.Discovery.Suggest(c.Request().Context(), a, c.QueryParam("q"), limit)
	if err != nil {
		return err
	}
	th, err := s.hydrate(c, a, topics)
	if err != nil {
		return err
	}
	uh, err := s.hydrate(c, a, users)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"topics": th, "users": uh})
}

// hydrate loads each hit from the database through the services that check
// access, dropping any the caller may not see (the index filtered already;
// this is the second check).
func (s *server) hydrate(c echo.Context, a authz.Actor, hits []search.Hit) ([]SearchHit, error) {
	ctx := c.Request().Context()
	out := make([]SearchHit, 0, len(hits))
	for _, h := range hits {
		typ, id, ok := discovery.ParseDocID(h.ID)
		if !ok {
			continue
		}
		hit := SearchHit{Type: typ, Highlights: h.Highlights}
		switch typ {
		case search.TypeTopic:
			tv, err := s.Forums.Topic(ctx, a, id, false)
			if err != nil {
				continue
			}
			users, err := s.usersOf(ctx, topicUserIDs(tv)...)
			if err != nil {
				return nil, err
			}
			t := topicView(tv, users, !a.Guest())
			hit.Topic = &t
			if h.Type == search.TypeFeedback {
				hit.Type = search.TypeFeedback // a feedback item: GET /feedback/{id} for its status and votes
			}
		case search.TypePost:
			p, err := s.Forums.Post(ctx, a, id)
			if err != nil {
				continue
			}
			rendered, err := s.renderPosts(c, a, []*ent.Post{p}, nil)
			if err != nil {
				return nil, err
			}
			hit.Post = &rendered[0]
		case search.TypeGroup:
			v, err := s.Groups.ByID(ctx, a, id)
			if err != nil {
				continue
			}
			g := groupView(v)
			hit.Group = &g
		case search.TypeUser:
			u, err := s.Accounts.ByID(ctx, id)
			if err != nil || u.Status == user.StatusSuspended {
				continue
			}
			pu := publicUser(u)
			hit.User = &pu
		case search.TypeResource:
			if s.Resources == nil {
				continue
			}
			v, err := s.Resources.Get(ctx, a, id)
			if err != nil {
				continue
			}
			r := resourceView(a, v)
			hit.Resource = &r
		default:
			continue
		}
		out = append(out, hit)
	}
	return out, nil
}
