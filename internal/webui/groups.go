package webui

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/event"
	"github.com/crn-dev/crn/internal/forum"
	"github.com/crn-dev/crn/internal/group"
	"github.com/crn-dev/crn/internal/resource"
)

// What the group space shows of each part.
const (
	groupMembersShown   = 50
	groupForumsShown    = 10
	groupTopicsShown    = 5 // latest topics per forum
	groupResourcesShown = 10
	groupFeedShown      = 20
)

// routesGroups maps the group pages: the directory, a group's space, and
// joining, leaving, invites and join requests.
func (s *server) routesGroups(h func(string, handler)) {
	if s.Groups == nil {
		return
	}
	h("GET /groups", s.groupsPage)
	h("GET /groups/new", s.newGroupPage)
	h("POST /groups/new", s.createGroup)
	h("GET /g/{slug}", s.groupPage)
	h("POST /g/{slug}/join", s.joinGroup)
	h("POST /g/{slug}/request", s.requestGroup)
	h("POST /g/{slug}/leave", s.leaveGroup)
	h("GET /g/{slug}/invite", s.invitePage)
	h("POST /g/{slug}/invite", s.createInvite)
	h("GET /g/{slug}/requests", s.requestsPage)
	h("POST /g/{slug}/requests/{id}", s.decideRequest)
	h("GET /invites/{token}", s.acceptInvitePage)
	h("POST /invites/{token}", s.acceptInvite)
	s.routesGroupManage(h)
}

type groupsData struct {
	Groups []*group.View
	Next   string
}

// groupsPage is the directory: public and restricted groups, and the
// reader's private ones (the service decides which).
func (s *server) groupsPage(rq *request) error {
	gs, next, err := s.Groups.List(rq.r.Context(), rq.actor, group.ListQuery{After: rq.queryInt("after")})
	if err != nil {
		return err
	}
	d := groupsData{Groups: gs}
	if next > 0 {
		d.Next = "/groups?after=" + strconv.Itoa(next)
	}
	return rq.render("groups", rq.lang.T("groups.title"), d)
}

type newGroupData struct {
	Name, Slug, Description, Visibility string
	Errors                              map[string]string
}

func (s *server) newGroupPage(rq *request) error {
	if err := rq.requireUser(); err != nil {
		return err
	}
	return rq.render("groupnew", rq.lang.T("groupnew.title"), newGroupData{Visibility: "public"})
}

// createGroup makes a group from the form; its creator becomes its owner.
func (s *server) createGroup(rq *request) error {
	if err := rq.requireUser(); err != nil {
		return err
	}
	d := newGroupData{Name: rq.form("name"), Slug: strings.TrimSpace(rq.form("slug")), Description: rq.form("description"), Visibility: rq.form("visibility")}
	in := group.Input{Name: &d.Name, Description: &d.Description, Visibility: &d.Visibility}
	if d.Slug != "" {
		in.Slug = &d.Slug
	}
	g, err := s.Groups.Create(rq.r.Context(), rq.actor, in)
	if e := apperr.As(err); e != nil && e.Kind == apperr.KindUnprocessable {
		d.Errors = e.Fields
		return rq.renderView(http.StatusUnprocessableEntity, "groupnew", rq.view(rq.lang.T("groupnew.title"), d))
	}
	if err != nil {
		return err
	}
	return rq.redirect(groupURL(g.Slug))
}

func groupURL(slug string) string { return "/g/" + url.PathEscape(slug) }

type groupForum struct {
	Forum  *ent.Forum
	Topics []topicRow
}

type feedItem struct {
	Kind    string // the message: groupfeed.<kind>
	Actor   *ent.User
	TopicID int
	At      event.Event
}

type groupData struct {
	Group       *group.View
	CanRead     bool // the reader sees the group's content (else only its card)
	CanModerate bool
	CanManage   bool
	Members     []group.Member
	MoreMembers bool
	Forums      []groupForum
	Resources   []*resource.View
	Feed        []feedItem
	Message     string // a join request's message being corrected
	Errors      map[string]string
	Error       string // a refusal from the service (leaving as the last owner)
}

