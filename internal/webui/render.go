package webui

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/crn-dev/crn/ent"
)

// pages holds one template set per page (layout + partials + the page) and
// the shared set that renders fragments for htmx.
type pages struct {
	byName    map[string]*template.Template
	fragments *template.Template
}

func parsePages(tfs fs.FS, a *assets) (*pages, error) {
	base, err := template.New("").Funcs(funcs(a)).ParseFS(tfs, "layout.html", "partials/*.html")
	if err != nil {
		return nil, fmt.Errorf("webui: templates: %w", err)
	}
	names, err := fs.Glob(tfs, "pages/*.html")
	if err != nil {
		return nil, err
	}
	p := &pages{byName: map[string]*template.Template{}}
	for _, n := range names {
		t, err := template.Must(base.Clone()).ParseFS(tfs, n)
		if err != nil {
			return nil, fmt.Errorf("webui: template %s: %w", n, err)
		}
		p.byName[strings.TrimSuffix(path.Base(n), ".html")] = t
	}
	p.fragments = base
	return p, nil
}

func funcs(a *assets) template.FuncMap {
	return template.FuncMap{
		"asset": a.url,
		// sub hands a fragment the page's view with its own data, so the
		// fragment reaches $.L, $.Me and $.CSRF: {{template "post" (sub $ .)}}.
		"sub": func(v *view, data any) *view {
			c := *v
			c.Data = data
			return &c
		},
		// trusted marks HTML the sanitizer (internal/markup) or the search
		// highlighter produced; nothing else may pass through it.
		"trusted": func(s string) template.HTML { return template.HTML(s) },
		"iso":     func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"add":     func(a, b int) int { return a + b },
		"num":     fmtNum,
		"percent": func(share float64) string { return fmtNum(share*100) + "%" },
		"strs":    func(v ...string) []string { return v },
		"emoji":   func(kind string) string { return reactionEmoji[kind] },
		"initial": func(u *ent.User) string {
			if u == nil {
				return "?"
			}
			name := u.DisplayName
			if name == "" {
				name = u.Username
			}
			r := []rune(name)
			return strings.ToUpper(string(r[:1]))
		},
		"name": func(u *ent.User) string {
			if u == nil {
				return ""
			}
			if u.DisplayName != "" {
				return u.DisplayName
			}
			return u.Username
		},
	}
}

// reactionEmoji shows the forum's reaction kinds.
var reactionEmoji = map[string]string{
	"like": "👍", "heart": "❤️", "laugh": "😄", "hooray": "🎉", "thinking": "🤔", "eyes": "👀",
}

// view is what every template gets: the page's own data in Data, and
// around it who is reading, in which language, and the anti-forgery token.
type view struct {
	L       *lang
	Me      *ent.User
	CSRF    string
	Title   string
	Path    string // this page, for "return here after signing in"
	Unread  int    // the reader's unread notifications
	TopicID int    // the topic the page shows, for the live feed
	Search  string // the query in the header's search box
	// Explorer: the reader is staff and the graph explorer is served.
	Explorer bool
	// Languages offered by the switcher, each named in itself.
	Languages []langOption
	Data      any
}

func (rq *request) view(title string, data any) *view {
	v := &view{L: rq.lang, Me: rq.user, CSRF: rq.csrf, Title: title, Path: rq.r.URL.RequestURI(), Data: data,
		Languages: rq.s.langs, Explorer: rq.s.Graph != nil && rq.user != nil && rq.actor.Staff()}
	if rq.user != nil && rq.s.Notifications != nil {
		if n, err := rq.s.Notifications.UnreadCount(rq.r.Context(), rq.user.ID); err == nil {
			v.Unread = n
		}
	}
	return v
}

// render answers 200 with a whole page.
func (rq *request) render(name, title string, data any) error {
	return rq.renderView(http.StatusOK, name, rq.view(title, data))
}

func (rq *request) renderStatus(code int, name, title string, data any) {
	if err := rq.renderView(code, name, rq.view(title, data)); err != nil {
		rq.s.Log.Error("render error page", "err", err)
	}
}

func (rq *request) renderView(code int, name string, v *view) error {
	t, ok := rq.s.pages.byName[name]
	if !ok {
		return fmt.Errorf("webui: no page %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		return fmt.Errorf("webui: render %s: %w", name, err)
	}
	rq.write(code, buf.Bytes())
	return nil
}

// renderFragment answers with one partial template, for htmx and the live feed.
func (rq *request) renderFragment(code int, name string, data any) {
	var buf bytes.Buffer
	v := &view{L: rq.lang, Me: rq.user, CSRF: rq.csrf, Data: data}
	if err := rq.s.pages.fragments.ExecuteTemplate(&buf, name, v); err != nil {
		rq.s.Log.Error("render fragment", "name", name, "err", err)
		code = http.StatusInternalServerError
		buf.Reset()
	}
	rq.write(code, buf.Bytes())
}

func (rq *request) write(code int, b []byte) {
	h := rq.w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	if h.Get("Cache-Control") == "" {
		// Pages carry the reader's name and anti-forgery token.
		h.Set("Cache-Control", "private, no-cache")
	}
	rq.w.WriteHeader(code)
	if rq.r.Method != http.MethodHead {
		_, _ = rq.w.Write(b)
	}
}
