package webui

import (
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/discovery"
	"github.com/crn-dev/crn/internal/forum"
	"github.com/crn-dev/crn/internal/search"
)

// suggestLimit is how many topics and people the composer suggests.
const suggestLimit = 5

// preview renders the composer's Markdown exactly as a post would be.
func (s *server) preview(rq *request) error {
	if err := rq.requireUser(); err != nil {
		return err
	}
	body := rq.form("body")
	if max := s.Forums.Limits().BodyMax; utf8.RuneCountInString(body) > max {
		return apperr.Validation(map[string]string{"body": "is too long"})
	}
	html := ""
	if strings.TrimSpace(body) != "" && s.Markup != nil {
		html = s.Markup.Render(body).HTML
	}
	rq.renderFragment(http.StatusOK, "preview", html)
	return nil
}

type suggestions struct {
	Topics  []*forum.TopicView
	Users   []*ent.User
	Mention string // the partial @name being typed
}

// suggest offers, while composing, people for the @mention being typed at
// the end of the body and topics similar to the title.
func (s *server) suggest(rq *request) error {
	if err := rq.requireUser(); err != nil {
		return err
	}
	d := suggestions{Mention: mentionAtEnd(rq.form("body"))}
	title := strings.TrimSpace(rq.form("title"))
	if s.Discovery == nil || (d.Mention == "" && utf8.RuneCountInString(title) < 3) {
		rq.renderFragment(http.StatusOK, "suggestions", d)
		return nil
	}
	ctx := rq.r.Context()
	if d.Mention != "" {
		_, users, err := s.Discovery.Suggest(ctx, rq.actor, "@"+d.Mention, suggestLimit)
		if err != nil {
			return err
		}
		ids := hitIDs(users, search.TypeUser)
		byID, err := s.usersOf(ctx, ids...)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if u := byID[id]; u != nil && u.Status != "suspended" {
				d.Users = append(d.Users, u)
			}
		}
	}
	if len([]rune(title)) >= 3 {
		if len([]rune(title)) > discovery.MaxQueryLen {
			title = string([]rune(title)[:discovery.MaxQueryLen])
		}
		topics, _, err := s.Discovery.Suggest(ctx, rq.actor, title, suggestLimit)
		if err != nil {
			return err
		}
		for _, id := range hitIDs(topics, search.TypeTopic) {
			if tv, err := s.Forums.Topic(ctx, rq.actor, id, false); err == nil {
				d.Topics = append(d.Topics, tv)
			}
		}
	}
	rq.renderFragment(http.StatusOK, "suggestions", d)
	return nil
}

// mentionAtEnd returns the name after a trailing "@", as in "thanks @ali".
func mentionAtEnd(body string) string {
	i := strings.LastIndex(body, "@")
	if i < 0 || (i > 0 && !unicode.IsSpace(rune(body[i-1])) && body[i-1] != '(') {
		return ""
	}
	name := body[i+1:]
	if name == "" || len(name) > 30 {
		return ""
	}
	for _, r := range name {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '.' || r == '-') {
			return ""
		}
	}
	return name
}

func hitIDs(hits []search.Hit, typ string) []int {
	var ids []int
	for _, h := range hits {
		if t, id, ok := discovery.ParseDocID(h.ID); ok && t == typ {
			ids = append(ids, id)
		}
	}
	return ids
}
