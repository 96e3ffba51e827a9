package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/crn-dev/crn/internal/forum"
)

func (s *server) listTopics(c echo.Context) error {
	id, err := pathInt(c, "id")
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
	page, err := s.Forums.Topics(ctx, a, id, forum.ListQuery{
		Sort: c.QueryParam("sort"), Period: c.QueryParam("period"), Cursor: c.QueryParam("cursor"), Limit: limit, Tag: c.QueryParam("tag"),
	})
	if err != nil {
		return err
	}
	users, err := s.usersOf(ctx, append(topicUserIDs(page.Pinned...), topicUserIDs(page.Topics...)...)...)
	if err != nil {
		return err
	}
	_, signedIn := principalOf(c)
	conv := func(tvs []*forum.TopicView) []Topic {
		out := make([]Topic, len(tvs))
		for i, tv := range tvs {
			out[i] = topicView(tv, users, signedIn)
		}
		return out
	}
	body := map[string]any{"pinned": conv(page.Pinned), "topics": conv(page.Topics), "next_cursor": nil}
	if page.Next != "" {
		body["next_cursor"] = page.Next
	}
	return c.JSON(http.StatusOK, body)
}

type createTopicRequest struct {
	Title string   `json:"title"`
	Body  string   `json:"body"`
	Tags  []string `json:"tags"`
	Kind  string   `json:"kind"`
}

func (s *server) createTopic(c echo.Context) error {
	id, err := pathInt(c, "id")
	if err != nil {
		return err
	}
	var req createTopicRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	tv, p, err := s.Forums.CreateTopic(ctx, a, id, forum.TopicInput{Title: req.Title, Body: req.Body, Tags: req.Tags, Kind: req.Kind})
	if err != nil {
		return err
	}
	users, err := s.usersOf(ctx, topicUserIDs(tv)...)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"topic": topicView(tv, users, true), "post": postView(p, users, nil, false, nil)})
}

func (s *server) getTopic(c echo.Context) error {
	id, err := pathInt(c, "id")
	if err != nil {
		return err
	}
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	tv, err := s.Forums.Topic(ctx, a, id, true)
	if err != nil {
		return err
	}
	users, err := s.usersOf(ctx, topicUserIDs(tv)...)
	if err != nil {
		return err
	}
	_, signedIn := principalOf(c)
	return c.JSON(http.StatusOK, topicView(tv, users, signedIn))
}

type patchTopicRequest struct {
	Title          *string   `json:"title"`
	Tags           *[]string `json:"tags"`
	Kind           *string   `json:"kind"`
	Pinned         *bool     `json:"pinned"`
	PinnedGlobally *bool     `json:"pinned_globally"`
	Locked         *bool     `json:"locked"`
	Closed         *bool     `json:"closed"`
	Archived       *bool     `json:"archived"`
	ForumID        *int      `json:"forum_id"`
}

func (s *server) patchTopic(c echo.Context) error {
	id, err := pathInt(c, "id")
	if err != nil {
		return err
	}
	var req patchTopicRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	tv, err := s.Forums.UpdateTopic(ctx, a, id, forum.TopicPatch{
		Title: req.Title, Tags: req.Tags, Kind: req.Kind, Pinned: req.Pinned, PinnedGlobally: req.PinnedGlobally,
		Locked: req.Locked, Closed: req.Closed, Archived: req.Archived, ForumID: req.ForumID,
	})
	if err != nil {
		return err
	}
	return s.renderTopic(c, tv)
}

func (s *server) renderTopic(c echo.Context, tv *forum.TopicView) error {
	users, err := s.usersOf(c.Request().Context(), topicUserIDs(tv)...)
	if err != nil {
		return err
	}
	_, signedIn := principalOf(c)
	return c.JSON(http.StatusOK, topicView(tv, users, signedIn))
}

type acceptRequest struct {
	PostID *int `json:"post_id"`
}

func (s *server) acceptAnswer(c echo.Context) error {
	id, err := pathInt(c, "id")
	if err != nil {
		return err
	}
	var req acceptRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	postID := 0
	if req.PostID != nil {
		postID = *req.PostID
	}
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	tv, err := s.Forums.AcceptAnswer(c.Request().Context(), a, id, postID)
	if err != nil {
		return err
	}
	return s.renderTopic(c, tv)
}

func (s *server) putTopicSubscription(c echo.Context) error {
	id, err := pathInt(c, "id")
	if err != nil {
		return err
	}
	var req levelRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	tv, err := s.Forums.SetTopicLevel(c.Request().Context(), a, id, req.Level)
	if err != nil {
		return err
	}
	return s.renderTopic(c, tv)
}

type readRequest struct {
	PostNumber int `json:"post_number"`
}

func (s *server) markRead(c echo.Context) error {
	id, err := pathInt(c, "id")
	if err != nil {
		return err
	}
	var req readRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	tv, err := s.Forums.MarkRead(c.Request().Context(), a, id, req.PostNumber)
	if err != nil {
		return err
	}
	return s.renderTopic(c, tv)
}
