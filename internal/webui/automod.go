package webui

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/moderation"
)

// The automod rules editor (admins): watched words and RE2 patterns, each
// one blocking, holding, flagging or replacing what it matches, and a box
// to try a text against them. The rules are one section of the moderation
// settings; every change is a moderation.Service.PutSettings of the whole
// settings with one rule changed, so it is validated (422 messages shown
// in the form), audited and revertible like the API's PUT
// /api/v1/admin/automod. The service refuses anyone but admins (403).

// Rules are numbered from 1 in the page's URLs and forms. A form that
// changes a rule also carries the pattern it showed (was), so a change
// made meanwhile by someone else is not overwritten by position.

var ruleActions = []string{moderation.ActionBlock, moderation.ActionHold, moderation.ActionFlag, moderation.ActionReplace}

// ruleChanges are the changes the page confirms after a redirect (?done=).
var ruleChanges = []string{"created", "saved", "enabled", "disabled", "deleted"}

type ruleForm struct {
	Number int    // 0: a new rule
	Was    string // the pattern the page showed for rule Number
	moderation.WordRule
	Reason string
}

type automodData struct {
	Rules    []moderation.WordRule
	Actions  []string
	Form     ruleForm
	Errors   map[string]string // by form field
	General  []string          // problems that are not one field's
	Done     string            // the change just made
	TestText string
	Test     *moderation.RuleTest
	MaxRules int
	MaxRegex int
	MaxLen   int
	MaxText  int
}

func (s *server) automodData(rq *request) (*automodData, moderation.Settings, error) {
	if err := rq.requireUser(); err != nil {
		return nil, moderation.Settings{}, err
	}
	if s.Moderation == nil {
		return nil, moderation.Settings{}, errNotFound
	}
	st, err := s.Moderation.Settings(rq.r.Context(), rq.actor)
	if err != nil {
		return nil, st, err
	}
	// The service hands out the settings in force; edit a copy.
	st.Words = slices.Clone(st.Words)
	d := &automodData{Rules: st.Words, Actions: ruleActions, MaxRules: moderation.MaxWordRules, MaxRegex: moderation.MaxRegexRules,
		MaxLen: moderation.MaxPatternLen, MaxText: moderation.MaxRuleTestText}
	d.Form.Action = moderation.ActionFlag
	return d, st, nil
}

// automodPage lists the rules with the form for a new one, or for the rule
// ?edit=N.
func (s *server) automodPage(rq *request) error {
	d, _, err := s.automodData(rq)
	if err != nil {
		return err
	}
	if done := rq.r.URL.Query().Get("done"); slices.Contains(ruleChanges, done) {
		d.Done = done
	}
	if n := rq.queryInt("edit"); n > 0 {
		if n > len(d.Rules) {
			return errNotFound
		}
		d.Form = ruleForm{Number: n, Was: d.Rules[n-1].Pattern, WordRule: d.Rules[n-1]}
	}
	return rq.render("automod", rq.lang.T("automod.title"), d)
}

// ruleAt returns the index of rule number n, checking that it is still the
// rule the form showed.
func ruleAt(words []moderation.WordRule, n int, was string) (int, error) {
	if n < 1 || n > len(words) {
		return 0, errNotFound
	}
	if words[n-1].Pattern != was {
		return 0, apperr.Conflict("rules_changed", "the rules changed since the page was loaded; reload it and try again")
	}
	return n - 1, nil
}

// automodSave creates a rule (number empty) or replaces one.
func (s *server) automodSave(rq *request) error {
	d, st, err := s.automodData(rq)
	if err != nil {
		return err
	}
	n, _ := strconv.Atoi(rq.form("number"))
	f := ruleForm{Number: n, Was: rq.form("was"), Reason: strings.TrimSpace(rq.form("reason")), WordRule: moderation.WordRule{
		Pattern: rq.form("pattern"), Regex: rq.form("regex") != "", Action: rq.form("action"),
		Replacement: rq.form("replacement"), Disabled: rq.form("disabled") != ""}}
	if f.Action != moderation.ActionReplace {
		f.Replacement = "" // the field stays in the form; only replace uses it
	}
	i := len(st.Words)
	done := "created"
	if n > 0 {
		if i, err = ruleAt(st.Words, n, f.Was); err != nil {
			return err
		}
		st.Words[i] = f.WordRule
		done = "saved"
	} else {
		st.Words = append(st.Words, f.WordRule)
	}
	if err := s.putRules(rq, st, f.Reason); err != nil {
		e := apperr.As(err)
		if e == nil || e.Kind != apperr.KindUnprocessable {
			return err
		}
		d.Form = f
		d.Errors, d.General = ruleErrors(e, i)
		if len(d.Errors) == 0 && len(d.General) == 0 {
			d.General = []string{rq.lang.Err(e.Code, e.Message)}
		}
		return rq.renderView(http.StatusUnprocessableEntity, "automod", rq.view(rq.lang.T("automod.title"), d))
	}
	return rq.redirect("/review/automod?done=" + done)
}

// ruleErrors sorts the service's 422 fields into the form's: those of rule
// index i by field, the rest (the rule count limits) as general problems.
func ruleErrors(e *apperr.Error, i int) (map[string]string, []string) {
	fields := map[string]string{}
	var general []string
	prefix := "watched_words[" + strconv.Itoa(i) + "]."
	for k, msg := range e.Fields {
		if f, ok := strings.CutPrefix(k, prefix); ok {
			fields[f] = msg
			continue
		}
		general = append(general, k+": "+msg)
	}
	slices.Sort(general)
	return fields, general
}

// automodToggle enables or disables a rule.
func (s *server) automodToggle(rq *request) error {
	return s.changeRule(rq, func(words []moderation.WordRule, i int) ([]moderation.WordRule, string) {
		words[i].Disabled = !words[i].Disabled
		if words[i].Disabled {
			return words, "disabled"
		}
		return words, "enabled"
	})
}

// automodDelete removes a rule (the audit log keeps it: reverting the
// change puts it back).
func (s *server) automodDelete(rq *request) error {
	return s.changeRule(rq, func(words []moderation.WordRule, i int) ([]moderation.WordRule, string) {
		return slices.Delete(words, i, i+1), "deleted"
	})
}

func (s *server) changeRule(rq *request, change func([]moderation.WordRule, int) ([]moderation.WordRule, string)) error {
	_, st, err := s.automodData(rq)
	if err != nil {
		return err
	}
	n, err := rq.pathID("n")
	if err != nil {
		return err
	}
	i, err := ruleAt(st.Words, n, rq.form("was"))
	if err != nil {
		return err
	}
	var done string
	st.Words, done = change(st.Words, i)
	if err := s.putRules(rq, st, rq.form("reason")); err != nil {
		return err
	}
	return rq.redirect("/review/automod?done=" + done)
}

func (s *server) putRules(rq *request, st moderation.Settings, reason string) error {
	_, err := s.Moderation.PutSettings(rq.r.Context(), rq.actor, st, reason)
	return err
}

// automodTest shows which rules match a text and what screening would make
// of it; htmx gets the result alone.
func (s *server) automodTest(rq *request) error {
	d, _, err := s.automodData(rq)
	if err != nil {
		return err
	}
	d.TestText = rq.form("text")
	if d.Test, err = s.Moderation.TestRules(rq.r.Context(), rq.actor, d.TestText); err != nil {
		return err
	}
	if rq.htmx {
		rq.renderFragment(http.StatusOK, "automod-test", d)
		return nil
	}
	return rq.render("automod", rq.lang.T("automod.title"), d)
}
