package webui

import (
	"encoding/json"
	"io/fs"
	"regexp"
	"sort"
	"strings"
	"testing"
	"unicode"

	"golang.org/x/net/html"

	"github.com/crn-dev/crn/web"
)

// Every message a template or handler names exists in every language, and
// the message files hold the same ids.
func TestMessagesComplete(t *testing.T) {
	files := map[string]map[string]any{}
	for _, tag := range languages {
		extra, err := fs.Glob(web.Locales(), "*."+tag.String()+".json")
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]any{}
		for _, name := range append([]string{tag.String() + ".json"}, extra...) {
			b, err := fs.ReadFile(web.Locales(), name)
			if err != nil {
				t.Fatal(err)
			}
			part := map[string]any{}
			if err := json.Unmarshal(b, &part); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			for id, v := range part {
				if _, dup := m[id]; dup {
					t.Errorf("%s: %q is defined in another %s file too", name, id, tag)
				}
				m[id] = v
			}
		}
		files[tag.String()] = m
	}
	en := files["en"]
	for name, m := range files {
		for id := range en {
			if _, ok := m[id]; !ok {
				t.Errorf("%s.json lacks %q", name, id)
			}
		}
		for id := range m {
			if _, ok := en[id]; !ok {
				t.Errorf("%s.json has %q, which en.json lacks", name, id)
			}
		}
	}
	used := usedMessageIDs(t)
	for _, id := range used {
		if _, ok := en[id]; !ok {
			t.Errorf("message %q is used but not defined", id)
		}
	}
	// Ids built at run time: one per value the code can produce.
	for _, prefix := range []string{"reaction.", "search.type.", "search.sort.", "search.facet.", "sort.", "notification.", "role."} {
		n := 0
		for id := range en {
			if strings.HasPrefix(id, prefix) {
				n++
			}
		}
		if n == 0 {
			t.Errorf("no messages for %s*", prefix)
		}
	}
}

var msgUse = regexp.MustCompile(`\.(?:T|N) \(?"([a-z_.]+[a-z_])"`)

func usedMessageIDs(t *testing.T) []string {
	seen := map[string]bool{}
	err := fs.WalkDir(web.Templates(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(web.Templates(), p)
		for _, m := range msgUse.FindAllStringSubmatch(string(b), -1) {
			seen[m[1]] = true
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for id := range seen {
		out = append(out, id)
	}
	sort.Strings(out)
	if len(out) < 50 {
		t.Fatalf("found only %d message ids in the templates; is the pattern stale?", len(out))
	}
	return out
}

var action = regexp.MustCompile(`(?s)\{\{.*?\}\}`)

// No words are written into the templates themselves: every text a reader
// sees (text and the title, alt, placeholder and aria-label attributes)
// comes from a message file.
func TestTemplatesHaveNoHardCodedText(t *testing.T) {
	visible := map[string]bool{"title": true, "alt": true, "placeholder": true, "aria-label": true}
	hasLetter := func(s string) bool {
		for _, r := range s {
			if unicode.IsLetter(r) {
				return true
			}
		}
		return false
	}
	err := fs.WalkDir(web.Templates(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(web.Templates(), p)
		if err != nil {
			return err
		}
		src := action.ReplaceAllString(string(b), "")
		z := html.NewTokenizer(strings.NewReader(src))
		for {
			switch z.Next() {
			case html.ErrorToken:
				return nil
			case html.TextToken:
				if txt := strings.TrimSpace(string(z.Text())); hasLetter(txt) {
					t.Errorf("%s: hard-coded text %q", p, txt)
				}
			case html.StartTagToken, html.SelfClosingTagToken:
				_, more := z.TagName()
				for more {
					var k, v []byte
					k, v, more = z.TagAttr()
					if visible[string(k)] && hasLetter(string(v)) {
						t.Errorf("%s: hard-coded %s=%q", p, k, v)
					}
				}
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
}
