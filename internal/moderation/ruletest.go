package moderation

import (
	"context"
	"unicode/utf8"

	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
)

// MaxRuleTestText bounds the text an admin may try the watched words on.
const MaxRuleTestText = 10000 // characters

// RuleMatch is a watched word or pattern that matched a text.
type RuleMatch struct {
	Index int // in Settings.Words
	WordRule
}

// RuleTest is what the watched words make of a text.
type RuleTest struct {
	Matches []RuleMatch // every rule that matches, disabled ones too
	// Text is the text after the enabled replace rules; Verdict the
	// strongest action of the enabled rules that matched: block, hold,
	// flag, or empty.
	Text    string
	Verdict string
}

// TestRules runs the watched words in force over text without storing
// anything, the way screening runs them over a post (admins).
func (s *Service) TestRules(ctx context.Context, a authz.Actor, text string) (*RuleTest, error) {
	if err := requireActor(a, authz.CanManageAutomod(a), "only administrators manage auto-moderation"); err != nil {
		return nil, err
	}
	if utf8.RuneCountInString(text) > MaxRuleTestText {
		return nil, apperr.Validation(map[string]string{"text": "is longer than 10000 characters"})
	}
	c, err := s.load(ctx)
	if err != nil {
		return nil, err
	}
	rank := map[string]int{ActionFlag: 1, ActionHold: 2, ActionBlock: 3}
	out := &RuleTest{Matches: []RuleMatch{}}
	d := newDoc(text)
	for i, r := range c.rules {
		if r.Disabled {
			// Matched on a copy: a disabled replace rule changes nothing.
			if r.apply(newDoc(d.s)) {
				out.Matches = append(out.Matches, RuleMatch{Index: i, WordRule: r.WordRule})
			}
			continue
		}
		if !r.apply(d) {
			continue
		}
		out.Matches = append(out.Matches, RuleMatch{Index: i, WordRule: r.WordRule})
		if rank[r.Action] > rank[out.Verdict] {
			out.Verdict = r.Action
		}
	}
	out.Text = d.s
	return out, nil
}
