package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// websocket upgrades GET /api/v1/ws; the realtime hub serves it from then on.
func (s *server) websocket(c echo.Context) error {
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	s.Realtime.Accept(c.Response(), c.Request(), a, c.RealIP())
	return nil
}

// presence lists who is online, or viewing a topic.
func (s *server) presence(c echo.Context) error {
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	ch := c.QueryParam("channel")
	if ch == "" {
		ch = "online"
	}
	ctx := c.Request().Context()
	ids, err := s.Realtime.Present(ctx, a, ch)
	if err != nil {
		return err
	}
	users, err := s.usersOf(ctx, ids...)
	if err != nil {
		return err
	}
	out := make([]UserRef, 0, len(ids))
	for _, id := range ids {
		if u := users[id]; u != nil {
			out = append(out, *userRef(u))
		}
	}
	return c.JSON(http.StatusOK, map[string]any{"channel": ch, "users": out})
}
