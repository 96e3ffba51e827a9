package webui

import (
	"sort"
	"strconv"
	"strings"

	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/group"
)

// groupMembersPage is how many members the members page lists at once.
const groupMembersPage = 50

// routesGroupManage maps the pages that manage a group: its settings and
// deletion (owners), its members with their roles, removals and bans
// (owners and moderators), and revoking invites.
func (s *server) routesGroupManage(h func(string, handler)) {
	h("GET /g/{slug}/settings", s.groupSettingsPage)
	h("POST /g/{slug}/settings", s.saveGroupSettings)
	h("GET /g/{slug}/delete", s.deleteGroupPage)
	h("POST /g/{slug}/delete", s.deleteGroup)
	h("GET /g/{slug}/members", s.membersPage)
	h("POST /g/{slug}/members/{action}", s.memberAction)
	h("POST /g/{slug}/invites/{id}/revoke", s.revokeInvite)
}

// refusal is a service's refusal a management page shows in place, with
// its status: not allowed, a conflict (the last owner), bad or
// unprocessable input, or someone it names not found. Anything else (the
// group itself gone, a failure) is an error page.
func refusal(err error) *apperr.Error {
	e := apperr.As(err)
	if e == nil {
		return nil
	}
	switch e.Kind {
	case apperr.KindForbidden, apperr.KindConflict, apperr.KindInvalid, apperr.KindUnprocessable, apperr.KindNotFound:
		return e
	}
	return nil
}

// refusalMessage says what a refusal is about in the reader's language,
// with the fields the service named (their messages are the service's).
func (rq *request) refusalMessage(e *apperr.Error) string {
	msg := rq.lang.Err(e.Code, e.Message)
	if len(e.Fields) == 0 {
		return msg
	}
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + e.Fields[k]
	}
	return msg + " " + strings.Join(parts, "; ")
}

// showRefusal answers a write the service refused: build renders the page
// again with the message; when even that fails (the reader may not see
// the page), the refusal itself is the answer.
func (rq *request) showRefusal(err error, build func(msg string) (name, title string, data any, berr error)) error {
	e := refusal(err)
	if e == nil {
		return err
	}
	name, title, data, berr := build(rq.refusalMessage(e))
	if berr != nil {
		return err
	}
	return rq.renderView(status(e.Kind), name, rq.view(title, data))
}

// groupNav is the management pages' tabs: which the reader may use and
// which page is open.
type groupNav struct {
	Slug                   string
	CanManage, CanModerate bool
	Current                string
}

func groupNavFor(rq *request, g *group.View, current string) groupNav {
	return groupNav{Slug: g.Slug, CanManage: authz.CanManageGroup(rq.actor, g.ID), CanModerate: authz.CanModerateGroup(rq.actor, g.ID), Current: current}
}

type groupSettingsData struct {
	Group                         *group.View
	Nav                           groupNav
	Name, Description, Visibility string
	Errors                        map[string]string
	Error                         string // the service's refusal
}

func (s *server) groupSettingsData(rq *request) (*groupSettingsData, error) {
	g, err := s.Groups.Get(rq.r.Context(), rq.actor, rq.r.PathValue("slug"))
	if err != nil {
		return nil, err
	}
	return &groupSettingsData{Group: g, Nav: groupNavFor(rq, g, "settings"), Name: g.Name, Description: g.Description, Visibility: string(g.Visibility)}, nil
}

// groupSettingsPage is the form that changes a group's name, description
// and visibility (its owners and admins, as authz says).
func (s *server) groupSettingsPage(rq *request) error {
	if err := rq.requireUser(); err != nil {
		return err
	}
	d, err := s.groupSettingsData(rq)
	if err != nil {
		return err
	}
	if !authz.CanManageGroup(rq.actor, d.Group.ID) {
		return apperr.Forbidden("forbidden", "only the group's owners change it")
	}
	return rq.render("groupsettings", rq.lang.T("groupsettings.title"), d)
}

func (s *server) saveGroupSettings(rq *request) error {
	if err := rq.requireUser(); err != nil {
		return err
	}
	name, desc, vis := rq.form("name"), rq.form("description"), rq.form("visibility")
	in := group.Input{Name: &name, Description: &desc}
	if vis != "" {
		in.Visibility = &vis
	}
	g, err := s.Groups.Update(rq.r.Context(), rq.actor, rq.r.PathValue("slug"), in)
	if err == nil {
		return rq.redirect(groupURL(g.Slug))
	}
	e := apperr.As(err)
	return rq.showRefusal(err, func(msg string) (string, string, any, error) {
		d, derr := s.groupSettingsData(rq)
		if derr != nil {
			return "", "", nil, derr
		}
		d.Name, d.Description, d.Visibility = name, desc, vis
		if e.Kind == apperr.KindUnprocessable && len(e.Fields) > 0 {
			d.Errors = e.Fields
		} else {
			d.Error = msg
		}
		return "groupsettings", rq.lang.T("groupsettings.title"), d, nil
	})
}

type groupDeleteData struct {
	Group *group.View
	Error string
}

// deleteGroupPage asks an owner to confirm deleting the group.
func (s *server) deleteGroupPage(rq *request) error {
	if err := rq.requireUser(); err != nil {
		return err
	}
	g, err := s.Groups.Get(rq.r.Context(), rq.actor, rq.r.PathValue("slug"))
	if err != nil {
		return err
	}
	if !authz.CanManageGroup(rq.actor, g.ID) {
		return apperr.Forbidden("forbidden", "only the group's owners delete it")
	}
	return rq.render("groupdelete", rq.lang.T("groupdelete.title"), groupDeleteData{Group: g})
}

