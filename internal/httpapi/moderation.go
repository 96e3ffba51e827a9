package httpapi

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/moderation"
)

// routesModeration adds flags, the review queue, moderators' actions on
// topics and users, auto-moderation settings and the audit log.
func (s *server) routesModeration(api *echo.Group) {
	api.POST("/flags", s.createFlag, requireUser)

	mod := api.Group("/moderation", requireUser, s.requireModeration)
	mod.GET("/queue", s.listQueue)
	mod.GET("/queue/:id", s.getQueueItem)
	mod.POST("/queue/:id/:action", s.actOnQueueItem)
	mod.GET("/audit", s.listAudit)
	mod.POST("/audit/:id/revert", s.revertAudit)

	for _, action := range []string{"lock", "unlock", "pin", "unpin"} {
		api.POST("/topics/:id/"+action, s.topicAction(action), requireUser, s.requireModeration)
	}
	api.POST("/topics/:id/move", s.moveTopic, requireUser, s.requireModeration)
	api.POST("/topics/:id/merge", s.mergeTopic, requireUser, s.requireModeration)
	api.POST("/topics/:id/split", s.splitTopic, requireUser, s.requireModeration)
	api.POST("/posts/:id/hide", s.hidePost(true), requireUser, s.requireModeration)
	api.POST("/posts/:id/unhide", s.hidePost(false), requireUser, s.requireModeration)

	for _, action := range []string{"warn", "silence", "suspend", "unsilence", "unsuspend"} {
		api.POST("/users/:username/"+action, s.userAction(action), requireUser, s.requireModeration)
	}
	api.PUT("/users/:username/trust-level", s.putTrustLevel, requireUser, s.requireModeration)

	api.GET("/admin/automod", s.getAutomod, requireUser, s.requireModeration)
	api.PUT("/admin/automod", s.putAutomod, requireUser, s.requireModeration)
}

// requireModeration answers 503 on a server built without moderation.
func (s *server) requireModeration(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.Moderation == nil {
			return apperr.Unavailable("moderation_unavailable", "moderation is not enabled on this server", nil)
		}
		return next(c)
	}
}

// decodeOptionalJSON binds a body when there is one; an absent body leaves v as is.
func decodeOptionalJSON(c echo.Context, v any) error {
	r := c.Request()
	if r.ContentLength == 0 && r.Header.Get(echo.HeaderContentType) == "" {
		return nil
	}
	return decodeJSON(c, v)
}

type flagRequest struct {
	TargetType string `json:"target_type"`
	TargetID   int    `json:"target_id"`
	Reason     string `json:"reason"`
	Text       string `json:"text"`
}

// Flag is a member's report as its author sees it.
type Flag struct {
	ID         int       `json:"id"`
	TargetType string    `json:"target_type"`
	TargetID   int       `json:"target_id"`
	Reason     string    `json:"reason"`
	Text       string    `json:"text"`
	Weight     int       `json:"weight"`
	Status     string    `json:"status"`
	CreatedAt  time.Time `json:"created_at"`
	FlaggerID  int       `json:"flagger_id,omitempty"`
}

func flagView(f *ent.Flag, withFlagger bool) Flag {
	v := Flag{ID: f.ID, TargetType: string(f.TargetType), TargetID: f.TargetID, Reason: string(f.Reason), Text: f.Text,
		Weight: f.Weight, Status: string(f.Status), CreatedAt: f.CreatedAt.UTC()}
	if withFlagger {
		v.FlaggerID = f.UserID
	}
	return v
}

func (s *server) createFlag(c echo.Context) error {
	if s.Moderation == nil {
		return apperr.Unavailable("moderation_unavailable", "moderation is not enabled on this server", nil)
	}
	var req flagRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	f, err := s.Moderation.Flag(c.Request().Context(), a, moderation.FlagInput{TargetType: req.TargetType, TargetID: req.TargetID, Reason: req.Reason, Text: req.Text})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, flagView(f, false))
}

