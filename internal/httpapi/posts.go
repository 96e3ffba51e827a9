package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/forum"
)

// renderPosts turns posts into API views with authors and the caller's
// reactions and bookmarks, in three queries whatever the page size.
func (s *server) renderPosts(c echo.Context, a authz.Actor, ps []*ent.Post, accepted *int) ([]Post, error) {
	ctx := c.Request().Context()
	ids := make([]int, 0, len(ps))
	userIDs := make([]int, 0, 2*len(ps))
	for _, p := range ps {
		ids = append(ids, p.ID)
		userIDs = append(userIDs, p.UserID)
		if p.ReplyToUserID != nil {
			userIDs = append(userIDs, *p.ReplyToUserID)
		}
	}
	users, err := s.usersOf(ctx, userIDs...)
	if err != nil {
		return nil, err
	}
	marks, err := s.Forums.ReaderMarks(ctx, a, ids)
	if err != nil {
		return nil, err
	}
	out := make([]Post, len(ps))
	for i, p := range ps {
		out[i] = postView(p, users, marks.Reactions[p.ID], marks.Bookmarked[p.ID], accepted)
	}
	return out, nil
}

func (s *server) renderPost(c echo.Context, a authz.Actor, p *ent.Post, status int) error {
	out, err := s.renderPosts(c, a, []*ent.Post{p}, nil)
	if err != nil {
		return err
	}
	return c.JSON(status, out[0])
}

func (s *server) listPosts(c echo.Context) error {
	id, err := pathInt(c, "id")
	if err != nil {
		return err
	}
	near, err := queryInt(c, "near")
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
	page, err := s.Forums.Posts(ctx, a, id, forum.PostQuery{Cursor: c.QueryParam("cursor"), Near: near, Limit: limit, Bare: true})
	if err != nil {
		return err
	}
	posts, err := s.renderPosts(c, a, page.Posts, page.Topic.AcceptedPostID)
	if err != nil {
		return err
	}
	body := map[string]any{"posts": posts, "next_cursor": nilIfEmpty(page.Next), "prev_cursor": nilIfEmpty(page.Prev)}
	return c.JSON(http.StatusOK, body)
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

type createPostRequest struct {
	Body    string `json:"body"`
	ReplyTo *int   `json:"reply_to"`
}

func (s *server) createPost(c echo.Context) error {
	id, err := pathInt(c, "id")
	if err != nil {
		return err
	}
	var req createPostRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	in := forum.PostInput{Body: req.Body}
	if req.ReplyTo != nil {
		in.ReplyTo = *req.ReplyTo
	}
	p, err := s.Forums.CreatePost(c.Request().Context(), a, id, in)
	if err != nil {
		return err
	}
	// A new post has no reactions or bookmarks yet, and its author is
	// the caller: only the user it replies to may need loading.
	users := map[int]*ent.User{}
	if me := mustPrincipal(c).User; me != nil && me.ID == p.UserID {
		users[me.ID] = me
	}
	if p.ReplyToUserID != nil || users[p.UserID] == nil {
		if users, err = s.usersOf(c.Request().Context(), p.UserID, intOrZero(p.ReplyToUserID)); err != nil {
			return err
		}
	}
	return c.JSON(http.StatusCreated, postView(p, users, nil, false, nil))
}

func (s *server) getPost(c echo.Context) error {
	id, err := pathInt(c, "id")
	if err != nil {
		return err
	}
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	p, err := s.Forums.Post(c.Request().Context(), a, id)
	if err != nil {
		return err
	}
	return s.renderPost(c, a, p, http.StatusOK)
}

type patchPostRequest struct {
	Body string `json:"body"`
}

func (s *server) patchPost(c echo.Context) error {
	id, err := pathInt(c, "id")
	if err != nil {
		return err
	}
	var req patchPostRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	p, err := s.Forums.EditPost(c.Request().Context(), a, id, req.Body)
	if err != nil {
		return err
	}
	return s.renderPost(c, a, p, http.StatusOK)
}

func (s *server) deletePost(c echo.Context) error {
	id, err := pathInt(c, "id")
	if err != nil {
		return err
	}
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	if err := s.Forums.DeletePost(c.Request().Context(), a, id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *server) restorePost(c echo.Context) error {
	id, err := pathInt(c, "id")
	if err != nil {
		return err
	}
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	p, err := s.Forums.RestorePost(c.Request().Context(), a, id)
	if err != nil {
		return err
	}
	return s.renderPost(c, a, p, http.StatusOK)
}

// Revision is one version of an edited post.
type Revision struct {
	Version   int      `json:"version"`
	Editor    *UserRef `json:"editor"`
	Source    string   `json:"source"`
	CreatedAt string   `json:"created_at"`
}

func (s *server) listRevisions(c echo.Context) error {
	id, err := pathInt(c, "id")
	if err != nil {
		return err
	}
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	rs, err := s.Forums.Revisions(ctx, a, id)
	if err != nil {
		return err
	}
	ids := make([]int, len(rs))
	for i, r := range rs {
		ids[i] = r.UserID
	}
	users, err := s.usersOf(ctx, ids...)
	if err != nil {
		return err
	}
	out := make([]Revision, len(rs))
	for i, r := range rs {
		out[i] = Revision{Version: r.Version, Editor: userRef(users[r.UserID]), Source: r.Source, CreatedAt: r.CreatedAt.UTC().Format("2006-01-02T15:04:05.999999999Z07:00")}
	}
	return c.JSON(http.StatusOK, map[string]any{"revisions": out})
}

func (s *server) react(on bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathInt(c, "id")
		if err != nil {
			return err
		}
		a, err := s.actor(c)
		if err != nil {
			return err
		}
		p, err := s.Forums.React(c.Request().Context(), a, id, c.Param("kind"), on)
		if err != nil {
			return err
		}
		return s.renderPost(c, a, p, http.StatusOK)
	}
}

func (s *server) bookmark(on bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathInt(c, "id")
		if err != nil {
			return err
		}
		a, err := s.actor(c)
		if err != nil {
			return err
		}
		if err := s.Forums.Bookmark(c.Request().Context(), a, id, on); err != nil {
			return err
		}
		return c.NoContent(http.StatusNoContent)
	}
}

func (s *server) listBookmarks(c echo.Context) error {
	limit, err := queryInt(c, "limit")
	if err != nil {
		return err
	}
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	ps, err := s.Forums.Bookmarks(c.Request().Context(), a, limit)
	if err != nil {
		return err
	}
	out, err := s.renderPosts(c, a, ps, nil)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"posts": out})
}
