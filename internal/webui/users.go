package webui

import (
	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/user"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/group"
	"github.com/crn-dev/crn/internal/resource"
)

// profileItems is how many recent topics and posts a profile shows.
const profileItems = 10

type profileData struct {
	User   *ent.User
	Topics []topicRow
	Posts  []*ent.Post
	Self   bool
	Groups []*group.View // those whose members the reader may see
	Follow *followBox    // followers, following and the follow button; nil: not shown
}

// profilePage shows a member and their recent activity.
func (s *server) profilePage(rq *request) error {
	ctx := rq.r.Context()
	u, err := s.Accounts.ByUsername(ctx, rq.r.PathValue("username"))
	if err != nil {
		return err
	}
	if u.Status == user.StatusSuspended {
		return apperr.NotFound("user_not_found", "no such user")
	}
	d := profileData{User: u, Self: rq.user != nil && rq.user.ID == u.ID}
	tvs, err := s.Forums.UserTopics(ctx, rq.actor, u.ID, 0, profileItems)
	if err != nil {
		return err
	}
	if d.Topics, err = s.topicRows(ctx, rq, tvs, nil); err != nil {
		return err
	}
	if d.Posts, err = s.Forums.UserPosts(ctx, rq.actor, u.ID, 0, profileItems); err != nil {
		return err
	}
	if d.Groups, err = s.userGroups(ctx, rq, u.ID); err != nil {
		return err
	}
	if d.Follow, err = s.followBox(ctx, rq, u); err != nil {
		return err
	}
	title := u.DisplayName
	if title == "" {
		title = u.Username
	}
	return rq.render("profile", title, d)
}

type bookmarksData struct {
	Posts     []*ent.Post
	Resources []*resource.View // nil without resources
	More      bool             // more bookmarked resources than shown
	HasLib    bool             // the server has a resource library
}

// bookmarksPage lists the reader's bookmarked posts and resources.
func (s *server) bookmarksPage(rq *request) error {
	if err := rq.requireUser(); err != nil {
		return err
	}
	ctx := rq.r.Context()
	ps, err := s.Forums.Bookmarks(ctx, rq.actor, 50)
	if err != nil {
		return err
	}
	d := bookmarksData{Posts: ps, HasLib: s.Resources != nil}
	if s.Resources != nil {
		page, err := s.Resources.List(ctx, rq.actor, resource.ListQuery{Bookmarked: true, Limit: bookmarkedResourcesShown})
		if err != nil {
			return err
		}
		d.Resources, d.More = page.Resources, page.Next != ""
	}
	return rq.render("bookmarks", rq.lang.T("bookmarks.title"), d)
}

// bookmarkedResourcesShown is how many bookmarked resources /bookmarks
// lists; the rest are on /resources?bookmarked=1.
const bookmarkedResourcesShown = 20
