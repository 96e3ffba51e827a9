package webui

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/forum"
)

type forumData struct {
	Forum    *ent.Forum
	Pinned   []topicRow
	Topics   []topicRow
	Next     string // URL of the next page
	Sort     string
	Tag      string
	Sorts    []string
	CanStart bool
	Follow   subscriptionData
}

// forumPage lists a forum's topics.
func (s *server) forumPage(rq *request) error {
	id, err := rq.pathID("id")
	if err != nil {
		return err
	}
	ctx := rq.r.Context()
	f, err := s.Forums.Forum(ctx, rq.actor, id)
	if err != nil {
		return err
	}
	if string(f.Kind) == "feedback" && s.Feedback != nil { // a feedback board: votes and statuses
		return rq.redirect("/feedback?board=" + strconv.Itoa(f.ID))
	}
	q := rq.r.URL.Query()
	lq := forum.ListQuery{Sort: q.Get("sort"), Cursor: q.Get("cursor"), Tag: q.Get("tag"), Period: q.Get("period")}
	page, err := s.Forums.Topics(ctx, rq.actor, f.ID, lq)
	if err != nil {
		return err
	}
	d := forumData{Forum: f, Sort: lq.Sort, Tag: lq.Tag, Sorts: []string{forum.SortLatest, forum.SortNew, forum.SortTop},
		CanStart: authz.CanStartTopic(rq.actor, f)}
	if d.Sort == "" {
		d.Sort = forum.SortLatest
	}
	if rq.user != nil {
		levels, err := s.Forums.ForumLevels(ctx, rq.actor)
		if err != nil {
			return err
		}
		d.Follow = forumFollow(f.ID, levels[f.ID])
	}
	if d.Pinned, err = s.topicRows(ctx, rq, page.Pinned, nil); err != nil {
		return err
	}
	if d.Topics, err = s.topicRows(ctx, rq, page.Topics, nil); err != nil {
		return err
	}
	if page.Next != "" {
		nq := url.Values{"cursor": {page.Next}, "sort": {d.Sort}}
		if lq.Tag != "" {
			nq.Set("tag", lq.Tag)
		}
		if lq.Period != "" {
			nq.Set("period", lq.Period)
		}
		d.Next = "/f/" + strconv.Itoa(f.ID) + "?" + nq.Encode()
	}
	return rq.render("forum", f.Name, d)
}

type newTopicData struct {
	Forum  *ent.Forum
	Title  string
	Body   string
	Tags   string
	Kind   string
	Errors map[string]string
}

func (s *server) newTopicPage(rq *request) error {
	if err := rq.requireUser(); err != nil {
		return err
	}
	id, err := rq.pathID("id")
	if err != nil {
		return err
	}
	f, err := s.Forums.Forum(rq.r.Context(), rq.actor, id)
	if err != nil {
		return err
	}
	return rq.render("newtopic", rq.lang.T("newtopic.title"), newTopicData{Forum: f, Kind: "discussion"})
}

// createTopic opens a topic from the new-topic form; invalid input shows the
// form again with its problems.
func (s *server) createTopic(rq *request) error {
	if err := rq.requireUser(); err != nil {
		return err
	}
	id, err := rq.pathID("id")
	if err != nil {
		return err
	}
	ctx := rq.r.Context()
	f, err := s.Forums.Forum(ctx, rq.actor, id)
	if err != nil {
		return err
	}
	in := forum.TopicInput{Title: rq.form("title"), Body: rq.form("body"), Kind: rq.form("kind"), Tags: splitTags(rq.form("tags"))}
	tv, _, err := s.Forums.CreateTopic(ctx, rq.actor, f.ID, in)
	if e := apperr.As(err); e != nil && e.Kind == apperr.KindUnprocessable {
		d := newTopicData{Forum: f, Title: in.Title, Body: in.Body, Tags: rq.form("tags"), Kind: in.Kind, Errors: e.Fields}
		return rq.renderView(422, "newtopic", rq.view(rq.lang.T("newtopic.title"), d))
	}
	if err != nil {
		return err
	}
	return rq.redirect("/t/" + strconv.Itoa(tv.ID))
}

// splitTags reads "a, b c" as tags a, b and c.
func splitTags(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '，' })
}

func forumFollow(id int, level string) subscriptionData {
	if level == "" {
		level = "normal"
	}
	return subscriptionData{Action: "/f/" + strconv.Itoa(id) + "/subscription", Level: level, Levels: subscriptionLevels}
}

// subscribeForum sets how closely the reader follows a forum.
func (s *server) subscribeForum(rq *request) error {
	if err := rq.requireUser(); err != nil {
		return err
	}
	id, err := rq.pathID("id")
	if err != nil {
		return err
	}
	level := rq.form("level")
	if err := s.Forums.SetForumLevel(rq.r.Context(), rq.actor, id, level); err != nil {
		return err
	}
	if !rq.htmx {
		return rq.redirect("/f/" + strconv.Itoa(id))
	}
	d := forumFollow(id, level)
	d.Saved = true
	rq.renderFragment(http.StatusOK, "subscription", d)
	return nil
}
