package webui

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"golang.org/x/text/language"

	"github.com/crn-dev/crn/internal/graph"
	"github.com/crn-dev/crn/web"
)

// When PageRank and communities did not answer within the wait, the
// explorer still shows the network and says the rest is not available
// yet, in both languages; without a network it loads no script.
func TestExplorerSaysNotReady(t *testing.T) {
	s := &server{Deps: Deps{Log: slog.New(slog.DiscardHandler)}}
	var err error
	if s.tr, err = newTranslator(web.Locales()); err != nil {
		t.Fatal(err)
	}
	if s.assets, err = newAssets(web.Static()); err != nil {
		t.Fatal(err)
	}
	if s.pages, err = parsePages(web.Templates(), s.assets); err != nil {
		t.Fatal(err)
	}
	ego := explorerRow{Node: graph.Node{ID: 1, Username: "alice"}, Name: "Alice", Circle: 1, Colour: 1}
	bob := explorerRow{Node: graph.Node{ID: 2, Username: "bob", Depth: 1}, Name: "Bob", Circle: 1, Colour: 1, Tie: 3, Explore: "/graph?depth=1&user=bob"}
	render := func(tag language.Tag, d explorerData) string {
		w := httptest.NewRecorder()
		rq := &request{s: s, w: w, r: httptest.NewRequest(http.MethodGet, "/graph?user=alice", nil), lang: s.tr.locs[tag]}
		if err := rq.renderView(http.StatusOK, "graph", rq.view("graph", d)); err != nil {
			t.Fatal(err)
		}
		return w.Body.String()
	}
	d := explorerData{Query: explorerQuery{User: "alice", Depth: 1}, Depths: []int{1, 2}, Ego: &ego, Rows: []explorerRow{bob},
		DataURL: "/graph/data?depth=1&user=alice", InNetwork: map[int]bool{1: true, 2: true}}
	for tag, text := range map[language.Tag]string{language.English: "Not available yet", language.SimplifiedChinese: "暂不可用"} {
		body := render(tag, d)
		for _, want := range []string{`id="graph-ranks-not-ready"`, `id="graph-communities-not-ready"`, text, `data-user="bob"`, "vendor/cytoscape.min.js"} {
			if !strings.Contains(body, want) {
				t.Fatalf("%s: no %q in\n%s", tag, want, body)
			}
		}
		if strings.Contains(body, `id="graph-influencers"`) || strings.Contains(body, `id="graph-communities"`) {
			t.Fatalf("%s: lists shown though not ready", tag)
		}
	}
	d.Ego, d.Rows = nil, nil
	if body := render(language.English, d); strings.Contains(body, "cytoscape.min.js") || strings.Contains(body, "js/graph.js") {
		t.Fatal("the graph script is loaded without a network")
	}
}
