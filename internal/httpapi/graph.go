package httpapi

import (
	"bytes"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/graph"
)

// routesGraph adds follows and the relationship-graph queries. Everything
// needs a signed-in caller; analytics and exports need staff.
func (s *server) routesGraph(api *echo.Group) {
	api.PUT("/users/:username/follow", s.follow(true), requireUser)
	api.DELETE("/users/:username/follow", s.follow(false), requireUser)
	api.GET("/users/:username/followers", s.listFollows(true), requireUser)
	api.GET("/users/:username/following", s.listFollows(false), requireUser)

	g := api.Group("/graph", requireUser)
	g.GET("/users/:username/neighbors", s.graphNeighbors)
	g.GET("/users/:username/recommendations", s.graphRecommendations)
	g.GET("/path", s.graphPath)
	g.GET("/influencers", s.graphInfluencers)
	g.GET("/communities", s.graphCommunities)
	g.GET("/export", s.graphExport)
}

func (s *server) follow(on bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		a, err := s.actor(c)
		if err != nil {
			return err
		}
		if err := s.Graph.Follow(c.Request().Context(), a, c.Param("username"), on); err != nil {
			return err
		}
		return c.NoContent(http.StatusNoContent)
	}
}

func (s *server) listFollows(followers bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		cursor, err := queryInt(c, "cursor")
		if err != nil {
			return err
		}
		limit, err := queryInt(c, "limit")
		if err != nil {
			return err
		}
		a, err := s.actor(c)
		if err != nil {
			return err
		}
		page, err := s.Graph.Follows(c.Request().Context(), a, c.Param("username"), followers, cursor, limit)
		if err != nil {
			return err
		}
		users := make([]PublicUser, len(page.Users))
		for i, u := range page.Users {
			users[i] = publicUser(u)
		}
		out := map[string]any{"users": users}
		if page.Next != 0 {
			out["next_cursor"] = strconv.Itoa(page.Next)
		}
		return c.JSON(http.StatusOK, out)
	}
}

func (s *server) graphViewer(c echo.Context) (graph.Viewer, error) {
	a, err := s.actor(c)
	if err != nil {
		return graph.Viewer{}, err
	}
	return s.Graph.Viewer(c.Request().Context(), a)
}

func queryKinds(c echo.Context) (graph.KindSet, error) {
	k, err := graph.ParseKinds(c.QueryParam("kinds"))
	if err != nil {
		e := apperr.Invalid("invalid_parameter", "query parameter kinds: "+err.Error())
		e.Fields = map[string]string{"kinds": "must be a comma-separated list of interaction kinds"}
		return 0, e
	}
	return k, nil
}

func queryFloat(c echo.Context, name string) (float64, error) {
	v := c.QueryParam(name)
	if v == "" {
		return 0, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		e := apperr.Invalid("invalid_parameter", "query parameter "+name+" must be a number")
		e.Fields = map[string]string{name: "must be a number"}
		return 0, e
	}
	return f, nil
}

func (s *server) graphNeighbors(c echo.Context) error {
	var q graph.NeighborQuery
	var err error
	if q.Depth, err = queryInt(c, "depth"); err != nil {
		return err
	}
	if q.Limit, err = queryInt(c, "limit"); err != nil {
		return err
	}
	if q.MinWeight, err = queryFloat(c, "min_weight"); err != nil {
		return err
	}
	if q.Kinds, err = queryKinds(c); err != nil {
		return err
	}
	v, err := s.graphViewer(c)
	if err != nil {
		return err
	}
	net, err := s.Graph.Neighbors(c.Request().Context(), v, c.Param("username"), q)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, net)
}

func (s *server) graphPath(c echo.Context) error {
	kinds, err := queryKinds(c)
	if err != nil {
		return err
	}
	from, to := c.QueryParam("from"), c.QueryParam("to")
	if from == "" || to == "" {
		return apperr.Validation(map[string]string{"from": "from and to name two users", "to": "from and to name two users"})
	}
	v, err := s.graphViewer(c)
	if err != nil {
		return err
	}
	p, err := s.Graph.Path(c.Request().Context(), v, from, to, kinds)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

func (s *server) graphRecommendations(c echo.Context) error {
	v, err := s.graphViewer(c)
	if err != nil {
		return err
	}
	r, err := s.Graph.Recommend(c.Request().Context(), v, c.Param("username"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

func analyticsQuery(c echo.Context) (graph.AnalyticsQuery, error) {
	var q graph.AnalyticsQuery
	var err error
	if q.Group, err = queryInt(c, "group"); err != nil {
		return q, err
	}
	if q.Forum, err = queryInt(c, "forum"); err != nil {
		return q, err
	}
	if q.Limit, err = queryInt(c, "limit"); err != nil {
		return q, err
	}
	if q.From, err = queryTime(c, "from"); err != nil {
		return q, err
	}
	if q.To, err = queryTime(c, "to"); err != nil {
		return q, err
	}
	q.Metric = c.QueryParam("metric")
	return q, nil
}

func (s *server) graphInfluencers(c echo.Context) error {
	q, err := analyticsQuery(c)
	if err != nil {
		return err
	}
	v, err := s.graphViewer(c)
	if err != nil {
		return err
	}
	r, err := s.Graph.Influencers(c.Request().Context(), v, q)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"metric": q.Metric, "users": r})
}

func (s *server) graphCommunities(c echo.Context) error {
	q, err := analyticsQuery(c)
	if err != nil {
		return err
	}
	v, err := s.graphViewer(c)
	if err != nil {
		return err
	}
	r, err := s.Graph.Communities(c.Request().Context(), v, q)
	if err != nil {
		return err
	}
	if r.Status == graph.StatusComputing {
		// The first result is still being computed in the background.
		c.Response().Header().Set("Retry-After", "10")
		return c.JSON(http.StatusAccepted, r)
	}
	return c.JSON(http.StatusOK, r)
}

func (s *server) graphExport(c echo.Context) error {
	group, err := queryInt(c, "group")
	if err != nil {
		return err
	}
	format := c.QueryParam("format")
	if format == "" {
		format = graph.FormatJSON
	}
	v, err := s.graphViewer(c)
	if err != nil {
		return err
	}
	if !v.Staff {
		return apperr.Forbidden("staff_only", "graph analytics are for staff")
	}
	// Rendered to memory first, so an error still gets a JSON error answer.
	var buf bytes.Buffer
	if err := s.Graph.Export(c.Request().Context(), v, format, group, &buf); err != nil {
		return err
	}
	ext := map[string]string{graph.FormatGraphML: "graphml", graph.FormatGEXF: "gexf", graph.FormatJSON: "json"}[format]
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="crn-graph.`+ext+`"`)
	return c.Blob(http.StatusOK, graph.ContentType(format), buf.Bytes())
}
