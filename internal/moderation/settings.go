package moderation

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/moderationsettings"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/event"
)

// Settings are the moderation rules admins edit through the API
// (GET|PUT /api/v1/admin/automod). The defaults are documented in
// docs/moderation.md.
type Settings struct {
	Flags      FlagSettings      `json:"flags"`
	Words      []WordRule        `json:"watched_words"`
	NewUsers   NewUserSettings   `json:"new_users"`
	RateLimits []RateLimit       `json:"rate_limits"` // one per trust level, 0 to 4
	Duplicates DuplicateSettings `json:"duplicates"`
	Spam       SpamSettings      `json:"spam"`
	Trust      TrustSettings     `json:"trust"`
}

// FlagSettings weigh flags by the flagger's trust level.
type FlagSettings struct {
	Weights       []int `json:"weights"`        // by trust level 0 to 4
	StaffWeight   int   `json:"staff_weight"`   // admins, moderators and staff
	HideThreshold int   `json:"hide_threshold"` // total weight that hides an item pending review
}

// Rule actions.
const (
	ActionBlock   = "block"   // refuse the text (422)
	ActionHold    = "hold"    // store it pending approval
	ActionFlag    = "flag"    // store it and queue it for review
	ActionReplace = "replace" // replace the match and store it
)

// WordRule is a watched word or pattern. A plain word matches
// case-insensitively; where it starts or ends with a letter or digit of a
// script written with spaces (Latin, Cyrillic...), only at a word boundary
// there, so "ass" does not catch "class". Words in Chinese, Japanese and
// other scripts without spaces match anywhere. A regex is Go RE2 syntax
// (linear time, no backreferences), case-sensitive unless it says (?i).
type WordRule struct {
	Pattern     string `json:"pattern"`
	Regex       bool   `json:"regex"`
	Action      string `json:"action"`
	Replacement string `json:"replacement,omitempty"`
	// Disabled keeps a rule without applying it (it must still be valid).
	Disabled bool `json:"disabled,omitempty"`
}

// NewUserSettings restrict trust level 0.
type NewUserSettings struct {
	MaxLinks       int `json:"max_links"`
	MaxImages      int `json:"max_images"`
	HoldFirstPosts int `json:"hold_first_posts"` // a new user's first N posts wait for approval
}

// RateLimit bounds how fast one trust level may write.
type RateLimit struct {
	PostsPerMinute int `json:"posts_per_minute"`
	TopicsPerDay   int `json:"topics_per_day"`
}

// DuplicateSettings catch the same text posted again within a window.
type DuplicateSettings struct {
	WindowMinutes int    `json:"window_minutes"` // 0 disables
	Action        string `json:"action"`         // block, hold or flag
}

// SpamSettings add the signals into a score and act past a threshold.
type SpamSettings struct {
	Threshold      int    `json:"threshold"` // 0 disables
	Action         string `json:"action"`    // block, hold or flag
	NewUserPoints  int    `json:"new_user_points"`
	LinkPoints     int    `json:"link_points"` // per link
	DuplicatePts   int    `json:"duplicate_points"`
	WatchedWordPts int    `json:"watched_word_points"` // per flag or hold rule that matched
}

// TrustSettings are the requirements of each automatic promotion.
type TrustSettings struct {
	Levels []TrustRequirement `json:"levels"` // for levels 1 to 4
	// IntervalMinutes is how often the background job re-evaluates everyone.
	IntervalMinutes int `json:"interval_minutes"`
}

// TrustRequirement is what a user must have done to reach a level.
type TrustRequirement struct {
	DaysVisited       int `json:"days_visited"`
	TopicsEntered     int `json:"topics_entered"`
	PostsRead         int `json:"posts_read"`
	RepliesPosted     int `json:"replies_posted"`
	ReactionsReceived int `json:"reactions_received"`
	// SanctionFreeDays: no warning, silence or suspension in this many days.
	SanctionFreeDays int `json:"sanction_free_days"`
}