// groupPage is a group's space. A private group is not found and a
// restricted one shows only its card to non-members, as the service
// decides: the member directory answers whether the reader may see more.
func (s *server) groupPage(rq *request) error {
	d, err := s.groupData(rq)
	if err != nil {
		return err
	}
	return rq.render("group", d.Group.Name, d)
}

func (s *server) groupData(rq *request) (*groupData, error) {
	ctx := rq.r.Context()
	slug := rq.r.PathValue("slug")
	g, err := s.Groups.Get(ctx, rq.actor, slug)
	if err != nil {
		return nil, err
	}
	d := &groupData{Group: g, CanModerate: authz.CanModerateGroup(rq.actor, g.ID), CanManage: authz.CanManageGroup(rq.actor, g.ID)}
	members, next, err := s.Groups.Members(ctx, rq.actor, g.Slug, group.MemberQuery{Limit: groupMembersShown})
	if e := apperr.As(err); e != nil && (e.Kind == apperr.KindForbidden || e.Kind == apperr.KindUnauthenticated) {
		return d, nil // members only: the card and how to join
	}
	if err != nil {
		return nil, err
	}
	d.CanRead, d.Members, d.MoreMembers = true, members, next > 0
	fs, err := s.Forums.GroupForums(ctx, rq.actor, g.ID)
	if err != nil {
		return nil, err
	}
	if len(fs) > groupForumsShown {
		fs = fs[:groupForumsShown]
	}
	for _, f := range fs {
		page, err := s.Forums.Topics(ctx, rq.actor, f.ID, forum.ListQuery{Limit: groupTopicsShown})
		if err != nil {
			return nil, err
		}
		tvs := append(page.Pinned, page.Topics...)
		if len(tvs) > groupTopicsShown {
			tvs = tvs[:groupTopicsShown]
		}
		rows, err := s.topicRows(ctx, rq, tvs, nil)
		if err != nil {
			return nil, err
		}
		d.Forums = append(d.Forums, groupForum{Forum: f, Topics: rows})
	}
	if s.Resources != nil {
		page, err := s.Resources.List(ctx, rq.actor, resource.ListQuery{GroupID: g.ID, Limit: groupResourcesShown})
		if err != nil {
			return nil, err
		}
		d.Resources = page.Resources
	}
	evs, _, err := s.Groups.Feed(ctx, rq.actor, g.Slug, 0, groupFeedShown)
	if err != nil {
		return nil, err
	}
	if d.Feed, err = s.feedItems(ctx, evs); err != nil {
		return nil, err
	}
	return d, nil
}

// feedKinds are the activity the group feed describes in words; anything
// else reads as "other".
var feedKinds = map[event.Type]string{
	event.GroupCreated: "created", event.GroupUpdated: "updated", event.GroupMemberJoined: "joined",
	event.GroupMemberLeft: "left", event.TopicCreated: "topic", event.PostCreated: "post",
	event.ResourceCreated: "resource", event.ResourceVersionAdded: "version",
}

func (s *server) feedItems(ctx context.Context, evs []event.Event) ([]feedItem, error) {
	ids := make([]int, 0, len(evs))
	for _, e := range evs {
		ids = append(ids, e.ActorID)
	}
	users, err := s.usersOf(ctx, ids...)
	if err != nil {
		return nil, err
	}
	out := make([]feedItem, 0, len(evs))
	for _, e := range evs {
		kind := feedKinds[e.Type]
		if kind == "" {
			kind = "other"
		}
		out = append(out, feedItem{Kind: kind, Actor: users[e.ActorID], TopicID: e.TopicID, At: e})
	}
	return out, nil
}

// joinGroup joins a public group (or one the reader is invited to).
func (s *server) joinGroup(rq *request) error {
	if err := rq.requireUser(); err != nil {
		return err
	}
	g, err := s.Groups.Join(rq.r.Context(), rq.actor, rq.r.PathValue("slug"))
	if err != nil {
		return err
	}
	return rq.redirect(groupURL(g.Slug))
}

