package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/feedback"
)

func (s *server) routesFeedback(api *echo.Group) {
	g := api.Group("/feedback")
	g.GET("", s.listFeedback)
	g.POST("", s.createFeedback, requireUser)
	g.GET("/similar", s.similarFeedback)
	g.GET("/insights", s.feedbackInsights, requireUser)
	g.GET("/export", s.exportFeedback, requireUser)
	g.GET("/:id", s.getFeedback)
	g.PATCH("/:id", s.patchFeedback, requireUser)
	g.PUT("/:id/vote", s.voteFeedback(true), requireUser)
	g.DELETE("/:id/vote", s.voteFeedback(false), requireUser)
	g.POST("/:id/status", s.feedbackStatus, requireUser)
	g.POST("/:id/merge", s.mergeFeedback, requireUser)
	g.POST("/:id/unmerge", s.unmergeFeedback, requireUser)
	g.GET("/:id/notes", s.listFeedbackNotes, requireUser)
	g.POST("/:id/notes", s.addFeedbackNote, requireUser)
	g.POST("/:id/csat", s.rateFeedback, requireUser)
}

func (s *server) renderFeedback(c echo.Context, it *feedback.Item, status int) error {
	_, signedIn := principalOf(c)
	vs, err := s.feedbackViews(c.Request().Context(), signedIn, it)
	if err != nil {
		return err
	}
	return c.JSON(status, vs[0])
}

func (s *server) listFeedback(c echo.Context) error {
	board, err := queryInt(c, "board")
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
	ctx := c.Request().Context()
	page, err := s.Feedback.List(ctx, a, feedback.ListQuery{
		Board: board, Types: splitList(c.QueryParam("type")), Statuses: splitList(c.QueryParam("status")),
		Area: c.QueryParam("area"), Sort: c.QueryParam("sort"), Cursor: c.QueryParam("cursor"), Limit: limit,
	})
	if err != nil {
		return err
	}
	_, signedIn := principalOf(c)
	items, err := s.feedbackViews(ctx, signedIn, page.Items...)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"items": items, "next_cursor": nilIfEmpty(page.Next)})
}

type createFeedbackRequest struct {
	Board int      `json:"board"`
	Title string   `json:"title"`
	Body  string   `json:"body"`
	Type  string   `json:"type"`
	Areas []string `json:"areas"`
}

func (s *server) createFeedback(c echo.Context) error {
	var req createFeedbackRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	it, err := s.Feedback.Create(c.Request().Context(), a, feedback.CreateInput{
		Board: req.Board, Title: req.Title, Body: req.Body, Type: req.Type, Areas: req.Areas,
	})
	if err != nil {
		return err
	}
	return s.renderFeedback(c, it, http.StatusCreated)
}

func (s *server) getFeedback(c echo.Context) error {
	id, err := pathInt(c, "id")
	if err != nil {
		return err
	}
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	it, err := s.Feedback.Item(c.Request().Context(), a, id)
	if err != nil {
		return err
	}
	return s.renderFeedback(c, it, http.StatusOK)
}

type patchFeedbackRequest struct {
	Type     *string   `json:"type"`
	Areas    *[]string `json:"areas"`
	Priority *string   `json:"priority"`
	Estimate *string   `json:"estimate"`
}

func (s *server) patchFeedback(c echo.Context) error {
	id, err := pathInt(c, "id")
	if err != nil {
		return err
	}
	var req patchFeedbackRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	it, err := s.Feedback.Update(c.Request().Context(), a, id, feedback.Patch{
		Type: req.Type, Areas: req.Areas, Priority: req.Priority, Estimate: req.Estimate,
	})
	if err != nil {
		return err
	}
	return s.renderFeedback(c, it, http.StatusOK)
}

type voteRequest struct {
	OnBehalfOf string `json:"on_behalf_of"`
	Note       string `json:"note"`
}

// voteFeedback casts (on) or withdraws a vote: the caller's own, or for
// staff a customer's, named by ?on_behalf_of= (with &note=) or in a body.
func (s *server) voteFeedback(on bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathInt(c, "id")
		if err != nil {
			return err
		}
		req := voteRequest{OnBehalfOf: c.QueryParam("on_behalf_of"), Note: c.QueryParam("note")}
		if hasBody(c) {
			var body voteRequest
			if err := decodeJSON(c, &body); err != nil {
				return err
			}
			if body.OnBehalfOf != "" {
				req.OnBehalfOf = body.OnBehalfOf
			}
			if body.Note != "" {
				req.Note = body.Note
			}
		}
		a, err := s.actor(c)
		if err != nil {
			return err
		}
		in := feedback.VoteInput{OnBehalfOf: req.OnBehalfOf, Note: req.Note}
		var it *feedback.Item
		if on {
			it, err = s.Feedback.Vote(c.Request().Context(), a, id, in)
		} else {
			if in.Note != "" {
				return validation("note", "is only taken when a vote is recorded")
			}
			it, err = s.Feedback.Unvote(c.Request().Context(), a, id, in)
		}
		if err != nil {
			return err
		}
		return s.renderFeedback(c, it, http.StatusOK)
	}
}

// hasBody reports a request that came with a body to read.
func hasBody(c echo.Context) bool {
	r := c.Request()
	return r.ContentLength > 0 || (r.ContentLength < 0 && r.Body != nil && r.Body != http.NoBody)
}

