package webui

import (
	"context"
	"net/url"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/internal/apperr"
)

// profileFollowsListed is how many followers and followees a profile lists;
// the rest are on /u/{username}/followers and /following.
const profileFollowsListed = 8

// followBox is the profile's followers, following and follow button
// (partials/graph.html, "follow-box"), also the answer to an htmx follow.
type followBox struct {
	User      *ent.User
	Self      bool // the reader's own profile
	Following bool // the reader follows them
	// Counted: the counts and lists are shown. Not for someone who opted
	// out of the graph, except to themselves.
	Counted                      bool
	Followers, Followees         int
	FollowerList, FolloweeList   []*ent.User
	MoreFollowers, MoreFollowees bool
	// OOB: an htmx answer, which also replaces the lists out of band.
	OOB bool
}

// followBox is nil for guests and without the graph: the API serves follow
// lists to members only.
func (s *server) followBox(ctx context.Context, rq *request, u *ent.User) (*followBox, error) {
	if s.Graph == nil || rq.user == nil {
		return nil, nil
	}
	b := &followBox{User: u, Self: rq.user.ID == u.ID}
	var err error
	if !b.Self {
		if b.Following, err = s.Graph.Following(ctx, rq.user.ID, u.ID); err != nil {
			return nil, err
		}
	}
	b.Followers, b.Followees, err = s.Graph.FollowCounts(ctx, rq.actor, u.Username)
	if e := apperr.As(err); e != nil && e.Kind == apperr.KindNotFound {
		return b, nil // opted out of the graph
	}
	if err != nil {
		return nil, err
	}
	b.Counted = true
	if b.Followers > 0 {
		p, err := s.Graph.Follows(ctx, rq.actor, u.Username, true, 0, profileFollowsListed)
		if err != nil {
			return nil, err
		}
		b.FollowerList, b.MoreFollowers = p.Users, p.Next != 0
	}
	if b.Followees > 0 {
		p, err := s.Graph.Follows(ctx, rq.actor, u.Username, false, 0, profileFollowsListed)
		if err != nil {
			return nil, err
		}
		b.FolloweeList, b.MoreFollowees = p.Users, p.Next != 0
	}
	return b, nil
}

// follow follows (on) or unfollows a member: htmx gets the profile's
// follow box back, a plain form returns to the profile.
func (s *server) follow(on bool) handler {
	return func(rq *request) error {
		if err := rq.requireUser(); err != nil {
			return err
		}
		ctx := rq.r.Context()
		name := rq.r.PathValue("username")
		if err := s.Graph.Follow(ctx, rq.actor, name, on); err != nil {
			return err
		}
		u, err := s.Accounts.ByUsername(ctx, name)
		if err != nil {
			return err
		}
		if !rq.htmx {
			return rq.redirect("/u/" + url.PathEscape(u.Username))
		}
		b, err := s.followBox(ctx, rq, u)
		if err != nil {
			return err
		}
		b.OOB = true
		rq.renderFragment(200, "follow-box", b)
		return nil
	}
}

type followsData struct {
	User      *ent.User
	Followers bool // followers of User; else whom User follows
	Users     []*ent.User
	Next      int
}

// followsPage lists a member's followers or whom they follow, a page at a
// time (the service's page size), newest first.
func (s *server) followsPage(followers bool) handler {
	return func(rq *request) error {
		if err := rq.requireUser(); err != nil {
			return err
		}
		ctx := rq.r.Context()
		u, err := s.Accounts.ByUsername(ctx, rq.r.PathValue("username"))
		if err != nil {
			return err
		}
		p, err := s.Graph.Follows(ctx, rq.actor, u.Username, followers, rq.queryInt("cursor"), 0)
		if err != nil {
			return err
		}
		d := followsData{User: u, Followers: followers, Users: p.Users, Next: p.Next}
		name := u.DisplayName
		if name == "" {
			name = u.Username
		}
		id := "follows.following_title"
		if followers {
			id = "follows.followers_title"
		}
		return rq.render("follows", rq.lang.T(id, "Name", name), d)
	}
}
