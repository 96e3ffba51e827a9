package httpapi

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/forum"
)

const actorKey = "crn.actor"

// actor returns the authorization view of the caller, loaded once per request.
func (s *server) actor(c echo.Context) (authz.Actor, error) {
	if a, ok := c.Get(actorKey).(authz.Actor); ok {
		return a, nil
	}
	p, _ := principalOf(c)
	if p.Actor != nil { // loaded (and cached) with the principal
		c.Set(actorKey, *p.Actor)
		return *p.Actor, nil
	}
	a, err := s.Forums.Actor(c.Request().Context(), p.User)
	if err != nil {
		return authz.Actor{}, err
	}
	c.Set(actorKey, a)
	return a, nil
}

// queryInt reads an optional non-negative integer query parameter.
func queryInt(c echo.Context, name string) (int, error) {
	v := c.QueryParam(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		e := apperr.Invalid("invalid_parameter", "query parameter "+name+" must be a non-negative integer")
		e.Fields = map[string]string{name: "must be a non-negative integer"}
		return 0, e
	}
	return n, nil
}

type forumRequest struct {
	Name           *string   `json:"name"`
	Slug           *string   `json:"slug"`
	Description    *string   `json:"description"`
	Position       *int      `json:"position"`
	ParentID       *int      `json:"parent_id"`
	ReadVisibility *string   `json:"read_visibility"`
	TopicPolicy    *string   `json:"topic_policy"`
	TopicMinTrust  *int      `json:"topic_min_trust"`
	ReplyPolicy    *string   `json:"reply_policy"`
	ReplyMinTrust  *int      `json:"reply_min_trust"`
	Moderators     *[]string `json:"moderators"`
	Kind           *string   `json:"kind"`
}

func (r forumRequest) input() forum.ForumInput {
	return forum.ForumInput{
		Name: r.Name, Slug: r.Slug, Description: r.Description, Position: r.Position, ParentID: r.ParentID,
		ReadVisibility: r.ReadVisibility, TopicPolicy: r.TopicPolicy, TopicMinTrust: r.TopicMinTrust,
		ReplyPolicy: r.ReplyPolicy, ReplyMinTrust: r.ReplyMinTrust, Moderators: r.Moderators, Kind: r.Kind,
	}
}

func (s *server) listForums(c echo.Context) error {
	ctx := c.Request().Context()
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	fs, err := s.Forums.Forums(ctx, a)
	if err != nil {
		return err
	}
	levels, err := s.Forums.ForumLevels(ctx, a)
	if err != nil {
		return err
	}
	var unread map[int]forum.Unread
	if p, ok := principalOf(c); ok {
		if unread, err = s.Forums.UnreadCounts(ctx, a, p.User.CreatedAt); err != nil {
			return err
		}
	}
	out := make([]Forum, len(fs))
	for i, f := range fs {
		out[i] = forumView(a, f, levels[f.ID], unread[f.ID])
	}
	return c.JSON(http.StatusOK, map[string]any{"forums": out})
}

func (s *server) getForum(c echo.Context) error {
	id, err := pathInt(c, "id")
	if err != nil {
		return err
	}
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	return s.renderForum(c, a, id, http.StatusOK)
}

// renderForum answers with one forum as the caller sees it, with their
// subscription level and unread counts.
func (s *server) renderForum(c echo.Context, a authz.Actor, id, status int) error {
	ctx := c.Request().Context()
	f, err := s.Forums.Forum(ctx, a, id)
	if err != nil {
		return err
	}
	levels, err := s.Forums.ForumLevels(ctx, a)
	if err != nil {
		return err
	}
	var unread map[int]forum.Unread
	if p, ok := principalOf(c); ok {
		if unread, err = s.Forums.UnreadCounts(ctx, a, p.User.CreatedAt); err != nil {
			return err
		}
	}
	return c.JSON(status, forumView(a, f, levels[f.ID], unread[f.ID]))
}

func (s *server) createForum(c echo.Context) error {
	var req forumRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	f, err := s.Forums.CreateForum(c.Request().Context(), a, req.input())
	if err != nil {
		return err
	}
	return s.renderForum(c, a, f.ID, http.StatusCreated)
}

func (s *server) patchForum(c echo.Context) error {
	id, err := pathInt(c, "id")
	if err != nil {
		return err
	}
	var req forumRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	if _, err := s.Forums.UpdateForum(c.Request().Context(), a, id, req.input()); err != nil {
		return err
	}
	return s.renderForum(c, a, id, http.StatusOK)
}

func (s *server) deleteForum(c echo.Context) error {
	id, err := pathInt(c, "id")
	if err != nil {
		return err
	}
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	if err := s.Forums.DeleteForum(c.Request().Context(), a, id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

type levelRequest struct {
	Level string `json:"level"`
}

func (s *server) putForumSubscription(c echo.Context) error {
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
	if err := s.Forums.SetForumLevel(c.Request().Context(), a, id, req.Level); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]string{"subscription_level": req.Level})
}