// requestGroup asks to join a restricted group, with a message for its
// moderators; a message too long shows the page again with the problem.
func (s *server) requestGroup(rq *request) error {
	if err := rq.requireUser(); err != nil {
		return err
	}
	slug := rq.r.PathValue("slug")
	msg := rq.form("message")
	_, err := s.Groups.CreateRequest(rq.r.Context(), rq.actor, slug, msg)
	if e := apperr.As(err); e != nil && e.Kind == apperr.KindUnprocessable && len(e.Fields) > 0 {
		d, derr := s.groupData(rq)
		if derr != nil {
			return derr
		}
		d.Message, d.Errors = msg, e.Fields
		return rq.renderView(http.StatusUnprocessableEntity, "group", rq.view(d.Group.Name, d))
	}
	if err != nil {
		return err
	}
	return rq.redirect(groupURL(slug))
}

func (s *server) leaveGroup(rq *request) error {
	if err := rq.requireUser(); err != nil {
		return err
	}
	slug := rq.r.PathValue("slug")
	if err := s.Groups.Leave(rq.r.Context(), rq.actor, slug); err != nil {
		return s.leaveRefused(rq, err)
	}
	// After leaving a private group its page is gone for the reader.
	return rq.redirect("/groups")
}

type inviteData struct {
	Group    *group.View
	Nav      groupNav
	Invites  []group.InviteEntry
	Username string
	Link     string // a new link invite's address, shown once
	Invited  *ent.User
	Errors   map[string]string
	Error    string // a refusal from the service (revoking)
	Revoked  bool   // an invite was just revoked
}

// invitePage lets owners and moderators invite by username or create a
// link, and lists the invites still usable.
func (s *server) invitePage(rq *request) error {
	if err := rq.requireUser(); err != nil {
		return err
	}
	d, err := s.inviteData(rq)
	if err != nil {
		return err
	}
	return rq.render("groupinvite", rq.lang.T("groupinvite.title"), d)
}

func (s *server) inviteData(rq *request) (*inviteData, error) {
	ctx := rq.r.Context()
	g, err := s.Groups.Get(ctx, rq.actor, rq.r.PathValue("slug"))
	if err != nil {
		return nil, err
	}
	invites, err := s.Groups.Invites(ctx, rq.actor, g.Slug)
	if err != nil {
		return nil, err
	}
	return &inviteData{Group: g, Nav: groupNavFor(rq, g, "invite"), Invites: invites, Revoked: rq.r.URL.Query().Get("revoked") == "1"}, nil
}

// inviteUses bounds the uses of a link made on the page.
var inviteUses = map[string]int{"1": 1, "10": 10, "100": 100, "0": 0}

func (s *server) createInvite(rq *request) error {
	if err := rq.requireUser(); err != nil {
		return err
	}
	slug := rq.r.PathValue("slug")
	in := group.InviteInput{}
	if rq.form("kind") == "link" {
		uses, ok := inviteUses[rq.form("uses")]
		if !ok {
			uses = 1
		}
		in.MaxUses = &uses
	} else {
		in.Username = strings.TrimPrefix(strings.TrimSpace(rq.form("username")), "@")
	}
	var inv *group.Invite
	var err error
	if rq.form("kind") != "link" && in.Username == "" {
		// An empty name would make a link invite: say what is missing.
		err = apperr.Validation(map[string]string{"username": rq.lang.T("groupinvite.username_missing")})
	} else {
		inv, err = s.Groups.CreateInvite(rq.r.Context(), rq.actor, slug, in)
	}
	e := apperr.As(err)
	if e != nil && e.Kind != apperr.KindUnprocessable && e.Kind != apperr.KindNotFound && e.Kind != apperr.KindConflict {
		return err
	}
	d, derr := s.inviteData(rq)
	if derr != nil {
		return derr
	}
	if e != nil {
		d.Username = in.Username
		d.Errors = e.Fields
		if len(d.Errors) == 0 {
			d.Errors = map[string]string{"username": rq.lang.Err(e.Code, e.Message)}
		}
		return rq.renderView(status(e.Kind), "groupinvite", rq.view(rq.lang.T("groupinvite.title"), d))
	}
	if inv.Invitee != nil {
		d.Invited = inv.Invitee
	} else {
		d.Link = s.absolute(rq, "/invites/"+url.PathEscape(inv.Token))
	}
	return rq.render("groupinvite", rq.lang.T("groupinvite.title"), d)
}

