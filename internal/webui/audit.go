package webui

import (
	"net/url"
	"strconv"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/internal/moderation"
)

type auditData struct {
	Entries []*ent.AuditEntry
	Actors  map[int]*ent.User
	Actor   string
	Action  string
	Next    string
}

// auditPage shows the moderation audit log, newest first, filtered by who
// acted and by action; the service limits it to the reader's scope and
// refuses anyone who does not moderate.
func (s *server) auditPage(rq *request) error {
	if err := rq.requireUser(); err != nil {
		return err
	}
	if s.Moderation == nil {
		return errNotFound
	}
	q := rq.r.URL.Query()
	d := auditData{Actor: q.Get("actor"), Action: q.Get("action")}
	page, err := s.Moderation.Audit(rq.r.Context(), rq.actor, moderation.AuditQuery{Actor: d.Actor, Action: d.Action, Before: rq.queryInt("before")})
	if err != nil {
		return err
	}
	d.Entries = page.Entries
	ids := make([]int, 0, len(page.Entries))
	for _, e := range page.Entries {
		if e.ActorID != nil {
			ids = append(ids, *e.ActorID)
		}
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
	if page.Next > 0 {
		v := url.Values{"before": {strconv.Itoa(page.Next)}}
		if d.Actor != "" {
			v.Set("actor", d.Actor)
		}
		if d.Action != "" {
			v.Set("action", d.Action)
		}
		d.Next = "/review/audit?" + v.Encode()
	}
	return rq.render("moderationaudit", rq.lang.T("audit.title"), d)
}