func (s *server) deleteGroup(rq *request) error {
	if err := rq.requireUser(); err != nil {
		return err
	}
	slug := rq.r.PathValue("slug")
	err := s.Groups.Delete(rq.r.Context(), rq.actor, slug)
	if err == nil {
		return rq.redirect("/groups")
	}
	return rq.showRefusal(err, func(msg string) (string, string, any, error) {
		g, gerr := s.Groups.Get(rq.r.Context(), rq.actor, slug)
		if gerr != nil {
			return "", "", nil, gerr
		}
		return "groupdelete", rq.lang.T("groupdelete.title"), groupDeleteData{Group: g, Error: msg}, nil
	})
}

type membersData struct {
	Group       *group.View
	Nav         groupNav
	Members     []group.Member
	Banned      []group.Member // owners and moderators only
	Roles       []string
	CanManage   bool // change roles
	CanModerate bool // remove, ban and unban
	Next        string
	Username    string // the ban form's name being corrected
	Error       string // the service's refusal
	Done        string // what the last action did, for the status line
}

func (s *server) membersData(rq *request) (*membersData, error) {
	ctx := rq.r.Context()
	g, err := s.Groups.Get(ctx, rq.actor, rq.r.PathValue("slug"))
	if err != nil {
		return nil, err
	}
	d := &membersData{Group: g, Nav: groupNavFor(rq, g, "members"), Roles: []string{authz.GroupOwner, authz.GroupModerator, authz.GroupMember},
		CanManage: authz.CanManageGroup(rq.actor, g.ID), CanModerate: authz.CanModerateGroup(rq.actor, g.ID)}
	ms, next, err := s.Groups.Members(ctx, rq.actor, g.Slug, group.MemberQuery{After: rq.queryInt("after"), Limit: groupMembersPage})
	if err != nil {
		return nil, err
	}
	d.Members = ms
	if next > 0 {
		d.Next = groupURL(g.Slug) + "/members?after=" + strconv.Itoa(next)
	}
	if d.CanModerate {
		if d.Banned, _, err = s.Groups.Members(ctx, rq.actor, g.Slug, group.MemberQuery{Banned: true, Limit: group.PageMax}); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// membersPage lists a group's members to whoever may see them; owners
// also get role forms, owners and moderators remove, ban and unban.
func (s *server) membersPage(rq *request) error {
	d, err := s.membersData(rq)
	if err != nil {
		return err
	}
	if done := rq.r.URL.Query().Get("done"); memberActions[done] {
		d.Done = rq.lang.T("groupmembers.done_" + done)
	}
	return rq.render("groupmembers", rq.lang.T("groupmembers.title"), d)
}

// memberActions are the actions of the members page.
var memberActions = map[string]bool{"role": true, "remove": true, "ban": true, "unban": true}

// memberAction changes one member (named by the form's username): role,
// remove, ban or unban. The service decides who may; its refusals show
// on the members page.
func (s *server) memberAction(rq *request) error {
	if err := rq.requireUser(); err != nil {
		return err
	}
	action := rq.r.PathValue("action")
	if !memberActions[action] {
		return errNotFound
	}
	ctx := rq.r.Context()
	slug := rq.r.PathValue("slug")
	username := strings.TrimPrefix(strings.TrimSpace(rq.form("username")), "@")
	var err error
	switch {
	case username == "":
		err = apperr.Validation(map[string]string{"username": rq.lang.T("groupinvite.username_missing")})
	case action == "role":
		_, err = s.Groups.SetRole(ctx, rq.actor, slug, username, rq.form("role"))
	case action == "remove":
		err = s.Groups.Remove(ctx, rq.actor, slug, username)
	default:
		err = s.Groups.SetBanned(ctx, rq.actor, slug, username, action == "ban")
	}
	if err == nil {
		return rq.redirect(groupURL(slug) + "/members?done=" + action)
	}
	return rq.showRefusal(err, func(msg string) (string, string, any, error) {
		d, derr := s.membersData(rq)
		if derr != nil {
			return "", "", nil, derr
		}
		d.Error = msg
		if action == "ban" {
			d.Username = username
		}
		return "groupmembers", rq.lang.T("groupmembers.title"), d, nil
	})
}

// revokeInvite stops one of the group's invites from working.
func (s *server) revokeInvite(rq *request) error {
	if err := rq.requireUser(); err != nil {
		return err
	}
	id, err := rq.pathID("id")
	if err != nil {
		return err
	}
	slug := rq.r.PathValue("slug")
	err = s.Groups.RevokeInvite(rq.r.Context(), rq.actor, slug, id)
	if err == nil {
		return rq.redirect(groupURL(slug) + "/invite?revoked=1")
	}
	return rq.showRefusal(err, func(msg string) (string, string, any, error) {
		d, derr := s.inviteData(rq)
		if derr != nil {
			return "", "", nil, derr
		}
		d.Error = msg
		return "groupinvite", rq.lang.T("groupinvite.title"), d, nil
	})
}

// leaveRefused shows the group page with why the reader may not leave
// (the last owner).
func (s *server) leaveRefused(rq *request, err error) error {
	return rq.showRefusal(err, func(msg string) (string, string, any, error) {
		d, derr := s.groupData(rq)
		if derr != nil {
			return "", "", nil, derr
		}
		d.Error = msg
		return "group", d.Group.Name, d, nil
	})
}
