package httpapi

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/crn-dev/crn/ent"
)

// Notification is one notification as the API shows it.
type Notification struct {
	ID        int            `json:"id"`
	Kind      string         `json:"kind"`
	Actor     *UserRef       `json:"actor"`
	TopicID   *int           `json:"topic_id"`
	PostID    *int           `json:"post_id"`
	Data      map[string]any `json:"data"`
	CreatedAt time.Time      `json:"created_at"`
	ReadAt    *time.Time     `json:"read_at"`
}

func (s *server) listNotifications(c echo.Context) error {
	before, err := queryInt(c, "before")
	if err != nil {
		return err
	}
	limit, err := queryInt(c, "limit")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	p := mustPrincipal(c)
	page, err := s.Notifications.List(ctx, p.User.ID, before, limit, c.QueryParam("unread") == "true")
	if err != nil {
		return err
	}
	ids := make([]int, 0, len(page.Items))
	for _, n := range page.Items {
		if n.ActorID != nil {
			ids = append(ids, *n.ActorID)
		}
	}
	users, err := s.usersOf(ctx, ids...)
	if err != nil {
		return err
	}
	out := make([]Notification, len(page.Items))
	for i, n := range page.Items {
		out[i] = notificationView(n, users)
	}
	var next any
	if page.Next != 0 {
		next = page.Next
	}
	return c.JSON(http.StatusOK, map[string]any{"notifications": out, "unread_count": page.UnreadCount, "next_before": next})
}

func notificationView(n *ent.Notification, users map[int]*ent.User) Notification {
	v := Notification{ID: n.ID, Kind: n.Kind, TopicID: n.TopicID, PostID: n.PostID, Data: n.Data, CreatedAt: n.CreatedAt.UTC(), ReadAt: utc(n.ReadAt)}
	if n.ActorID != nil {
		v.Actor = userRef(users[*n.ActorID])
	}
	if v.Data == nil {
		v.Data = map[string]any{}
	}
	return v
}

type markNotificationsRequest struct {
	IDs []int `json:"ids"`
	All bool  `json:"all"`
}

func (s *server) markNotificationsRead(c echo.Context) error {
	var req markNotificationsRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if !req.All && len(req.IDs) == 0 {
		return validation("ids", "give the ids to mark read, or all: true")
	}
	n, err := s.Notifications.MarkRead(c.Request().Context(), mustPrincipal(c).User.ID, req.IDs)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"unread_count": n})
}
