package webui

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/moderation"
)

type auditData struct {
	Entries   []*ent.AuditEntry
	Actors    map[int]*ent.User
	Actor     string
	Action    string
	Next      string
	Export    string      // the API's CSV export of the log with these filters
	Reverted  map[int]int // entry → the entry that reverted it
	CanRevert map[int]bool
	Done      int // the entry just reverted
}

// auditPage shows the moderation audit log, newest first, filtered by who
// acted and by action; the service limits it to the reader's scope and
// refuses anyone who does not moderate. Reversible entries that were not
// reverted yet get a revert button (a confirmation page).
func (s *server) auditPage(rq *request) error {
	if err := rq.requireUser(); err != nil {
		return err
	}
	if s.Moderation == nil {
		return errNotFound
	}
	q := rq.r.URL.Query()
	d := auditData{Actor: q.Get("actor"), Action: q.Get("action"), Done: rq.queryInt("reverted"), CanRevert: map[int]bool{}}
	page, err := s.Moderation.Audit(rq.r.Context(), rq.actor, moderation.AuditQuery{Actor: d.Actor, Action: d.Action, Before: rq.queryInt("before")})
	if err != nil {
		return err
	}
	d.Entries, d.Reverted = page.Entries, page.Reverted
	ids := make([]int, 0, len(page.Entries))
	for _, e := range page.Entries {
		if e.ActorID != nil {
			ids = append(ids, *e.ActorID)
		}
		d.CanRevert[e.ID] = d.Reverted[e.ID] == 0 && moderation.Reversible(rq.actor, e)
	}
	people, err := s.usersOf(rq.r.Context(), ids...)
	if err != nil {
		return err
	}
	d.Actors = map[int]*ent.User{}
	for _, e := range page.Entries {
		if e.ActorID != nil {
			d.Actors[e.ID] = people[*e.ActorID]
		}
	}
	filters := url.Values{}
	if d.Actor != "" {
		filters.Set("actor", d.Actor)
	}
	if d.Action != "" {
		filters.Set("action", d.Action)
	}
	if page.Next > 0 {
		v := url.Values{"before": {strconv.Itoa(page.Next)}}
		for k, vs := range filters {
			v[k] = vs
		}
		d.Next = "/review/audit?" + v.Encode()
	}
	filters.Set("format", "csv")
	d.Export = "/api/v1/moderation/audit?" + filters.Encode()
	return rq.render("moderationaudit", rq.lang.T("audit.title"), d)
}

type revertData struct {
	Entry   *ent.AuditEntry
	Actor   *ent.User
	Reason  string
	Problem string // why the service refused (409), shown on the page
	Detail  string // the service's own words (English)
}

// auditEntry returns the entry id in the reader's scope, through the same
// query as the log: the newest entry below id+1 is id when the reader may
// see it.
func (s *server) auditEntry(rq *request) (*ent.AuditEntry, error) {
	if err := rq.requireUser(); err != nil {
		return nil, err
	}
	if s.Moderation == nil {
		return nil, errNotFound
	}
	id, err := rq.pathID("id")
	if err != nil {
		return nil, err
	}
	page, err := s.Moderation.Audit(rq.r.Context(), rq.actor, moderation.AuditQuery{Before: id + 1, Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(page.Entries) == 0 || page.Entries[0].ID != id {
		return nil, errNotFound
	}
	return page.Entries[0], nil
}

// revertPage asks to confirm a revert, with an optional reason.
func (s *server) revertPage(rq *request) error {
	e, err := s.auditEntry(rq)
	if err != nil {
		return err
	}
	return s.renderRevert(rq, http.StatusOK, &revertData{Entry: e})
}

func (s *server) renderRevert(rq *request, code int, d *revertData) error {
	if d.Entry.ActorID != nil {
		people, err := s.usersOf(rq.r.Context(), *d.Entry.ActorID)
		if err != nil {
			return err
		}
		d.Actor = people[*d.Entry.ActorID]
	}
	return rq.renderView(code, "auditrevert", rq.view(rq.lang.T("audit.revert_title", "ID", d.Entry.ID), d))
}

// revertEntry applies the inverse of an entry (moderation.Service.Revert,
// itself audited). A refusal because the entry cannot be reverted (409
// not_reversible, already_reverted) is shown on the confirmation page.
func (s *server) revertEntry(rq *request) error {
	e, err := s.auditEntry(rq)
	if err != nil {
		return err
	}
	reason := strings.TrimSpace(rq.form("reason"))
	if _, err := s.Moderation.Revert(rq.r.Context(), rq.actor, e.ID, reason); err != nil {
		if ae := apperr.As(err); ae != nil && ae.Kind == apperr.KindConflict {
			return s.renderRevert(rq, http.StatusConflict, &revertData{Entry: e, Reason: reason, Problem: rq.lang.Err(ae.Code, ae.Message), Detail: ae.Message})
		}
		return err
	}
	return rq.redirect("/review/audit?reverted=" + strconv.Itoa(e.ID) + "#audit-" + strconv.Itoa(e.ID))
}
