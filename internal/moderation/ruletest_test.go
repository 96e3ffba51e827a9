package moderation_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/database"
	"github.com/crn-dev/crn/internal/database/dbtest"
	"github.com/crn-dev/crn/internal/forum"
	"github.com/crn-dev/crn/internal/moderation"
)

func TestRuleTesterAndDisabledRules(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		adm := w.actor("admin")
		st := moderation.DefaultSettings()
		st.Words = []moderation.WordRule{
			{Pattern: "casino", Action: "block", Disabled: true},
			{Pattern: "垃圾", Action: "replace", Replacement: "**"},
			{Pattern: "crypto", Action: "hold"},
			{Pattern: "poker", Action: "replace", Replacement: "[x]", Disabled: true},
		}
		if _, err := w.m.PutSettings(w.ctx, adm, st, "a disabled rule"); err != nil {
			t.Fatal(err)
		}
		res, err := w.m.TestRules(w.ctx, adm, "Casino poker 垃圾 CRYPTO")
		if err != nil {
			t.Fatal(err)
		}
		var got []int
		for _, m := range res.Matches {
			got = append(got, m.Index)
		}
		if !slices.Equal(got, []int{0, 1, 2, 3}) || !res.Matches[0].Disabled || res.Matches[2].Disabled {
			t.Fatalf("matches %+v", res.Matches)
		}
		// Disabled rules match but neither block nor replace.
		if res.Text != "Casino poker ** CRYPTO" || res.Verdict != "hold" {
			t.Fatalf("text %q verdict %q", res.Text, res.Verdict)
		}
		if res, err := w.m.TestRules(w.ctx, adm, "nothing here"); err != nil || len(res.Matches) != 0 || res.Verdict != "" {
			t.Fatalf("clean text: %+v %v", res, err)
		}
		_, err = w.m.TestRules(w.ctx, w.actor("mod"), "casino")
		wantKind(t, err, apperr.KindForbidden, "")
		_, err = w.m.TestRules(w.ctx, adm, strings.Repeat("x", moderation.MaxRuleTestText+1))
		wantKind(t, err, apperr.KindUnprocessable, "")

		// Screening skips the disabled block rule.
		tv, _ := w.topic("alice", "help", "Printer setup", "How do I set up the printer?")
		if _, err := w.f.CreatePost(w.ctx, w.actor("bob"), tv.ID, forum.PostInput{Body: "Visit my Casino!"}); err != nil {
			t.Fatalf("a disabled rule blocked a post: %v", err)
		}
	})
}

func TestReversible(t *testing.T) {
	admin := authz.Actor{ID: 1, Role: "admin"}
	mod := authz.Actor{ID: 2, Role: "moderator"}
	by := 1
	for _, c := range []struct {
		action   string
		actor    *int
		who      authz.Actor
		possible bool
	}{
		{moderation.ActPostHide, &by, mod, true},
		{moderation.ActTopicMerge, &by, mod, true},
		{moderation.ActUserSuspend, &by, mod, true},
		{moderation.ActUserTrust, &by, mod, true},
		{moderation.ActUserTrust, nil, mod, false}, // an automatic promotion
		{moderation.ActUserWarn, &by, admin, false},
		{moderation.ActQueueNote, &by, admin, false},
		{moderation.ActSettingsUpdate, &by, admin, true},
		{moderation.ActSettingsUpdate, &by, mod, false}, // only admins manage automod
		{moderation.ActPostHide + ".revert", &by, admin, false},
	} {
		if got := moderation.Reversible(c.who, &ent.AuditEntry{Action: c.action, ActorID: c.actor}); got != c.possible {
			t.Errorf("%s by %v as %s: reversible %v, want %v", c.action, c.actor, c.who.Role, got, c.possible)
		}
	}
}
