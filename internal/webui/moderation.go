package webui

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/internal/moderation"
)

// The review queue for moderators and the flag form on posts. The
// moderation service decides who may review, flag and act (authz.CanReview,
// authz.CanFlag); a member who opens the queue gets its 403.

func (s *server) routesModeration(h func(string, handler)) {
	h("GET /review", s.reviewPage)
	h("GET /review/audit", s.auditPage)
	h("GET /review/audit/{id}/revert", s.revertPage)
	h("POST /review/audit/{id}/revert", s.revertEntry)
	h("GET /review/automod", s.automodPage)
	h("POST /review/automod/rules", s.automodSave)
	h("POST /review/automod/rules/{n}/toggle", s.automodToggle)
	h("POST /review/automod/rules/{n}/delete", s.automodDelete)
	h("POST /review/automod/test", s.automodTest)
	h("GET /review/users/{username}", s.userAdminPage)
	h("POST /review/users/{username}/{action}", s.userAdminAct)
	h("POST /review/{id}/{action}", s.reviewAct)
	h("POST /p/{id}/flag", s.flagPost)
}

// reviewActions are the one-click actions the queue offers, with their
// keyboard shortcuts (app.js).
var reviewActions = []reviewAction{{"approve", "a"}, {"dismiss", "d"}, {"hide", "h"}, {"delete", "x"}}

type reviewAction struct{ Name, Key string }

type reviewData struct {
	Items    []*moderation.Item
	People   map[int]*ent.User // flaggers by id
	Authors  map[int]*ent.User // authors by review item id
	Status   string
	Kind     string
	Next     string
	Open     int
	Actions  []reviewAction
	Statuses []string
	Kinds    []string
}

// reviewPage shows the review queue: open items oldest first, each with
// its post, its flags and its author's history, and one-click actions. It
// updates live from the moderation channel; htmx (and the live feed) get
// the list alone.
func (s *server) reviewPage(rq *request) error {
	if err := rq.requireUser(); err != nil {
		return err
	}
	if s.Moderation == nil {
		return errNotFound
	}
	q := rq.r.URL.Query()
	d := reviewData{Status: q.Get("status"), Kind: q.Get("kind"), Actions: reviewActions,
		Statuses: []string{"open", "resolved"}, Kinds: []string{"", "flagged", "held", "automod"}}
	if d.Status == "" {
		d.Status = "open"
	}
	page, err := s.Moderation.Queue(rq.r.Context(), rq.actor, moderation.QueueQuery{Status: d.Status, Kind: d.Kind, Before: rq.queryInt("before")})
	if err != nil {
		return err
	}
	d.Items, d.Open = page.Items, page.Open
	var ids []int
	for _, it := range page.Items {
		if it.AuthorID != nil {
			ids = append(ids, *it.AuthorID)
		}
		for _, f := range it.Flags {
			ids = append(ids, f.UserID)
		}
	}
	if d.People, err = s.usersOf(rq.r.Context(), ids...); err != nil {
		return err
	}
	d.Authors = map[int]*ent.User{}
	for _, it := range page.Items {
		if it.AuthorID != nil {
			d.Authors[it.ID] = d.People[*it.AuthorID]
		}
	}
	if page.Next > 0 {
		d.Next = "/review?status=" + d.Status + "&kind=" + d.Kind + "&before=" + strconv.Itoa(page.Next)
	}
	if rq.htmx {
		rq.renderFragment(http.StatusOK, "review-list", d)
		return nil
	}
	return rq.render("moderation", rq.lang.T("review.title"), d)
}

// reviewAct applies one action to a review item and shows the queue again.
func (s *server) reviewAct(rq *request) error {
	if err := rq.requireUser(); err != nil {
		return err
	}
	if s.Moderation == nil {
		return errNotFound
	}
	id, err := rq.pathID("id")
	if err != nil {
		return err
	}
	action := rq.r.PathValue("action")
	if !slices.ContainsFunc(reviewActions, func(a reviewAction) bool { return a.Name == action }) {
		return errNotFound
	}
	if _, err := s.Moderation.Act(rq.r.Context(), rq.actor, id, action, moderation.ActInput{Reason: rq.form("reason")}); err != nil {
		return err
	}
	if rq.htmx {
		// The list comes back without the item.
		rq.r.URL.RawQuery = ""
		return s.reviewPage(rq)
	}
	return rq.redirect("/review")
}

// flagPost reports a post to the moderators.
func (s *server) flagPost(rq *request) error {
	if err := rq.requireUser(); err != nil {
		return err
	}
	if s.Moderation == nil {
		return errNotFound
	}
	id, err := rq.pathID("id")
	if err != nil {
		return err
	}
	ctx := rq.r.Context()
	p, err := s.Forums.Post(ctx, rq.actor, id)
	if err != nil {
		return err
	}
	if _, err := s.Moderation.Flag(ctx, rq.actor, moderation.FlagInput{TargetType: moderation.TargetPost, TargetID: id,
		Reason: rq.form("reason"), Text: rq.form("text")}); err != nil {
		return err
	}
	if !rq.htmx {
		return rq.redirect(postURL(p.TopicID, p.PostNumber))
	}
	rq.renderFragment(http.StatusOK, "flagged", p)
	return nil
}