// QueueItem is a review-queue entry with its context.
type QueueItem struct {
	ID            int                      `json:"id"`
	TargetType    string                   `json:"target_type"`
	TargetID      int                      `json:"target_id"`
	ForumID       *int                     `json:"forum_id"`
	GroupID       *int                     `json:"group_id"`
	Kind          string                   `json:"kind"`
	Reasons       []string                 `json:"reasons"`
	Score         int                      `json:"score"`
	Status        string                   `json:"status"`
	Resolution    string                   `json:"resolution"`
	AssignedTo    *UserRef                 `json:"assigned_to"`
	Author        *UserRef                 `json:"author"`
	AgeSeconds    int64                    `json:"age_seconds"`
	CreatedAt     time.Time                `json:"created_at"`
	FirstActionAt *time.Time               `json:"first_action_at"`
	ResolvedAt    *time.Time               `json:"resolved_at"`
	Post          *Post                    `json:"post,omitempty"`
	TopicTitle    string                   `json:"topic_title,omitempty"`
	User          *PublicUser              `json:"user,omitempty"`
	Flags         []Flag                   `json:"flags"`
	Notes         []QueueNote              `json:"notes"`
	History       moderation.AuthorHistory `json:"author_history"`
}

// QueueNote is a moderator's private note.
type QueueNote struct {
	ID        int       `json:"id"`
	Author    *UserRef  `json:"author"`
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"created_at"`
}

func (s *server) renderItems(c echo.Context, items []*moderation.Item) ([]QueueItem, error) {
	var ids []int
	for _, it := range items {
		ids = append(ids, intOrZero(it.AuthorID), intOrZero(it.AssignedToID))
		for _, n := range it.Notes {
			ids = append(ids, n.UserID)
		}
		if it.Post != nil {
			ids = append(ids, it.Post.UserID)
		}
	}
	users, err := s.usersOf(c.Request().Context(), ids...)
	if err != nil {
		return nil, err
	}
	out := make([]QueueItem, 0, len(items))
	for _, it := range items {
		v := QueueItem{ID: it.ID, TargetType: string(it.TargetType), TargetID: it.TargetID, ForumID: it.ForumID, GroupID: it.GroupID, Kind: string(it.Kind),
			Reasons: it.Reasons, Score: it.Score, Status: string(it.Status), Resolution: it.Resolution,
			AgeSeconds: int64(it.Age / time.Second), CreatedAt: it.CreatedAt.UTC(), FirstActionAt: utc(it.FirstActionAt),
			ResolvedAt: utc(it.ResolvedAt), History: it.History, Flags: []Flag{}, Notes: []QueueNote{}}
		if v.Reasons == nil {
			v.Reasons = []string{}
		}
		if it.AuthorID != nil {
			v.Author = userRef(users[*it.AuthorID])
		}
		if it.AssignedToID != nil {
			v.AssignedTo = userRef(users[*it.AssignedToID])
		}
		if it.Post != nil {
			pv := postView(it.Post, users, nil, false, nil)
			v.Post = &pv
		}
		if it.Topic != nil {
			v.TopicTitle = it.Topic.Title
		}
		if it.User != nil {
			pu := publicUser(it.User)
			v.User = &pu
		}
		for _, f := range it.Flags {
			v.Flags = append(v.Flags, flagView(f, true))
		}
		for _, n := range it.Notes {
			v.Notes = append(v.Notes, QueueNote{ID: n.ID, Author: userRef(users[n.UserID]), Body: n.Body, CreatedAt: n.CreatedAt.UTC()})
		}
		out = append(out, v)
	}
	return out, nil
}

func intOrZero(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

func (s *server) listQueue(c echo.Context) error {
	before, err := queryInt(c, "cursor")
	if err != nil {
		return err
	}
	limit, err := queryInt(c, "limit")
	if err != nil {
		return err
	}
	assigned, err := queryInt(c, "assigned")
	if err != nil {
		return err
	}
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	page, err := s.Moderation.Queue(c.Request().Context(), a, moderation.QueueQuery{
		Status: c.QueryParam("status"), Kind: c.QueryParam("kind"), Assigned: assigned, Before: before, Limit: limit})
	if err != nil {
		return err
	}
	items, err := s.renderItems(c, page.Items)
	if err != nil {
		return err
	}
	var next any
	if page.Next != 0 {
		next = strconv.Itoa(page.Next)
	}
	return c.JSON(http.StatusOK, map[string]any{"items": items, "next_cursor": next, "open_count": page.Open,
		"median_first_action_seconds": int64(page.MedianFirstAction / time.Second)})
}

func (s *server) getQueueItem(c echo.Context) error {
	id, err := pathInt(c, "id")
	if err != nil {
		return err
	}
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	it, err := s.Moderation.QueueItem(c.Request().Context(), a, id)
	if err != nil {
		return err
	}
	out, err := s.renderItems(c, []*moderation.Item{it})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out[0])
}

type queueActionRequest struct {
	Reason        string `json:"reason"`
	Body          string `json:"body"`
	UserID        int    `json:"user_id"`
	DurationHours int    `json:"duration_hours"`
}

func (s *server) actOnQueueItem(c echo.Context) error {
	id, err := pathInt(c, "id")
	if err != nil {
		return err
	}
	var req queueActionRequest
	if err := decodeOptionalJSON(c, &req); err != nil {
		return err
	}
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	it, err := s.Moderation.Act(c.Request().Context(), a, id, c.Param("action"),
		moderation.ActInput{Reason: req.Reason, Body: req.Body, UserID: req.UserID, DurationHours: req.DurationHours})
	if err != nil {
		return err
	}
	out, err := s.renderItems(c, []*moderation.Item{it})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out[0])
}

type reasonRequest struct {
	Reason string `json:"reason"`
}

func (s *server) topicAction(action string) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathInt(c, "id")
		if err != nil {
			return err
		}
		var req reasonRequest
		if err := decodeOptionalJSON(c, &req); err != nil {
			return err
		}
		a, err := s.actor(c)
		if err != nil {
			return err
		}
		if err := s.Moderation.TopicAction(c.Request().Context(), a, id, action, req.Reason); err != nil {
			return err
		}
		return s.renderTopicByID(c, id, http.StatusOK)
	}
}

// renderTopicByID answers with the topic as the caller now sees it.
func (s *server) renderTopicByID(c echo.Context, id, status int) error {
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	tv, err := s.Forums.Topic(ctx, a, id, false)
	if err != nil {
		return err
	}
	users, err := s.usersOf(ctx, topicUserIDs(tv)...)
	if err != nil {
		return err
	}
	return c.JSON(status, topicView(tv, users, true))
}

type moveRequest struct {
	ForumID int    `json:"forum_id"`
	Reason  string `json:"reason"`
}

func (s *server) moveTopic(c echo.Context) error {
	id, err := pathInt(c, "id")
	if err != nil {
		return err
	}
	var req moveRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.ForumID <= 0 {
		return validation("forum_id", "is required")
	}
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	if err := s.Moderation.MoveTopic(c.Request().Context(), a, id, req.ForumID, req.Reason); err != nil {
		return err
	}
	return s.renderTopicByID(c, id, http.StatusOK)
}

type mergeRequest struct {
	IntoTopicID int    `json:"into_topic_id"`
	Reason      string `json:"reason"`
}

func (s *server) mergeTopic(c echo.Context) error {
	id, err := pathInt(c, "id")
	if err != nil {
		return err
	}
	var req mergeRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.IntoTopicID <= 0 {
		return validation("into_topic_id", "is required")
	}
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	auditID, err := s.Moderation.MergeTopic(c.Request().Context(), a, id, req.IntoTopicID, req.Reason)
	if err != nil {
		return err
	}
	c.Response().Header().Set("X-Audit-Id", strconv.Itoa(auditID))
	return s.renderTopicByID(c, req.IntoTopicID, http.StatusOK)
}

type splitRequest struct {
	PostIDs []int  `json:"post_ids"`
	Title   string `json:"title"`
	ForumID int    `json:"forum_id"`
	Reason  string `json:"reason"`
}

func (s *server) splitTopic(c echo.Context) error {
	id, err := pathInt(c, "id")
	if err != nil {
		return err
	}
	var req splitRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	newID, err := s.Moderation.SplitTopic(c.Request().Context(), a, id, moderation.SplitInput{PostIDs: req.PostIDs, Title: req.Title, ForumID: req.ForumID, Reason: req.Reason})
	if err != nil {
		return err
	}
	return s.renderTopicByID(c, newID, http.StatusCreated)
}

func (s *server) hidePost(hide bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathInt(c, "id")
		if err != nil {
			return err
		}
		var req reasonRequest
		if err := decodeOptionalJSON(c, &req); err != nil {
			return err
		}
		a, err := s.actor(c)
		if err != nil {
			return err
		}
		ctx := c.Request().Context()
		if hide {
			err = s.Moderation.HidePost(ctx, a, id, req.Reason)
		} else {
			err = s.Moderation.UnhidePost(ctx, a, id, req.Reason)
		}
		if err != nil {
			return err
		}
		p, err := s.Forums.Post(ctx, a, id)
		if err != nil {
			return err
		}
		return s.renderPost(c, a, p, http.StatusOK)
	}
}

type sanctionRequest struct {
	Reason        string `json:"reason"`
	DurationHours int    `json:"duration_hours"`
}

func (s *server) userAction(action string) echo.HandlerFunc {
	return func(c echo.Context) error {
		var req sanctionRequest
		if err := decodeOptionalJSON(c, &req); err != nil {
			return err
		}
		a, err := s.actor(c)
		if err != nil {
			return err
		}
		ctx, name := c.Request().Context(), c.Param("username")
		if (action == "warn" || action == "unsilence" || action == "unsuspend") && req.DurationHours != 0 {
			return validation("duration_hours", "is only for silence and suspend")
		}
		d := time.Duration(req.DurationHours) * time.Hour
		switch action {
		case "warn":
			err = s.Moderation.Warn(ctx, a, name, req.Reason)
		case "silence":
			err = s.Moderation.Silence(ctx, a, name, d, req.Reason)
		case "suspend":
			err = s.Moderation.Suspend(ctx, a, name, d, req.Reason)
		case "unsilence":
			err = s.Moderation.Unsilence(ctx, a, name, req.Reason)
		case "unsuspend":
			err = s.Moderation.Unsuspend(ctx, a, name, req.Reason)
		}
		if err != nil {
			return err
		}
		u, err := s.Accounts.ByUsername(ctx, name)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, moderatedUser(u))
	}
}

// ModeratedUser is what moderators see of an account they act on.
type ModeratedUser struct {
	PublicUser
	Status           string `json:"status"`
	TrustLevelLocked bool   `json:"trust_level_locked"`
	DaysVisited      int    `json:"days_visited"`
}

func moderatedUser(u *ent.User) ModeratedUser {
	return ModeratedUser{PublicUser: publicUser(u), Status: string(u.Status), TrustLevelLocked: u.TrustLevelLocked, DaysVisited: u.DaysVisited}
}

type trustRequest struct {
	Level  *int   `json:"level"`
	Locked *bool  `json:"locked"`
	Reason string `json:"reason"`
}

func (s *server) putTrustLevel(c echo.Context) error {
	var req trustRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.Level == nil {
		return validation("level", "is required")
	}
	locked := true // a level set by hand stays unless unlocked
	if req.Locked != nil {
		locked = *req.Locked
	}
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	u, err := s.Moderation.SetTrustLevel(c.Request().Context(), a, c.Param("username"), *req.Level, locked, req.Reason)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, moderatedUser(u))
}

func (s *server) getAutomod(c echo.Context) error {
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	st, err := s.Moderation.Settings(c.Request().Context(), a)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, st)
}

type automodRequest struct {
	moderation.Settings
	Reason string `json:"reason"`
}

func (s *server) putAutomod(c echo.Context) error {
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	// Start from what is in force, so a client may send only what it changes.
	cur, err := s.Moderation.Settings(c.Request().Context(), a)
	if err != nil {
		return err
	}
	req := automodRequest{Settings: cur}
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	st, err := s.Moderation.PutSettings(c.Request().Context(), a, req.Settings, req.Reason)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, st)
}

// AuditEntry is one line of the audit log.
type AuditEntry struct {
	ID         int            `json:"id"`
	Actor      *UserRef       `json:"actor"` // null: the system
	Action     string         `json:"action"`
	TargetType string         `json:"target_type"`
	TargetID   *int           `json:"target_id"`
	ForumID    *int           `json:"forum_id"`
	GroupID    *int           `json:"group_id"`
	Reason     string         `json:"reason"`
	Before     map[string]any `json:"before"`
	After      map[string]any `json:"after"`
	RevertsID  *int           `json:"reverts_id"`
	CreatedAt  time.Time      `json:"created_at"`
}

// parseTime reads an optional RFC 3339 time or date query parameter.
func parseTime(c echo.Context, name string) (time.Time, error) {
	v := c.QueryParam(name)
	if v == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, nil
		}
	}
	return time.Time{}, validation(name, "must be an RFC 3339 time or a YYYY-MM-DD date")
}

func (s *server) listAudit(c echo.Context) error {
	q := moderation.AuditQuery{Actor: c.QueryParam("actor"), Action: c.QueryParam("action")}
	var err error
	if q.Before, err = queryInt(c, "cursor"); err != nil {
		return err
	}
	if q.Limit, err = queryInt(c, "limit"); err != nil {
		return err
	}
	if q.From, err = parseTime(c, "from"); err != nil {
		return err
	}
	if q.To, err = parseTime(c, "to"); err != nil {
		return err
	}
	if t := c.QueryParam("target"); t != "" {
		typ, id, ok := strings.Cut(t, ":")
		n, convErr := strconv.Atoi(id)
		if !ok || typ == "" || convErr != nil || n <= 0 {
			return validation("target", "must be type:id, e.g. post:12 or user:5")
		}
		q.TargetType, q.TargetID = typ, n
	}
	format := c.QueryParam("format")
	if format != "" && format != "json" && format != "csv" {
		return validation("format", "must be json or csv")
	}
	if format == "csv" && q.Limit == 0 {
		q.Limit = moderation.MaxAuditExport
	}
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	page, err := s.Moderation.Audit(ctx, a, q)
	if err != nil {
		return err
	}
	var ids []int
	for _, e := range page.Entries {
		ids = append(ids, intOrZero(e.ActorID))
	}
	if format == "csv" {
		names, err := s.Moderation.Usernames(ctx, ids)
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		if err := moderation.WriteCSV(&buf, page.Entries, names); err != nil {
			return apperr.Internal("audit csv", err)
		}
		c.Response().Header().Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="crn-audit-%s.csv"`, time.Now().UTC().Format("20060102-150405")))
		if page.Next != 0 {
			c.Response().Header().Set("X-Next-Cursor", strconv.Itoa(page.Next))
		}
		return c.Blob(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
	}
	users, err := s.usersOf(ctx, ids...)
	if err != nil {
		return err
	}
	out := make([]AuditEntry, 0, len(page.Entries))
	for _, e := range page.Entries {
		v := AuditEntry{ID: e.ID, Action: e.Action, TargetType: e.TargetType, TargetID: e.TargetID, ForumID: e.ForumID, GroupID: e.GroupID, Reason: e.Reason,
			Before: e.Before, After: e.After, RevertsID: e.RevertsID, CreatedAt: e.CreatedAt.UTC()}
		if e.ActorID != nil {
			v.Actor = userRef(users[*e.ActorID])
		}
		out = append(out, v)
	}
	var next any
	if page.Next != 0 {
		next = strconv.Itoa(page.Next)
	}
	return c.JSON(http.StatusOK, map[string]any{"entries": out, "next_cursor": next})
}

func (s *server) revertAudit(c echo.Context) error {
	id, err := pathInt(c, "id")
	if err != nil {
		return err
	}
	var req reasonRequest
	if err := decodeOptionalJSON(c, &req); err != nil {
		return err
	}
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	e, err := s.Moderation.Revert(c.Request().Context(), a, id, req.Reason)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"id": e.ID, "action": e.Action, "reverts_id": e.RevertsID})
}