// DefaultSettings are used until an admin saves others.
func DefaultSettings() Settings {
	return Settings{
		Flags:    FlagSettings{Weights: []int{1, 1, 2, 3, 4}, StaffWeight: 5, HideThreshold: 3},
		Words:    []WordRule{},
		NewUsers: NewUserSettings{MaxLinks: 2, MaxImages: 1, HoldFirstPosts: 0},
		RateLimits: []RateLimit{
			{PostsPerMinute: 10, TopicsPerDay: 20},
			{PostsPerMinute: 15, TopicsPerDay: 50},
			{PostsPerMinute: 20, TopicsPerDay: 100},
			{PostsPerMinute: 30, TopicsPerDay: 200},
			{PostsPerMinute: 60, TopicsPerDay: 500},
		},
		Duplicates: DuplicateSettings{WindowMinutes: 60, Action: ActionFlag},
		Spam:       SpamSettings{Threshold: 6, Action: ActionHold, NewUserPoints: 2, LinkPoints: 1, DuplicatePts: 3, WatchedWordPts: 2},
		Trust: TrustSettings{IntervalMinutes: 60, Levels: []TrustRequirement{
			{DaysVisited: 1, TopicsEntered: 5, PostsRead: 30},
			{DaysVisited: 15, TopicsEntered: 20, PostsRead: 100, RepliesPosted: 3, ReactionsReceived: 1, SanctionFreeDays: 30},
			{DaysVisited: 50, TopicsEntered: 100, PostsRead: 500, RepliesPosted: 10, ReactionsReceived: 20, SanctionFreeDays: 90},
			{DaysVisited: 200, TopicsEntered: 500, PostsRead: 5000, RepliesPosted: 100, ReactionsReceived: 200, SanctionFreeDays: 180},
		}},
	}
}

// Limits on what admins may configure.
const (
	MaxWordRules      = 500
	MaxPatternLen     = 200  // characters of a word or pattern
	MaxReplacementLen = 200  // characters
	MaxProgramInsts   = 2000 // compiled size of one regex
	// MaxRegexRules bounds the regular expressions, which cost far more per
	// post than plain words (see BenchmarkWatchedWords).
	MaxRegexRules = 50
)

var ruleActions = map[string]bool{ActionBlock: true, ActionHold: true, ActionFlag: true, ActionReplace: true}
var verdictActions = map[string]bool{ActionBlock: true, ActionHold: true, ActionFlag: true}

// compiledRule is a WordRule ready to match.
type compiledRule struct {
	WordRule
	re *regexp.Regexp
	// For plain words: the word in lower case and whether a word boundary
	// is required on its left and right (see WordRule).
	word        string
	left, right bool
}

type compiledSettings struct {
	at       time.Time
	settings Settings
	rules    []compiledRule
}

// compileRule checks a rule and builds its matcher; the error says what is wrong.
func compileRule(r WordRule) (*regexp.Regexp, string) {
	n := utf8.RuneCountInString(r.Pattern)
	switch {
	case strings.TrimSpace(r.Pattern) == "":
		return nil, "is required"
	case !utf8.ValidString(r.Pattern):
		return nil, "is not valid UTF-8"
	case n > MaxPatternLen:
		return nil, fmt.Sprintf("is longer than %d characters", MaxPatternLen)
	}
	expr := r.Pattern
	if !r.Regex {
		expr = wordExpr(strings.TrimSpace(r.Pattern))
	}
	// Parse and compile first to bound the program: RE2 matches in linear
	// time, but a huge program (a{1000}{1000}) would still be slow and big.
	parsed, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil, "is not a valid RE2 regular expression: " + err.Error()
	}
	prog, err := syntax.Compile(parsed.Simplify())
	if err != nil {
		return nil, "is not a valid RE2 regular expression: " + err.Error()
	}
	if len(prog.Inst) > MaxProgramInsts {
		return nil, fmt.Sprintf("is too complex (compiles to %d instructions, at most %d)", len(prog.Inst), MaxProgramInsts)
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, "is not a valid RE2 regular expression: " + err.Error()
	}
	return re, ""
}

