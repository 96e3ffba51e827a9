// Package graph keeps the relationship graph between customers: who follows,
// replies to, mentions, quotes, reacts to, accepts answers from, votes with,
// shares groups with and uses the resources of whom. The graph is derived
// data: an outbox consumer keeps the graph_edges table current, every serving
// node keeps a compact in-memory copy that it refreshes from that table, and
// `crn graph rebuild` recomputes the table from the outbox. Queries run on the
// in-memory copy with gonum's algorithms. See docs/graph.md.
package graph

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Kind is one kind of interaction that ties two customers.
type Kind uint8

// The kinds of interaction. Their names are the API's and the table's.
const (
	Follow   Kind = iota // src follows dst (a standing relation; does not decay)
	Reply                // src replied to a post of dst
	Mention              // src mentioned dst
	Quote                // src quoted dst
	Reaction             // src reacted to a post of dst
	Answer               // src accepted dst's answer
	CoVote               // src voted on a feedback item dst had voted on
	Group                // src joined a small group dst belonged to (a standing relation; does not decay)
	Rating               // src rated a resource of dst
	Download             // src downloaded a resource of dst
	numKinds
)

var kindNames = [numKinds]string{"follow", "reply", "mention", "quote", "reaction", "answer", "covote", "group", "rating", "download"}

// String is the kind's name.
func (k Kind) String() string {
	if k < numKinds {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// decays reports whether contributions of k fade with age. Follows and shared
// groups are current relations, not past events: they last until undone.
func (k Kind) decays() bool { return k != Follow && k != Group }

// ParseKind returns the kind named s.
func ParseKind(s string) (Kind, bool) {
	for i, n := range kindNames {
		if n == s {
			return Kind(i), true
		}
	}
	return 0, false
}

// KindNames lists every kind's name in order.
func KindNames() []string { return append([]string(nil), kindNames[:]...) }

// KindSet is a set of kinds as a bit mask; the zero set means every kind.
type KindSet uint32

// Has reports whether k is in the set.
func (s KindSet) Has(k Kind) bool { return s == 0 || s&(1<<k) != 0 }

// ParseKinds reads a comma-separated list of kind names.
func ParseKinds(s string) (KindSet, error) {
	var set KindSet
	for _, n := range strings.Split(s, ",") {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		k, ok := ParseKind(n)
		if !ok {
			return 0, fmt.Errorf("unknown kind %q (known: %s)", n, strings.Join(kindNames[:], ", "))
		}
		set |= 1 << k
	}
	return set, nil
}

// Weights is what one interaction of each kind is worth.
type Weights [numKinds]float64

// DefaultWeights value a direct exchange above a passing reaction.
var DefaultWeights = Weights{
	Follow: 3, Reply: 2, Mention: 1.5, Quote: 2, Reaction: 0.5, Answer: 4, CoVote: 0.3, Group: 1, Rating: 1, Download: 0.5,
}

// ParseWeights reads "reply=2,follow=3" over the defaults.
func ParseWeights(s string) (Weights, error) {
	w := DefaultWeights
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, val, ok := strings.Cut(part, "=")
		k, known := ParseKind(strings.TrimSpace(name))
		if !ok || !known {
			return w, fmt.Errorf("%q is not kind=weight with a known kind", part)
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) {
			return w, fmt.Errorf("%q: the weight must be a non-negative number", part)
		}
		w[k] = f
	}
	return w, nil
}

// String writes the weights as ParseWeights reads them.
func (w Weights) String() string {
	parts := make([]string, numKinds)
	for k := range numKinds {
		parts[k] = kindNames[k] + "=" + strconv.FormatFloat(w[k], 'g', -1, 64)
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// Decay is exponential decay with a half-life.
type Decay struct{ HalfLife time.Duration }

// Factor is how much of a score from `from` remains at `to`: 2^-(Δt/halfLife).
// Scores from the future (clock skew) are not amplified.
func (d Decay) Factor(from, to time.Time) float64 {
	if d.HalfLife <= 0 || !to.After(from) {
		return 1
	}
	return math.Exp2(-float64(to.Sub(from)) / float64(d.HalfLife))
}

// Accumulate folds one contribution of weight w at time at into a score
// last computed at asOf: score·2^-((at-asOf)/halfLife) + w. It is exact: the
// result equals the sum of every contribution decayed to at.
func (d Decay) Accumulate(score float64, asOf time.Time, w float64, at time.Time) (float64, time.Time) {
	if at.Before(asOf) { // an older contribution arriving late: decay it instead
		return score + w*d.Factor(at, asOf), asOf
	}
	return score*d.Factor(asOf, at) + w, at
}
