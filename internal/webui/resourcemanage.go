package webui

import (
	"strings"

	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/resource"
)

// routesResourceManage maps editing, deleting and restoring a resource.
// New versions are uploaded from the resource's page (/r/{id}/versions).
func (s *server) routesResourceManage(h func(string, handler)) {
	h("GET /r/{id}/edit", s.editResourcePage)
	h("POST /r/{id}/edit", s.editResource)
	h("GET /r/{id}/delete", s.deleteResourcePage)
	h("POST /r/{id}/delete", s.deleteResource)
	h("POST /r/{id}/restore", s.restoreResource)
}

type resourceEditData struct {
	Resource                      *resource.View
	Title, Description, URL, Tags string
	Errors                        map[string]string
	Error                         string // the service's refusal
}

func (s *server) resourceEditData(rq *request) (*resourceEditData, error) {
	id, err := rq.pathID("id")
	if err != nil {
		return nil, err
	}
	v, err := s.Resources.Get(rq.r.Context(), rq.actor, id)
	if err != nil {
		return nil, err
	}
	return &resourceEditData{Resource: v, Title: v.Title, Description: v.Description, URL: v.URL, Tags: strings.Join(v.Tags, ", ")}, nil
}

// editResourcePage is the form that changes a resource's title,
// description, tags and (for links) address: its owner or a moderator.
func (s *server) editResourcePage(rq *request) error {
	if err := rq.requireUser(); err != nil {
		return err
	}
	d, err := s.resourceEditData(rq)
	if err != nil {
		return err
	}
	if !authz.CanEditResource(rq.actor, d.Resource.Resource) {
		return apperr.Forbidden("not_owner", "only the owner or a moderator may change this resource")
	}
	return rq.render("resourceedit", rq.lang.T("resourceedit.title"), d)
}

func (s *server) editResource(rq *request) error {
	if err := rq.requireUser(); err != nil {
		return err
	}
	id, err := rq.pathID("id")
	if err != nil {
		return err
	}
	title, desc, link, tagText := rq.form("title"), rq.form("description"), rq.form("url"), rq.form("tags")
	tags := splitTags(tagText)
	in := resource.Input{Title: &title, Description: &desc, Tags: &tags}
	if rq.r.PostForm.Has("url") {
		in.URL = &link // the form has the field for links only
	}
	_, err = s.Resources.Update(rq.r.Context(), rq.actor, id, in)
	if err == nil {
		return rq.redirect(resourceURL(id))
	}
	e := apperr.As(err)
	return rq.showRefusal(err, func(msg string) (string, string, any, error) {
		d, derr := s.resourceEditData(rq)
		if derr != nil {
			return "", "", nil, derr
		}
		d.Title, d.Description, d.URL, d.Tags = title, desc, link, tagText
		if e.Kind == apperr.KindUnprocessable && len(e.Fields) > 0 {
			d.Errors = e.Fields
		} else {
			d.Error = msg
		}
		return "resourceedit", rq.lang.T("resourceedit.title"), d, nil
	})
}

type resourceDeleteData struct {
	Resource *resource.View
	Error    string
}

// deleteResourcePage asks to confirm deleting a resource.
func (s *server) deleteResourcePage(rq *request) error {
	if err := rq.requireUser(); err != nil {
		return err
	}
	d, err := s.resourceEditData(rq)
	if err != nil {
		return err
	}
	if !authz.CanEditResource(rq.actor, d.Resource.Resource) {
		return apperr.Forbidden("not_owner", "only the owner or a moderator may delete this resource")
	}
	return rq.render("resourcedelete", rq.lang.T("resourcedelete.title"), resourceDeleteData{Resource: d.Resource})
}

// deleteResource hides a resource. A moderator, who may restore it, is
// taken back to it; its owner to the library.
func (s *server) deleteResource(rq *request) error {
	if err := rq.requireUser(); err != nil {
		return err
	}
	id, err := rq.pathID("id")
	if err != nil {
		return err
	}
	err = s.Resources.Delete(rq.r.Context(), rq.actor, id)
	if err == nil {
		if authz.CanRestoreResource(rq.actor) {
			return rq.redirect(resourceURL(id))
		}
		return rq.redirect("/resources?removed=1")
	}
	return rq.showRefusal(err, func(msg string) (string, string, any, error) {
		d, derr := s.resourceEditData(rq)
		if derr != nil {
			return "", "", nil, derr
		}
		return "resourcedelete", rq.lang.T("resourcedelete.title"), resourceDeleteData{Resource: d.Resource, Error: msg}, nil
	})
}

// restoreResource brings a deleted resource back (as the service allows:
// resource moderators).
func (s *server) restoreResource(rq *request) error {
	if err := rq.requireUser(); err != nil {
		return err
	}
	id, err := rq.pathID("id")
	if err != nil {
		return err
	}
	if _, err := s.Resources.Restore(rq.r.Context(), rq.actor, id); err != nil {
		return rq.showRefusal(err, func(msg string) (string, string, any, error) {
			d, derr := s.resourceData(rq)
			if derr != nil {
				return "", "", nil, derr
			}
			d.Error = msg
			return "resource", d.Resource.Title, d, nil
		})
	}
	return rq.redirect(resourceURL(id))
}