// spaced reports letters and digits of scripts that separate words with
// spaces, where a word boundary means something. Han, Hiragana, Katakana,
// Hangul syllables used without spaces, Thai and the like do not.
func spaced(r rune) bool {
	if !(unicode.IsLetter(r) || unicode.IsDigit(r)) {
		return false
	}
	return !unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Thai, unicode.Lao, unicode.Khmer, unicode.Myanmar)
}

// wordExpr turns a plain watched word into a case-insensitive expression;
// word boundaries are checked by hand (see compiledRule.findWord), since RE2
// has no look-around and \b knows only ASCII.
func wordExpr(w string) string { return `(?i)` + regexp.QuoteMeta(w) }

// validate checks s and compiles its rules; problems are keyed by JSON path.
func validate(s Settings) ([]compiledRule, map[string]string) {
	p := map[string]string{}
	if len(s.Flags.Weights) != 5 {
		p["flags.weights"] = "must list 5 weights, for trust levels 0 to 4"
	}
	for i, w := range s.Flags.Weights {
		if w < 0 || w > 100 {
			p[fmt.Sprintf("flags.weights[%d]", i)] = "must be 0 to 100"
		}
	}
	if s.Flags.StaffWeight < 0 || s.Flags.StaffWeight > 100 {
		p["flags.staff_weight"] = "must be 0 to 100"
	}
	if s.Flags.HideThreshold < 1 || s.Flags.HideThreshold > 1000 {
		p["flags.hide_threshold"] = "must be 1 to 1000"
	}
	if len(s.Words) > MaxWordRules {
		p["watched_words"] = fmt.Sprintf("at most %d rules", MaxWordRules)
	}
	var rules []compiledRule
	regexes := 0
	for _, r := range s.Words {
		if r.Regex {
			regexes++
		}
	}
	if regexes > MaxRegexRules {
		p["watched_words"] = fmt.Sprintf("at most %d regular expressions (plain words are much cheaper)", MaxRegexRules)
	}
	for i, r := range s.Words {
		if len(p) > 20 {
			break // enough to fix at once
		}
		key := fmt.Sprintf("watched_words[%d]", i)
		if !ruleActions[r.Action] {
			p[key+".action"] = "must be block, hold, flag or replace"
		}
		if r.Action == ActionReplace && utf8.RuneCountInString(r.Replacement) > MaxReplacementLen {
			p[key+".replacement"] = fmt.Sprintf("is longer than %d characters", MaxReplacementLen)
		}
		if r.Action != ActionReplace && r.Replacement != "" {
			p[key+".replacement"] = "is only for the replace action"
		}
		re, problem := compileRule(r)
		if problem != "" {
			p[key+".pattern"] = problem
			continue
		}
		cr := compiledRule{WordRule: r, re: re}
		if !r.Regex {
			w := strings.TrimSpace(r.Pattern)
			first, _ := utf8.DecodeRuneInString(w)
			last, _ := utf8.DecodeLastRuneInString(w)
			cr.word, cr.left, cr.right = strings.ToLower(w), spaced(first), spaced(last)
		}
		rules = append(rules, cr)
	}
	nonNeg := func(key string, v, max int) {
		if v < 0 || v > max {
			p[key] = fmt.Sprintf("must be 0 to %d", max)
		}
	}
	nonNeg("new_users.max_links", s.NewUsers.MaxLinks, 1000)
	nonNeg("new_users.max_images", s.NewUsers.MaxImages, 1000)
	nonNeg("new_users.hold_first_posts", s.NewUsers.HoldFirstPosts, 100)
	if len(s.RateLimits) != 5 {
		p["rate_limits"] = "must list 5 limits, for trust levels 0 to 4"
	}
	for i, rl := range s.RateLimits {
		if rl.PostsPerMinute < 1 || rl.PostsPerMinute > 10000 {
			p[fmt.Sprintf("rate_limits[%d].posts_per_minute", i)] = "must be 1 to 10000"
		}
		if rl.TopicsPerDay < 1 || rl.TopicsPerDay > 100000 {
			p[fmt.Sprintf("rate_limits[%d].topics_per_day", i)] = "must be 1 to 100000"
		}
	}
	nonNeg("duplicates.window_minutes", s.Duplicates.WindowMinutes, 7*24*60)
	if !verdictActions[s.Duplicates.Action] {
		p["duplicates.action"] = "must be block, hold or flag"
	}
	nonNeg("spam.threshold", s.Spam.Threshold, 1000)
	if !verdictActions[s.Spam.Action] {
		p["spam.action"] = "must be block, hold or flag"
	}
	nonNeg("spam.new_user_points", s.Spam.NewUserPoints, 100)
	nonNeg("spam.link_points", s.Spam.LinkPoints, 100)
	nonNeg("spam.duplicate_points", s.Spam.DuplicatePts, 100)
	nonNeg("spam.watched_word_points", s.Spam.WatchedWordPts, 100)
	if len(s.Trust.Levels) != 4 {
		p["trust.levels"] = "must list 4 requirements, for trust levels 1 to 4"
	}
	for i, l := range s.Trust.Levels {
		k := fmt.Sprintf("trust.levels[%d].", i)
		nonNeg(k+"days_visited", l.DaysVisited, 100000)
		nonNeg(k+"topics_entered", l.TopicsEntered, 10000000)
		nonNeg(k+"posts_read", l.PostsRead, 100000000)
		nonNeg(k+"replies_posted", l.RepliesPosted, 10000000)
		nonNeg(k+"reactions_received", l.ReactionsReceived, 10000000)
		nonNeg(k+"sanction_free_days", l.SanctionFreeDays, 100000)
	}
	if s.Trust.IntervalMinutes < 1 || s.Trust.IntervalMinutes > 7*24*60 {
		p["trust.interval_minutes"] = "must be 1 to 10080"
	}
	return rules, p
}

