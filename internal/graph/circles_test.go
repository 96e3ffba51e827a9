package graph

import "testing"

// Two tight triangles joined by one weak tie are two circles; someone
// without ties is a circle of their own; numbering is largest first.
func TestCircles(t *testing.T) {
	n := Network{}
	for id := 1; id <= 7; id++ {
		n.Nodes = append(n.Nodes, Node{ID: id})
	}
	tie := func(a, b int, w float64) { n.Edges = append(n.Edges, Edge{Source: a, Target: b, Weight: w}) }
	tie(1, 2, 3)
	tie(2, 3, 3)
	tie(1, 3, 3)
	tie(4, 5, 2)
	tie(5, 6, 2)
	tie(4, 6, 2)
	tie(3, 4, 0.5)
	got := Circles(n)
	want := map[int]int{1: 1, 2: 1, 3: 1, 4: 2, 5: 2, 6: 2, 7: 3}
	for id, c := range want {
		if got[id] != c {
			t.Fatalf("circles %v, want %v", got, want)
		}
	}
	if len(Circles(Network{})) != 0 {
		t.Fatal("an empty network has circles")
	}
}