type statusRequest struct {
	Status   string `json:"status"`
	Response string `json:"response"`
}

func (s *server) feedbackStatus(c echo.Context) error {
	id, err := pathInt(c, "id")
	if err != nil {
		return err
	}
	var req statusRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	it, err := s.Feedback.ChangeStatus(c.Request().Context(), a, id, req.Status, req.Response)
	if err != nil {
		return err
	}
	return s.renderFeedback(c, it, http.StatusOK)
}

type feedbackMergeRequest struct {
	Into     int    `json:"into"`
	Response string `json:"response"`
}

func (s *server) mergeFeedback(c echo.Context) error {
	id, err := pathInt(c, "id")
	if err != nil {
		return err
	}
	var req feedbackMergeRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	it, err := s.Feedback.Merge(c.Request().Context(), a, id, req.Into, req.Response)
	if err != nil {
		return err
	}
	return s.renderFeedback(c, it, http.StatusOK)
}

type unmergeRequest struct {
	Response string `json:"response"`
}

func (s *server) unmergeFeedback(c echo.Context) error {
	id, err := pathInt(c, "id")
	if err != nil {
		return err
	}
	var req unmergeRequest
	if hasBody(c) {
		if err := decodeJSON(c, &req); err != nil {
			return err
		}
	}
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	it, err := s.Feedback.Unmerge(c.Request().Context(), a, id, req.Response)
	if err != nil {
		return err
	}
	return s.renderFeedback(c, it, http.StatusOK)
}

func (s *server) listFeedbackNotes(c echo.Context) error {
	id, err := pathInt(c, "id")
	if err != nil {
		return err
	}
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	ns, err := s.Feedback.Notes(ctx, a, id)
	if err != nil {
		return err
	}
	ids := make([]int, len(ns))
	for i, n := range ns {
		ids[i] = n.UserID
	}
	users, err := s.usersOf(ctx, ids...)
	if err != nil {
		return err
	}
	out := make([]FeedbackNote, len(ns))
	for i, n := range ns {
		out[i] = FeedbackNote{ID: n.ID, ItemID: n.ItemID, Author: userRef(users[n.UserID]), Body: n.Body, CreatedAt: n.CreatedAt.UTC()}
	}
	return c.JSON(http.StatusOK, map[string]any{"notes": out})
}

type noteRequest struct {
	Body string `json:"body"`
}

func (s *server) addFeedbackNote(c echo.Context) error {
	id, err := pathInt(c, "id")
	if err != nil {
		return err
	}
	var req noteRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	n, err := s.Feedback.AddNote(ctx, a, id, req.Body)
	if err != nil {
		return err
	}
	users, err := s.usersOf(ctx, n.UserID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, FeedbackNote{ID: n.ID, ItemID: n.ItemID, Author: userRef(users[n.UserID]), Body: n.Body, CreatedAt: n.CreatedAt.UTC()})
}

type csatRequest struct {
	Score   json.Number `json:"score"`
	Comment string      `json:"comment"`
}

func (s *server) rateFeedback(c echo.Context) error {
	id, err := pathInt(c, "id")
	if err != nil {
		return err
	}
	var req csatRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	// A score that is not a whole number is out of the 1–5 range: 422.
	score, err := strconv.Atoi(req.Score.String())
	if err != nil {
		return validation("score", "must be a whole number from 1 to 5")
	}
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	r, err := s.Feedback.Rate(c.Request().Context(), a, id, score, req.Comment)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{
		"id": r.ID, "item_id": r.TopicID, "score": r.Score, "comment": r.Comment, "outcome": r.Outcome, "created_at": r.CreatedAt.UTC(),
	})
}

func (s *server) similarFeedback(c echo.Context) error {
	board, err := queryInt(c, "board")
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
	ctx := c.Request().Context()
	items, err := s.Feedback.Similar(ctx, a, c.QueryParam("q"), board, limit)
	if err != nil {
		return err
	}
	_, signedIn := principalOf(c)
	views, err := s.feedbackViews(ctx, signedIn, items...)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"items": views})
}

func (s *server) insightsQuery(c echo.Context) (feedback.InsightsQuery, error) {
	q := feedback.InsightsQuery{Area: c.QueryParam("area"), Segment: c.QueryParam("segment")}
	var err error
	if q.Board, err = queryInt(c, "board"); err != nil {
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
	return q, nil
}

func (s *server) feedbackInsights(c echo.Context) error {
	q, err := s.insightsQuery(c)
	if err != nil {
		return err
	}
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	in, err := s.Feedback.Insights(c.Request().Context(), a, q)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, in)
}

func (s *server) exportFeedback(c echo.Context) error {
	format := c.QueryParam("format")
	if format == "" {
		format = "json"
	}
	if format != "json" && format != "csv" {
		return validation("format", "must be csv or json")
	}
	q, err := s.insightsQuery(c)
	if err != nil {
		return err
	}
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	in, err := s.Feedback.Insights(c.Request().Context(), a, q)
	if err != nil {
		return err
	}
	name := "feedback-" + in.GeneratedAt.Format("20060102-150405")
	if format == "csv" {
		var buf bytes.Buffer
		if err := feedback.WriteCSV(&buf, in); err != nil {
			return apperr.Internal("export feedback", err)
		}
		c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`.csv"`)
		return c.Blob(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`.json"`)
	return c.JSON(http.StatusOK, map[string]any{"insights": in, "items": in.All})
}
