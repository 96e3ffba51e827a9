package graph

import (
	"bufio"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/crn-dev/crn/internal/apperr"
)

// Export formats.
const (
	FormatGraphML = "graphml"
	FormatGEXF    = "gexf"
	FormatJSON    = "json"
)

// ContentType is the media type of an export format.
func ContentType(format string) string {
	switch format {
	case FormatGraphML:
		return "application/graphml+xml"
	case FormatGEXF:
		return "application/gexf+xml"
	}
	return "application/json"
}

type exportEdge struct {
	a, b   int32
	weight float32
	counts [numKinds]int32
}

type exported struct {
	ids   []int // user ids of the nodes, by export index
	edges []exportEdge
	names map[int][2]string
}

// Export writes the graph (staff only) as GraphML, GEXF 1.2 or JSON, for
// Gephi and Cytoscape. group restricts it to that group's members.
func (s *Service) Export(ctx context.Context, v Viewer, format string, group int, w io.Writer) error {
	if err := staffOnly(v); err != nil {
		return err
	}
	if format != FormatGraphML && format != FormatGEXF && format != FormatJSON {
		return apperr.Validation(map[string]string{"format": "must be graphml, gexf or json"})
	}
	x, err := s.collect(ctx, v, group)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	switch format {
	case FormatGraphML:
		err = x.graphML(bw)
	case FormatGEXF:
		err = x.gexf(bw, s.opts.Now())
	default:
		err = x.json(bw)
	}
	if err == nil {
		err = bw.Flush()
	}
	return err
}

// collect copies what the export shows, holding the graph's lock only for
// the copy.
func (s *Service) collect(ctx context.Context, v Viewer, group int) (*exported, error) {
	snap, vw, done, err := s.analyticsView(ctx, v, AnalyticsQuery{Group: group})
	if err != nil {
		return nil, err
	}
	x := &exported{ids: snap.users}
	dense := make([]int32, len(snap.users))
	for i, u := range snap.users {
		dense[i] = vw.m.index[u]
	}
	for i := range snap.users {
		for j := snap.off[i]; j < snap.off[i+1]; j++ {
			p := snap.peer[j]
			if int32(i) > p {
				continue
			}
			t, _ := vw.between(dense[i], dense[p])
			x.edges = append(x.edges, exportEdge{a: int32(i), b: p, weight: float32(t.weight), counts: t.counts})
		}
	}
	done()
	users, err := s.users(ctx, x.ids)
	if err != nil {
		return nil, err
	}
	x.names = make(map[int][2]string, len(users))
	for id, u := range users {
		x.names[id] = [2]string{u.Username, u.DisplayName}
	}
	return x, nil
}

func esc(s string) string {
	var b []byte
	buf := bytesWriter{&b}
	_ = xml.EscapeText(buf, []byte(s))
	return string(b)
}

type bytesWriter struct{ b *[]byte }

func (w bytesWriter) Write(p []byte) (int, error) { *w.b = append(*w.b, p...); return len(p), nil }

func ftoa(f float32) string { return strconv.FormatFloat(float64(f), 'g', 6, 32) }

func (x *exported) graphML(w *bufio.Writer) error {
	w.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">
  <key id="username" for="node" attr.name="username" attr.type="string"/>
  <key id="display_name" for="node" attr.name="display_name" attr.type="string"/>
  <key id="weight" for="edge" attr.name="weight" attr.type="double"/>
`)
	for _, n := range kindNames {
		fmt.Fprintf(w, "  <key id=%q for=\"edge\" attr.name=%q attr.type=\"int\"><default>0</default></key>\n", "k_"+n, n)
	}
	w.WriteString("  <graph id=\"crn\" edgedefault=\"undirected\">\n")
	for _, id := range x.ids {
		nm := x.names[id]
		fmt.Fprintf(w, "    <node id=\"u%d\"><data key=\"username\">%s</data><data key=\"display_name\">%s</data></node>\n", id, esc(nm[0]), esc(nm[1]))
	}
	for i, e := range x.edges {
		fmt.Fprintf(w, "    <edge id=\"e%d\" source=\"u%d\" target=\"u%d\"><data key=\"weight\">%s</data>", i, x.ids[e.a], x.ids[e.b], ftoa(e.weight))
		for k, c := range e.counts {
			if c > 0 {
				fmt.Fprintf(w, "<data key=\"k_%s\">%d</data>", kindNames[k], c)
			}
		}
		w.WriteString("</edge>\n")
	}
	_, err := w.WriteString("  </graph>\n</graphml>\n")
	return err
}

func (x *exported) gexf(w *bufio.Writer, now time.Time) error {
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>
<gexf xmlns="http://www.gexf.net/1.2draft" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.gexf.net/1.2draft http://www.gexf.net/1.2draft/gexf.xsd" version="1.2">
  <meta lastmodifieddate="%s"><creator>crn</creator><description>relationship graph between customers</description></meta>
  <graph defaultedgetype="undirected" mode="static">
    <attributes class="node">
      <attribute id="username" title="username" type="string"/>
      <attribute id="display_name" title="display_name" type="string"/>
    </attributes>
    <attributes class="edge">
`, now.UTC().Format("2006-01-02"))
	for _, n := range kindNames {
		fmt.Fprintf(w, "      <attribute id=%q title=%q type=\"integer\"><default>0</default></attribute>\n", "k_"+n, n)
	}
	w.WriteString("    </attributes>\n    <nodes>\n")
	for _, id := range x.ids {
		nm := x.names[id]
		label := nm[0]
		if nm[1] != "" {
			label = nm[1]
		}
		fmt.Fprintf(w, "      <node id=\"u%d\" label=\"%s\"><attvalues><attvalue for=\"username\" value=\"%s\"/><attvalue for=\"display_name\" value=\"%s\"/></attvalues></node>\n",
			id, esc(label), esc(nm[0]), esc(nm[1]))
	}
	w.WriteString("    </nodes>\n    <edges>\n")
	for i, e := range x.edges {
		fmt.Fprintf(w, "      <edge id=\"e%d\" source=\"u%d\" target=\"u%d\" weight=\"%s\"", i, x.ids[e.a], x.ids[e.b], ftoa(e.weight))
		any := false
		for k, c := range e.counts {
			if c > 0 {
				if !any {
					w.WriteString("><attvalues>")
					any = true
				}
				fmt.Fprintf(w, "<attvalue for=\"k_%s\" value=\"%d\"/>", kindNames[k], c)
			}
		}
		if any {
			w.WriteString("</attvalues></edge>\n")
		} else {
			w.WriteString("/>\n")
		}
	}
	_, err := w.WriteString("    </edges>\n  </graph>\n</gexf>\n")
	return err
}

// json writes {"nodes": [...], "edges": [...]} one element at a time, in
// the shape of the other graph endpoints (Cytoscape reads it after mapping).
func (x *exported) json(w *bufio.Writer) error {
	enc := json.NewEncoder(w)
	w.WriteString(`{"nodes":[`)
	for i, id := range x.ids {
		if i > 0 {
			w.WriteByte(',')
		}
		nm := x.names[id]
		if err := enc.Encode(Node{ID: id, Username: nm[0], DisplayName: nm[1]}); err != nil {
			return err
		}
	}
	w.WriteString(`],"edges":[`)
	for i, e := range x.edges {
		if i > 0 {
			w.WriteByte(',')
		}
		if err := enc.Encode(Edge{Source: x.ids[e.a], Target: x.ids[e.b], Weight: round(float64(e.weight)), Counts: countsOf(&e.counts)}); err != nil {
			return err
		}
	}
	_, err := w.WriteString("]}\n")
	return err
}
