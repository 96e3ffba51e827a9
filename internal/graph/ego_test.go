package graph

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestStrongestKeepsTheBestInOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for range 200 {
		n := r.IntN(60)
		c := make([]candidate, n)
		for i := range c {
			c[i] = candidate{n: int32(i), w: float64(r.IntN(8))} // ties on purpose
		}
		want := slices.Clone(c)
		slices.SortFunc(want, stronger)
		k := r.IntN(n + 2)
		got := strongest(slices.Clone(c), k)
		if !slices.Equal(got, want[:min(k, n)]) {
			t.Fatalf("n=%d k=%d: got %v, want %v", n, k, got, want[:min(k, n)])
		}
	}
}
