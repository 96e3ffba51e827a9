package webui

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// Languages the web app speaks, the first being the fallback. Each has a
// message file locales/<tag>.json, and feature areas may add
// locales/<area>.<tag>.json.
var languages = []language.Tag{language.English, language.SimplifiedChinese}

// langCookie remembers a guest's language choice.
const langCookie = "crn_lang"

// translator holds every message file.
type translator struct {
	bundle  *i18n.Bundle
	matcher language.Matcher
	locs    map[language.Tag]*lang
}

func newTranslator(locales fs.FS) (*translator, error) {
	b := i18n.NewBundle(languages[0])
	b.RegisterUnmarshalFunc("json", json.Unmarshal)
	for _, tag := range languages {
		// <tag>.json holds the core pages' messages; each feature area may
		// add <area>.<tag>.json next to it (feedback.en.json…).
		extra, err := fs.Glob(locales, "*."+tag.String()+".json")
		if err != nil {
			return nil, err
		}
		for _, name := range append([]string{tag.String() + ".json"}, extra...) {
			if _, err := b.LoadMessageFileFS(locales, name); err != nil {
				return nil, fmt.Errorf("webui: messages for %s: %w", tag, err)
			}
		}
	}
	tr := &translator{bundle: b, matcher: language.NewMatcher(languages), locs: map[language.Tag]*lang{}}
	for _, tag := range languages {
		tr.locs[tag] = &lang{Tag: tag, loc: i18n.NewLocalizer(b, tag.String())}
	}
	return tr, nil
}

// match picks the supported language closest to the preferences given, in
// order (a user's setting, a cookie, an Accept-Language header).
func (tr *translator) match(prefs ...string) *lang {
	for _, p := range prefs {
		if p == "" {
			continue
		}
		tags, _, err := language.ParseAcceptLanguage(p)
		if err != nil || len(tags) == 0 {
			continue
		}
		tag, _, conf := tr.matcher.Match(tags...)
		if conf == language.No {
			continue
		}
		base, _ := tag.Base()
		for _, t := range languages {
			if b, _ := t.Base(); b == base {
				return tr.locs[t]
			}
		}
	}
	return tr.locs[languages[0]]
}

// forRequest chooses the language of a page: the signed-in user's locale,
// else the guest's cookie, else Accept-Language, else English.
func (tr *translator) forRequest(r *http.Request, userLocale string) *lang {
	cookie := ""
	if c, err := r.Cookie(langCookie); err == nil {
		cookie = c.Value
	}
	if userLocale != "" {
		return tr.match(userLocale)
	}
	return tr.match(cookie, r.Header.Get("Accept-Language"))
}

// lang translates for one language; templates call {{$.L.T "id"}}.
type lang struct {
	Tag language.Tag
	loc *i18n.Localizer
}

// Code is the page's lang attribute (en, zh-Hans).
func (l *lang) Code() string { return l.Tag.String() }

// T translates id. Extra arguments are name/value pairs for the message's
// template: {{$.L.T "topic.by" "Name" .Author}}.
func (l *lang) T(id string, args ...any) string {
	cfg := &i18n.LocalizeConfig{MessageID: id}
	if len(args) > 0 {
		data := make(map[string]any, len(args)/2)
		for i := 0; i+1 < len(args); i += 2 {
			data[fmt.Sprint(args[i])] = args[i+1]
		}
		cfg.TemplateData = data
	}
	s, err := l.loc.Localize(cfg)
	if err != nil {
		return id // a missing message shows its id; TestMessagesComplete catches it first
	}
	return s
}

// N translates a message with plural forms for count n, available to the
// message as {{.Count}}.
func (l *lang) N(id string, n int) string {
	s, err := l.loc.Localize(&i18n.LocalizeConfig{MessageID: id, PluralCount: n, TemplateData: map[string]any{"Count": n}})
	if err != nil {
		return id
	}
	return s
}

// Err translates an error code, falling back to the service's own message.
func (l *lang) Err(code, fallback string) string {
	s, err := l.loc.Localize(&i18n.LocalizeConfig{MessageID: "error." + code})
	if err != nil || strings.TrimSpace(s) == "" {
		return fallback
	}
	return s
}

// Date formats a moment in the reader's language, in UTC.
func (l *lang) Date(t time.Time) string {
	t = t.UTC()
	if b, _ := l.Tag.Base(); b.String() == "zh" {
		return t.Format("2006年1月2日 15:04")
	}
	return t.Format("Jan 2, 2006 15:04")
}