const settingsID = 1 // the target id of settings in the audit log

// settingsRow returns the stored settings row (the first, should two
// first saves have raced), or nil.
func settingsRow(ctx context.Context, c *ent.Client) (*ent.ModerationSettings, error) {
	row, err := c.ModerationSettings.Query().Order(ent.Asc(moderationsettings.FieldID)).First(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return row, err
}

// settingsRecheck is how long the cached rules are used before the stored
// row's update time is read again: a change made on another node applies
// there within this time, one made through this Service at once.
const settingsRecheck = time.Second

// load returns the rules in force, compiled, from a cache that is
// refreshed whenever the stored row changes (on any node).
func (s *Service) load(ctx context.Context) (*compiledSettings, error) {
	return s.loadWith(ctx, s.db)
}

// loadWith is load through c; inside a transaction pass tx.Client(), since
// on SQLite a second connection may wait for the one the transaction holds.
// Every screened post asks for the rules, so the cache is trusted for
// settingsRecheck before one cheap read of the row's update time.
func (s *Service) loadWith(ctx context.Context, c *ent.Client) (*compiledSettings, error) {
	s.mu.Lock()
	cached, checked := s.compiled, s.checkedAt
	s.mu.Unlock()
	if cached != nil && time.Since(checked) < settingsRecheck {
		return cached, nil
	}
	if cached != nil {
		at, err := c.ModerationSettings.Query().Order(ent.Asc(moderationsettings.FieldID)).
			Select(moderationsettings.FieldUpdatedAt).First(ctx)
		if err != nil && !ent.IsNotFound(err) {
			return nil, apperr.Internal("load moderation settings", err)
		}
		if err == nil && at.UpdatedAt.Equal(cached.at) {
			s.mu.Lock()
			if s.compiled == cached {
				s.checkedAt = time.Now()
			}
			s.mu.Unlock()
			return cached, nil
		}
	}
	s.mu.Lock()
	gen := s.settingsGen
	s.mu.Unlock()
	row, err := settingsRow(ctx, c)
	if err != nil {
		return nil, apperr.Internal("load moderation settings", err)
	}
	st := DefaultSettings()
	var at time.Time
	if row != nil {
		at = row.UpdatedAt
		b, _ := json.Marshal(row.Settings)
		if err := json.Unmarshal(b, &st); err != nil {
			return nil, apperr.Internal("load moderation settings", err)
		}
	}
	rules, problems := validate(st)
	if len(problems) > 0 {
		return nil, apperr.Internal("load moderation settings", fmt.Errorf("stored settings are invalid: %v", problems))
	}
	fresh := &compiledSettings{at: at, settings: st, rules: rules}
	s.mu.Lock()
	if s.settingsGen == gen { // no change committed here since the read
		s.compiled, s.checkedAt = fresh, time.Now()
	}
	s.mu.Unlock()
	return fresh, nil
}

// dropSettings forgets the cached rules after this Service committed a
// change to them.
func (s *Service) dropSettings() {
	s.mu.Lock()
	s.compiled = nil
	s.settingsGen++
	s.mu.Unlock()
}

// Settings returns the rules in force (admins).
func (s *Service) Settings(ctx context.Context, a authz.Actor) (Settings, error) {
	if err := requireActor(a, authz.CanManageAutomod(a), "only administrators manage auto-moderation"); err != nil {
		return Settings{}, err
	}
	c, err := s.load(ctx)
	if err != nil {
		return Settings{}, err
	}
	return c.settings, nil
}

func toMap(v any) map[string]any {
	b, _ := json.Marshal(v)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return m
}

// PutSettings replaces the rules (admins). Invalid rules, including
// patterns that are not RE2 or compile too large, are refused as a whole.
func (s *Service) PutSettings(ctx context.Context, a authz.Actor, in Settings, reason string) (Settings, error) {
	if err := requireActor(a, authz.CanManageAutomod(a), "only administrators manage auto-moderation"); err != nil {
		return Settings{}, err
	}
	if in.Words == nil {
		in.Words = []WordRule{}
	}
	if _, problems := validate(in); len(problems) > 0 {
		return Settings{}, apperr.Validation(problems)
	}
	old, err := s.load(ctx)
	if err != nil {
		return Settings{}, err
	}
	err = s.tx(ctx, "put moderation settings", func(tx *ent.Tx) ([]event.Event, error) {
		if err := s.writeSettings(ctx, tx, a.ID, in); err != nil {
			return nil, err
		}
		id, err := s.appendAudit(ctx, tx, entry{actor: a.ID, action: ActSettingsUpdate, targetType: "settings", targetID: settingsID,
			reason: reason, before: toMap(old.settings), after: toMap(in)})
		if err != nil {
			return nil, err
		}
		return []event.Event{{Type: event.AutomodUpdated, ActorID: a.ID, Visibility: event.Staff, Payload: map[string]any{"audit_id": id}}}, nil
	})
	if err != nil {
		return Settings{}, err
	}
	return in, nil
}

func (s *Service) writeSettings(ctx context.Context, tx *ent.Tx, actorID int, in Settings) error {
	now := s.now()
	m := toMap(in)
	row, err := settingsRow(ctx, tx.Client())
	if err != nil {
		return err
	}
	if row == nil {
		return tx.ModerationSettings.Create().SetSettings(m).SetUpdatedByID(actorID).SetUpdatedAt(now).Exec(ctx)
	}
	return tx.ModerationSettings.UpdateOneID(row.ID).SetSettings(m).SetUpdatedByID(actorID).SetUpdatedAt(now).Exec(ctx)
}