// absolute is a path on this site as a full address, for links people copy.
func (s *server) absolute(rq *request, p string) string {
	if base := strings.TrimRight(s.Config.PublicURL, "/"); base != "" {
		return base + p
	}
	scheme := "http"
	if rq.r.TLS != nil || s.Config.CookieSecure {
		scheme = "https"
	}
	return scheme + "://" + rq.r.Host + p
}

type requestsData struct {
	Group    *group.View
	Nav      groupNav
	Requests []group.Request
	Next     string
	Errors   map[int]string // a rejection's problem, by request
}

// requestsPage lists a group's pending join requests for its owners and
// moderators.
func (s *server) requestsPage(rq *request) error {
	if err := rq.requireUser(); err != nil {
		return err
	}
	d, err := s.requestsData(rq)
	if err != nil {
		return err
	}
	return rq.render("grouprequests", rq.lang.T("grouprequests.title"), d)
}

func (s *server) requestsData(rq *request) (*requestsData, error) {
	ctx := rq.r.Context()
	g, err := s.Groups.Get(ctx, rq.actor, rq.r.PathValue("slug"))
	if err != nil {
		return nil, err
	}
	rs, next, err := s.Groups.Requests(ctx, rq.actor, g.Slug, "pending", rq.queryInt("after"), 0)
	if err != nil {
		return nil, err
	}
	d := &requestsData{Group: g, Nav: groupNavFor(rq, g, "requests"), Requests: rs}
	if next > 0 {
		d.Next = groupURL(g.Slug) + "/requests?after=" + strconv.Itoa(next)
	}
	return d, nil
}

// decideRequest approves or rejects one request; a rejection needs a reason.
func (s *server) decideRequest(rq *request) error {
	if err := rq.requireUser(); err != nil {
		return err
	}
	id, err := rq.pathID("id")
	if err != nil {
		return err
	}
	slug := rq.r.PathValue("slug")
	approve := rq.form("decision") == "approve"
	_, err = s.Groups.Decide(rq.r.Context(), rq.actor, slug, id, approve, rq.form("reason"))
	if e := apperr.As(err); e != nil && e.Kind == apperr.KindUnprocessable {
		d, derr := s.requestsData(rq)
		if derr != nil {
			return derr
		}
		msg := rq.lang.Err(e.Code, e.Message)
		for _, m := range e.Fields {
			msg = m
		}
		d.Errors = map[int]string{id: msg}
		return rq.renderView(http.StatusUnprocessableEntity, "grouprequests", rq.view(rq.lang.T("grouprequests.title"), d))
	}
	if err != nil {
		return err
	}
	return rq.redirect(groupURL(slug) + "/requests")
}

type acceptData struct {
	Token string
}

// acceptInvitePage asks the reader to accept an invite; the token is only
// checked when they do, so the page tells nothing about it.
func (s *server) acceptInvitePage(rq *request) error {
	if err := rq.requireUser(); err != nil {
		return err
	}
	rq.w.Header().Set("Referrer-Policy", "no-referrer")
	return rq.render("groupaccept", rq.lang.T("groupaccept.title"), acceptData{Token: rq.r.PathValue("token")})
}

func (s *server) acceptInvite(rq *request) error {
	if err := rq.requireUser(); err != nil {
		return err
	}
	g, err := s.Groups.AcceptInvite(rq.r.Context(), rq.actor, rq.r.PathValue("token"))
	if err != nil {
		return err
	}
	return rq.redirect(groupURL(g.Slug))
}

// userGroups lists the groups a profile's owner belongs to, as far as the
// reader may see their member directories.
func (s *server) userGroups(ctx context.Context, rq *request, userID int) ([]*group.View, error) {
	if s.Groups == nil {
		return nil, nil
	}
	return s.Groups.UserGroups(ctx, rq.actor, userID)
}
