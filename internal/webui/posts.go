package webui

import (
	"net/http"
	"strconv"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/internal/apperr"
)

type editData struct {
	Post   *ent.Post
	Topic  *ent.Topic
	Body   string
	Errors map[string]string
}

// editPostPage shows a post's Markdown for its author (within the edit
// window) or a moderator; the service decides on saving.
func (s *server) editPostPage(rq *request) error {
	if err := rq.requireUser(); err != nil {
		return err
	}
	it, err := s.loadPost(rq)
	if err != nil {
		return err
	}
	if !it.CanEdit {
		return apperr.Forbidden("cannot_edit", "you may not edit this post")
	}
	return rq.render("editpost", rq.lang.T("editpost.title"), editData{Post: it.Post, Topic: it.topic, Body: it.Source})
}

func (s *server) editPost(rq *request) error {
	if err := rq.requireUser(); err != nil {
		return err
	}
	it, err := s.loadPost(rq)
	if err != nil {
		return err
	}
	body := rq.form("body")
	p, err := s.Forums.EditPost(rq.r.Context(), rq.actor, it.ID, body)
	if e := apperr.As(err); e != nil && e.Kind == apperr.KindUnprocessable {
		d := editData{Post: it.Post, Topic: it.topic, Body: body, Errors: e.Fields}
		return rq.renderView(http.StatusUnprocessableEntity, "editpost", rq.view(rq.lang.T("editpost.title"), d))
	}
	if err != nil {
		return err
	}
	return rq.redirect(postURL(p.TopicID, p.PostNumber))
}

// deletePostPage asks to confirm a delete: no script dialogs, a page.
func (s *server) deletePostPage(rq *request) error {
	if err := rq.requireUser(); err != nil {
		return err
	}
	it, err := s.loadPost(rq)
	if err != nil {
		return err
	}
	if !it.CanDelete {
		return apperr.Forbidden("cannot_delete", "only the author or a moderator may delete this post")
	}
	return rq.render("deletepost", rq.lang.T("deletepost.title"), editData{Post: it.Post, Topic: it.topic})
}

// deletePost hides a post; deleting the opening post hides its topic, and
// the reader goes back to the forum.
func (s *server) deletePost(rq *request) error {
	if err := rq.requireUser(); err != nil {
		return err
	}
	it, err := s.loadPost(rq)
	if err != nil {
		return err
	}
	if err := s.Forums.DeletePost(rq.r.Context(), rq.actor, it.ID); err != nil {
		return err
	}
	if it.PostNumber == 1 {
		return rq.redirect("/f/" + strconv.Itoa(it.topic.ForumID))
	}
	return rq.redirect(topicURL(it.TopicID))
}
