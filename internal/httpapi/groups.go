package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/forum"
	"github.com/crn-dev/crn/internal/group"
)

// routesGroups registers the group API (docs/groups.md).
func (s *server) routesGroups(api *echo.Group) {
	api.GET("/groups", s.listGroups)
	api.POST("/groups", s.createGroup, requireUser)
	api.GET("/groups/:slug", s.getGroup)
	api.PATCH("/groups/:slug", s.patchGroup, requireUser)
	api.DELETE("/groups/:slug", s.deleteGroup, requireUser)
	api.GET("/groups/:slug/members", s.listGroupMembers)
	api.PUT("/groups/:slug/members/:username", s.putGroupMember, requireUser)
	api.DELETE("/groups/:slug/members/:username", s.deleteGroupMember, requireUser)
	api.POST("/groups/:slug/join", s.joinGroup, requireUser)
	api.POST("/groups/:slug/leave", s.leaveGroup, requireUser)
	api.GET("/groups/:slug/requests", s.listGroupRequests, requireUser)
	api.POST("/groups/:slug/requests", s.createGroupRequest, requireUser)
	api.POST("/groups/:slug/requests/:id/approve", s.decideGroupRequest(true), requireUser)
	api.POST("/groups/:slug/requests/:id/reject", s.decideGroupRequest(false), requireUser)
	api.GET("/groups/:slug/invites", s.listGroupInvites, requireUser)
	api.POST("/groups/:slug/invites", s.createGroupInvite, requireUser)
	api.DELETE("/groups/:slug/invites/:id", s.revokeGroupInvite, requireUser)
	api.POST("/invites/:token/accept", s.acceptGroupInvite, requireUser)
	api.GET("/groups/:slug/feed", s.groupFeed)
	api.GET("/groups/:slug/forums", s.listGroupForums)
	api.POST("/groups/:slug/forums", s.createGroupForum, requireUser)
}

type groupRequest struct {
	Name        *string `json:"name"`
	Slug        *string `json:"slug"`
	Description *string `json:"description"`
	AvatarURL   *string `json:"avatar_url"`
	Visibility  *string `json:"visibility"`
}

func (r groupRequest) input() group.Input {
	return group.Input{Name: r.Name, Slug: r.Slug, Description: r.Description, AvatarURL: r.AvatarURL, Visibility: r.Visibility}
}

// queryAfter reads the optional "after" cursor of a listing.
func queryAfter(c echo.Context) (int, error) { return queryInt(c, "after") }

func (s *server) listGroups(c echo.Context) error {
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	after, err := queryAfter(c)
	if err != nil {
		return err
	}
	limit, err := queryInt(c, "limit")
	if err != nil {
		return err
	}
	mine := c.QueryParam("mine") == "true"
	if mine && a.Guest() {
		return apperr.Unauthenticated("unauthenticated", "sign in to list your groups")
	}
	vs, next, err := s.Groups.List(c.Request().Context(), a, group.ListQuery{After: after, Limit: limit, Mine: mine})
	if err != nil {
		return err
	}
	out := make([]Group, len(vs))
	for i, v := range vs {
		out[i] = groupView(v)
	}
	return c.JSON(http.StatusOK, map[string]any{"groups": out, "next_after": nilIfZero(next)})
}

func nilIfZero(n int) *int {
	if n == 0 {
		return nil
	}
	return &n
}

func (s *server) createGroup(c echo.Context) error {
	var req groupRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	v, err := s.Groups.Create(c.Request().Context(), a, req.input())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, groupView(v))
}

func (s *server) getGroup(c echo.Context) error {
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	v, err := s.Groups.Get(c.Request().Context(), a, c.Param("slug"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, groupView(v))
}

func (s *server) patchGroup(c echo.Context) error {
	var req groupRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	v, err := s.Groups.Update(c.Request().Context(), a, c.Param("slug"), req.input())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, groupView(v))
}

func (s *server) deleteGroup(c echo.Context) error {
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	if err := s.Groups.Delete(c.Request().Context(), a, c.Param("slug")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *server) listGroupMembers(c echo.Context) error {
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	after, err := queryAfter(c)
	if err != nil {
		return err
	}
	limit, err := queryInt(c, "limit")
	if err != nil {
		return err
	}
	q := group.MemberQuery{After: after, Limit: limit}
	switch c.QueryParam("status") {
	case "", "active":
	case "banned":
		q.Banned = true
	default:
		return apperr.Invalid("invalid_parameter", "status must be active or banned")
	}
	ms, next, err := s.Groups.Members(c.Request().Context(), a, c.Param("slug"), q)
	if err != nil {
		return err
	}
	out := make([]GroupMember, len(ms))
	for i, m := range ms {
		out[i] = groupMemberView(m)
	}
	return c.JSON(http.StatusOK, map[string]any{"members": out, "next_after": nilIfZero(next)})
}

type memberRequest struct {
	Role   *string `json:"role"`
	Banned *bool   `json:"banned"`
}

// putGroupMember changes a member's role ({role}) or bans and unbans a
// user ({banned}); exactly one of the two.
func (s *server) putGroupMember(c echo.Context) error {
	var req memberRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if (req.Role == nil) == (req.Banned == nil) {
		return apperr.Validation(map[string]string{"role": "send either role or banned"})
	}
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	ctx, slug, username := c.Request().Context(), c.Param("slug"), c.Param("username")
	if req.Banned != nil {
		if err := s.Groups.SetBanned(ctx, a, slug, username, *req.Banned); err != nil {
			return err
		}
		return c.NoContent(http.StatusNoContent)
	}
	m, err := s.Groups.SetRole(ctx, a, slug, username, *req.Role)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, groupMemberView(*m))
}

