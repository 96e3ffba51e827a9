package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

func (s *server) getUser(c echo.Context) error {
	u, err := s.Accounts.ByUsername(c.Request().Context(), c.Param("username"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, publicUser(u))
}

// listUserPosts lists a user's posts that the caller may see, newest first.
func (s *server) listUserPosts(c echo.Context) error {
	before, err := queryInt(c, "before")
	if err != nil {
		return err
	}
	limit, err := queryInt(c, "limit")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	u, err := s.Accounts.ByUsername(ctx, c.Param("username"))
	if err != nil {
		return err
	}
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	ps, err := s.Forums.UserPosts(ctx, a, u.ID, before, limit)
	if err != nil {
		return err
	}
	out, err := s.renderPosts(c, a, ps, nil)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"posts": out})
}

// listUserTopics lists topics a user started that the caller may see, newest first.
func (s *server) listUserTopics(c echo.Context) error {
	before, err := queryInt(c, "before")
	if err != nil {
		return err
	}
	limit, err := queryInt(c, "limit")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	u, err := s.Accounts.ByUsername(ctx, c.Param("username"))
	if err != nil {
		return err
	}
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	tvs, err := s.Forums.UserTopics(ctx, a, u.ID, before, limit)
	if err != nil {
		return err
	}
	users, err := s.usersOf(ctx, topicUserIDs(tvs...)...)
	if err != nil {
		return err
	}
	_, signedIn := principalOf(c)
	out := make([]Topic, len(tvs))
	for i, tv := range tvs {
		out[i] = topicView(tv, users, signedIn)
	}
	return c.JSON(http.StatusOK, map[string]any{"topics": out})
}

func (s *server) mute(on bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		a, err := s.actor(c)
		if err != nil {
			return err
		}
		if err := s.Forums.Mute(c.Request().Context(), a, c.Param("username"), on); err != nil {
			return err
		}
		return c.NoContent(http.StatusNoContent)
	}
}
