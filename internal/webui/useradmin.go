package webui

import (
	"strconv"
	"time"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
)

// User administration for moderators: trust level, silence and suspend.
// The moderation service checks each action (authz.CanSanction and
// friends); the page itself is for those who may act on accounts.

// maxSanctionHours bounds a timed silence or suspension from the form.
const maxSanctionHours = 24 * 365

type userAdminData struct {
	User   *ent.User
	Levels []int
	Done   string // the action just applied
}

func (s *server) userAdminPage(rq *request) error {
	if err := rq.requireUser(); err != nil {
		return err
	}
	if s.Moderation == nil {
		return errNotFound
	}
	if !authz.CanModerateUsers(rq.actor) {
		return apperr.Forbidden("forbidden", "only moderators administer accounts")
	}
	u, err := s.Accounts.ByUsername(rq.r.Context(), rq.r.PathValue("username"))
	if err != nil {
		return err
	}
	d := userAdminData{User: u, Levels: []int{0, 1, 2, 3, 4}, Done: rq.r.URL.Query().Get("done")}
	return rq.render("moderationuser", "@"+u.Username, d)
}

// userAdminAct applies trust, silence, unsilence, suspend or unsuspend.
func (s *server) userAdminAct(rq *request) error {
	if err := rq.requireUser(); err != nil {
		return err
	}
	if s.Moderation == nil {
		return errNotFound
	}
	ctx, name, action := rq.r.Context(), rq.r.PathValue("username"), rq.r.PathValue("action")
	reason := rq.form("reason")
	hours, _ := strconv.Atoi(rq.form("hours"))
	if hours < 0 || hours > maxSanctionHours {
		return apperr.Validation(map[string]string{"hours": "must be 0 to " + strconv.Itoa(maxSanctionHours)})
	}
	d := time.Duration(hours) * time.Hour
	var err error
	switch action {
	case "trust":
		level, convErr := strconv.Atoi(rq.form("level"))
		if convErr != nil {
			return apperr.Validation(map[string]string{"level": "must be 0 to 4"})
		}
		_, err = s.Moderation.SetTrustLevel(ctx, rq.actor, name, level, rq.form("locked") != "", reason)
	case "silence":
		err = s.Moderation.Silence(ctx, rq.actor, name, d, reason)
	case "unsilence":
		err = s.Moderation.Unsilence(ctx, rq.actor, name, reason)
	case "suspend":
		err = s.Moderation.Suspend(ctx, rq.actor, name, d, reason)
	case "unsuspend":
		err = s.Moderation.Unsuspend(ctx, rq.actor, name, reason)
	default:
		return errNotFound
	}
	if err != nil {
		return err
	}
	return rq.redirect("/review/users/" + name + "?done=" + action)
}