func (s *server) deleteGroupMember(c echo.Context) error {
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	if err := s.Groups.Remove(c.Request().Context(), a, c.Param("slug"), c.Param("username")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *server) joinGroup(c echo.Context) error {
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	v, err := s.Groups.Join(c.Request().Context(), a, c.Param("slug"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, groupView(v))
}

func (s *server) leaveGroup(c echo.Context) error {
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	if err := s.Groups.Leave(c.Request().Context(), a, c.Param("slug")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *server) listGroupRequests(c echo.Context) error {
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	after, err := queryAfter(c)
	if err != nil {
		return err
	}
	limit, err := queryInt(c, "limit")
	if err != nil {
		return err
	}
	rs, next, err := s.Groups.Requests(c.Request().Context(), a, c.Param("slug"), c.QueryParam("status"), after, limit)
	if err != nil {
		return err
	}
	out := make([]GroupRequest, len(rs))
	for i, r := range rs {
		out[i] = groupRequestView(r)
	}
	return c.JSON(http.StatusOK, map[string]any{"requests": out, "next_after": nilIfZero(next)})
}

type joinRequestBody struct {
	Message string `json:"message"`
}

func (s *server) createGroupRequest(c echo.Context) error {
	var req joinRequestBody
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	r, err := s.Groups.CreateRequest(c.Request().Context(), a, c.Param("slug"), req.Message)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, groupRequestView(*r))
}

type decisionBody struct {
	Reason string `json:"reason"`
}

func (s *server) decideGroupRequest(approve bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathInt(c, "id")
		if err != nil {
			return err
		}
		var req decisionBody
		if c.Request().ContentLength != 0 || !approve {
			if err := decodeJSON(c, &req); err != nil {
				return err
			}
		}
		a, err := s.actor(c)
		if err != nil {
			return err
		}
		r, err := s.Groups.Decide(c.Request().Context(), a, c.Param("slug"), id, approve, req.Reason)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, groupRequestView(*r))
	}
}

type inviteBody struct {
	Username  string `json:"username"`
	ExpiresIn int    `json:"expires_in"` // seconds
	MaxUses   *int   `json:"max_uses"`
}

func (s *server) createGroupInvite(c echo.Context) error {
	var req inviteBody
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.ExpiresIn < 0 || req.ExpiresIn > int(group.InviteTTLMax/time.Second) {
		return apperr.Validation(map[string]string{"expires_in": "must be between 60 seconds and 90 days (in seconds)"})
	}
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	inv, err := s.Groups.CreateInvite(c.Request().Context(), a, c.Param("slug"), group.InviteInput{
		Username: req.Username, ExpiresIn: time.Duration(req.ExpiresIn) * time.Second, MaxUses: req.MaxUses,
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, inviteView(inv.GroupInvite, inv.Token, inv.Invitee))
}

func (s *server) listGroupInvites(c echo.Context) error {
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	invs, err := s.Groups.Invites(c.Request().Context(), a, c.Param("slug"))
	if err != nil {
		return err
	}
	out := make([]GroupInvite, len(invs))
	for i, inv := range invs {
		out[i] = inviteView(inv.GroupInvite, "", inv.Invitee)
	}
	return c.JSON(http.StatusOK, map[string]any{"invites": out})
}

func (s *server) revokeGroupInvite(c echo.Context) error {
	id, err := pathInt(c, "id")
	if err != nil {
		return err
	}
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	if err := s.Groups.RevokeInvite(c.Request().Context(), a, c.Param("slug"), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *server) acceptGroupInvite(c echo.Context) error {
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	v, err := s.Groups.AcceptInvite(c.Request().Context(), a, c.Param("token"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, groupView(v))
}

func (s *server) groupFeed(c echo.Context) error {
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	var before int64
	if v := c.QueryParam("before"); v != "" {
		if before, err = strconv.ParseInt(v, 10, 64); err != nil || before < 0 {
			return apperr.Invalid("invalid_parameter", "query parameter before must be a non-negative integer")
		}
	}
	limit, err := queryInt(c, "limit")
	if err != nil {
		return err
	}
	evs, next, err := s.Groups.Feed(c.Request().Context(), a, c.Param("slug"), before, limit)
	if err != nil {
		return err
	}
	out := make([]FeedItem, len(evs))
	for i, e := range evs {
		out[i] = feedItem(e)
	}
	var nb *int64
	if next != 0 {
		nb = &next
	}
	return c.JSON(http.StatusOK, map[string]any{"events": out, "next_before": nb})
}

func (s *server) listGroupForums(c echo.Context) error {
	ctx := c.Request().Context()
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	g, err := s.Groups.Space(ctx, a, c.Param("slug"))
	if err != nil {
		return err
	}
	fs, err := s.Forums.GroupForums(ctx, a, g.ID)
	if err != nil {
		return err
	}
	levels, err := s.Forums.ForumLevels(ctx, a)
	if err != nil {
		return err
	}
	out := make([]Forum, len(fs))
	for i, f := range fs {
		out[i] = forumView(a, f, levels[f.ID], forum.Unread{})
	}
	return c.JSON(http.StatusOK, map[string]any{"forums": out})
}

func (s *server) createGroupForum(c echo.Context) error {
	var req forumRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	ctx := c.Request().Context()
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	g, err := s.Groups.Space(ctx, a, c.Param("slug"))
	if err != nil {
		return err
	}
	in := req.input()
	in.GroupID = g.ID
	f, err := s.Forums.CreateForum(ctx, a, in)
	if err != nil {
		return err
	}
	return s.renderForum(c, a, f.ID, http.StatusCreated)
}
