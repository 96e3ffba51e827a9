package webui

import (
	"net/http"

	"github.com/crn-dev/crn/internal/account"
	"github.com/crn-dev/crn/internal/apperr"
)

type settingsData struct {
	DisplayName string
	Bio         string
	Locale      string
	Languages   []langOption
	// Graph: the graph opt-out is offered (the graph is served).
	Graph       bool
	GraphOptOut bool
	Errors      map[string]string
	Saved       bool
	PwErrors    map[string]string
	PwMessage   string
	PwSaved     bool
}

type langOption struct {
	Code, Name string
}

func (s *server) languageOptions() []langOption {
	out := make([]langOption, len(languages))
	for i, t := range languages {
		// Each language is named in itself, whatever the page's language.
		out[i] = langOption{Code: t.String(), Name: s.tr.locs[t].T("language.name")}
	}
	return out
}

func (s *server) settingsData(rq *request) settingsData {
	return settingsData{DisplayName: rq.user.DisplayName, Bio: rq.user.Bio, Locale: rq.lang.Code(), Languages: s.languageOptions(),
		Graph: s.Graph != nil, GraphOptOut: rq.user.GraphOptOut,
		Saved: rq.r.URL.Query().Get("saved") == "1", PwSaved: rq.r.URL.Query().Get("password") == "1"}
}

func (s *server) settingsPage(rq *request) error {
	if err := rq.requireUser(); err != nil {
		return err
	}
	return rq.render("settings", rq.lang.T("settings.title"), s.settingsData(rq))
}

// saveSettings updates the profile, the language and, when the graph is
// served, the graph opt-out (an unticked box is false).
func (s *server) saveSettings(rq *request) error {
	if err := rq.requireUser(); err != nil {
		return err
	}
	name, bio, locale := rq.form("display_name"), rq.form("bio"), rq.form("locale")
	patch := account.ProfilePatch{DisplayName: &name, Bio: &bio, Locale: &locale}
	optOut := rq.form("graph_opt_out") != ""
	if s.Graph != nil {
		patch.GraphOptOut = &optOut
	}
	_, err := s.Accounts.UpdateProfile(rq.r.Context(), rq.user.ID, patch)
	if e := apperr.As(err); e != nil && e.Kind == apperr.KindUnprocessable {
		d := s.settingsData(rq)
		d.DisplayName, d.Bio, d.Errors, d.GraphOptOut = name, bio, e.Fields, optOut
		return rq.renderView(http.StatusUnprocessableEntity, "settings", rq.view(rq.lang.T("settings.title"), d))
	}
	if err != nil {
		return err
	}
	return rq.redirect("/settings?saved=1")
}

// changePassword replaces the password; other sessions are signed out.
func (s *server) changePassword(rq *request) error {
	if err := rq.requireUser(); err != nil {
		return err
	}
	err := s.Accounts.ChangePassword(rq.r.Context(), rq.user.ID, rq.form("current_password"), rq.form("new_password"), rq.token.ID)
	if e := apperr.As(err); e != nil && e.Kind != apperr.KindInternal && e.Kind != apperr.KindUnavailable {
		d := s.settingsData(rq)
		d.PwErrors, d.PwMessage = e.Fields, rq.lang.Err(e.Code, e.Message)
		return rq.renderView(statusOf(e), "settings", rq.view(rq.lang.T("settings.title"), d))
	}
	if err != nil {
		return err
	}
	return rq.redirect("/settings?password=1")
}

// setLanguage switches the language: on the account when signed in, in a
// cookie for guests. It returns to the page it was chosen on.
func (s *server) setLanguage(rq *request) error {
	l := s.tr.match(rq.form("locale"))
	if rq.user != nil {
		code := l.Code()
		if _, err := s.Accounts.UpdateProfile(rq.r.Context(), rq.user.ID, account.ProfilePatch{Locale: &code}); err != nil {
			return err
		}
	}
	http.SetCookie(rq.w, &http.Cookie{
		Name: langCookie, Value: l.Code(), Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, Secure: s.Config.CookieSecure, SameSite: http.SameSiteLaxMode,
	})
	return rq.redirect(safeNext(rq.form("next")))
}
