package webui

import (
	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/internal/forum"
)

// Limits of the front page.
const (
	homeLatest = 15  // latest topics shown
	homeOnline = 100 // people shown online
)

type forumRow struct {
	*ent.Forum
	Unread forum.Unread
}

type homeData struct {
	Forums []forumRow
	Latest []topicRow
	Online []*ent.User
	More   int // online but not shown
}

// home shows the forums, the latest topics and who is online.
func (s *server) home(rq *request) error {
	ctx := rq.r.Context()
	fs, err := s.Forums.Forums(ctx, rq.actor)
	if err != nil {
		return err
	}
	var unread map[int]forum.Unread
	if rq.user != nil {
		if unread, err = s.Forums.UnreadCounts(ctx, rq.actor, rq.user.CreatedAt); err != nil {
			return err
		}
	}
	d := homeData{}
	byID := map[int]*ent.Forum{}
	for _, f := range fs {
		d.Forums = append(d.Forums, forumRow{Forum: f, Unread: unread[f.ID]})
		byID[f.ID] = f
	}
	latest, err := s.Forums.LatestTopics(ctx, rq.actor, homeLatest)
	if err != nil {
		return err
	}
	if d.Latest, err = s.topicRows(ctx, rq, latest, byID); err != nil {
		return err
	}
	if d.Online, d.More, err = s.online(rq); err != nil {
		return err
	}
	return rq.render("home", rq.lang.T("home.title"), d)
}

// online lists who is connected to the live feed right now.
func (s *server) online(rq *request) ([]*ent.User, int, error) {
	if s.Realtime == nil {
		return nil, 0, nil
	}
	ctx := rq.r.Context()
	ids, err := s.Realtime.Present(ctx, rq.actor, "online")
	if err != nil {
		// Presence is a nicety: a Redis blip must not take the front page down.
		s.Log.Warn("presence unavailable", "err", err)
		return nil, 0, nil
	}
	more := 0
	if len(ids) > homeOnline {
		more, ids = len(ids)-homeOnline, ids[:homeOnline]
	}
	users, err := s.usersOf(ctx, ids...)
	if err != nil {
		return nil, 0, err
	}
	out := make([]*ent.User, 0, len(ids))
	for _, id := range ids {
		if u := users[id]; u != nil {
			out = append(out, u)
		}
	}
	return out, more, nil
}
