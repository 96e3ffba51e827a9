package moderation

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/post"
	"github.com/crn-dev/crn/ent/topic"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/forum"
)

// Screener adapts the service to forum.Screener.
type Screener struct{ S *Service }

// Screen implements forum.Screener.
func (sc Screener) Screen(ctx context.Context, a authz.Actor, d forum.Draft) (forum.Verdict, error) {
	return sc.S.Screen(ctx, a, d)
}

// Admit implements forum.Admitter.
func (sc Screener) Admit(ctx context.Context, tx *ent.Tx, a authz.Actor, d forum.Draft) error {
	return sc.S.Admit(ctx, tx, a, d)
}

// rateLockKey is the first half of the PostgreSQL advisory lock that
// serialises one author's writes while their rate is counted; the second
// half is the user id.
const rateLockKey = 0x6d6f64 // "mod"

// Admit enforces the rate limits inside the transaction that stores a new
// topic or reply. On PostgreSQL it first takes a transaction-scoped lock on
// the author, so concurrent requests from one account are counted one after
// the other (SQLite has one writer at a time already); other authors are
// not held up.
func (s *Service) Admit(ctx context.Context, tx *ent.Tx, a authz.Actor, d forum.Draft) error {
	if s.postgres {
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1, $2)", rateLockKey, a.ID); err != nil {
			return apperr.Internal("rate limit", err)
		}
	}
	c, err := s.loadWith(ctx, tx.Client())
	if err != nil {
		return err
	}
	return s.rateLimit(ctx, tx.Client(), a, d, c.settings.RateLimits[min(max(a.TrustLevel, 0), 4)], s.now())
}

var (
	linkRE  = regexp.MustCompile(`(?i)\b(?:https?://|www\.)[^\s<>()\[\]]+`)
	imageRE = regexp.MustCompile(`(?i)!\[[^\]]*\]\(|<img\b`)
)

// Screen checks a draft against the rate limits and the auto-moderation
// rules: a block or a limit is an error, anything else a verdict.
func (s *Service) Screen(ctx context.Context, a authz.Actor, d forum.Draft) (forum.Verdict, error) {
	v := forum.Verdict{Title: d.Title, Body: d.Body}
	c, err := s.load(ctx)
	if err != nil {
		return v, err
	}
	st := c.settings
	level := min(max(a.TrustLevel, 0), 4)
	now := s.now()
	if d.Kind != forum.DraftEdit {
		// A quick check before the work; Admit decides in the transaction.
		if err := s.rateLimit(ctx, s.db, a, d, st.RateLimits[level], now); err != nil {
			return v, err
		}
	}
	points := 0
	act := func(action, reason string) {
		switch action {
		case ActionHold:
			v.Hold = true
		case ActionFlag:
			v.Review = true
		}
		v.Reasons = append(v.Reasons, reason)
	}
	title, body := newDoc(v.Title), newDoc(v.Body)
	for _, r := range c.rules {
		if r.Disabled {
			continue
		}
		hitT, hitB := r.apply(title), r.apply(body)
		if !hitT && !hitB {
			continue
		}
		switch r.Action {
		case ActionBlock:
			e := apperr.Validation(map[string]string{fieldOf(hitT): "contains a word or phrase that is not allowed here"})
			e.Code = "blocked_by_rule"
			return v, e
		case ActionHold, ActionFlag:
			act(r.Action, "watched word: "+r.Pattern)
			points += st.Spam.WatchedWordPts
		}
	}
	v.Title, v.Body = title.s, body.s
	links := len(linkRE.FindAllStringIndex(v.Body, -1))
	if level == 0 {
		images := len(imageRE.FindAllStringIndex(v.Body, -1))
		if links > st.NewUsers.MaxLinks {
			e := apperr.Validation(map[string]string{"body": fmt.Sprintf("new members may post at most %d links", st.NewUsers.MaxLinks)})
			e.Code = "too_many_links"
			return v, e
		}
		if images > st.NewUsers.MaxImages {
			e := apperr.Validation(map[string]string{"body": fmt.Sprintf("new members may post at most %d images", st.NewUsers.MaxImages)})
			e.Code = "too_many_images"
			return v, e
		}
		points += st.Spam.NewUserPoints
		if d.Kind != forum.DraftEdit && st.NewUsers.HoldFirstPosts > 0 {
			n, err := s.db.Post.Query().Where(post.UserID(a.ID), post.Pending(false), post.DeletedAtIsNil()).Limit(st.NewUsers.HoldFirstPosts).Count(ctx)
			if err != nil {
				return v, apperr.Internal("screen", err)
			}
			if n < st.NewUsers.HoldFirstPosts {
				act(ActionHold, "first posts of a new member")
			}
		}
	}
	points += links * st.Spam.LinkPoints
	if st.Duplicates.WindowMinutes > 0 && d.Kind != forum.DraftEdit {
		dup, err := s.duplicate(ctx, a.ID, v.Body, now.Add(-time.Duration(st.Duplicates.WindowMinutes)*time.Minute))
		if err != nil {
			return v, err
		}
		if dup {
			points += st.Spam.DuplicatePts
			if st.Duplicates.Action == ActionBlock {
				return v, apperr.Conflict("duplicate_post", "you posted the same text a moment ago; say something new or edit that post")
			}
			act(st.Duplicates.Action, "duplicate of a recent post")
		}
	}
	if st.Spam.Threshold > 0 && points >= st.Spam.Threshold {
		if st.Spam.Action == ActionBlock {
			e := apperr.Validation(map[string]string{"body": "looks like spam"})
			e.Code = "spam_suspected"
			return v, e
		}
		act(st.Spam.Action, fmt.Sprintf("spam score %d", points))
	}
	return v, nil
}

func fieldOf(title bool) string {
	if title {
		return "title"
	}
	return "body"
}

// rateLimit counts the actor's recent posts and topics in the database, so
// the limit holds across every node. Each check reads one row: the Nth
// newest post (topic) by its (user_id, created_at) index, where N is the
// limit; if it is inside the window, the limit is reached and frees up
// when that post leaves the window.
func (s *Service) rateLimit(ctx context.Context, db *ent.Client, a authz.Actor, d forum.Draft, rl RateLimit, now time.Time) error {
	since := now.Add(-time.Minute)
	nth, err := db.Post.Query().Where(post.UserID(a.ID), post.CreatedAtGT(since)).
		Order(ent.Desc(post.FieldCreatedAt)).Offset(rl.PostsPerMinute - 1).Limit(1).Select(post.FieldCreatedAt).All(ctx)
	if err != nil {
		return apperr.Internal("rate limit", err)
	}
	if len(nth) > 0 {
		return apperr.RateLimited(max(nth[0].CreatedAt.Add(time.Minute).Sub(now), time.Second))
	}
	if d.Kind == forum.DraftTopic {
		day := now.Add(-24 * time.Hour)
		nth, err := db.Topic.Query().Where(topic.UserID(a.ID), topic.CreatedAtGT(day)).
			Order(ent.Desc(topic.FieldCreatedAt)).Offset(rl.TopicsPerDay - 1).Limit(1).Select(topic.FieldCreatedAt).All(ctx)
		if err != nil {
			return apperr.Internal("rate limit", err)
		}
		if len(nth) > 0 {
			return apperr.RateLimited(max(nth[0].CreatedAt.Add(24*time.Hour).Sub(now), time.Second))
		}
	}
	return nil
}

// duplicateScan bounds how many recent posts a duplicate check reads.
const duplicateScan = 50

// duplicate reports whether the user posted the same text (ignoring case
// and spacing) since the given time.
func (s *Service) duplicate(ctx context.Context, userID int, body string, since time.Time) (bool, error) {
	norm := normalize(body)
	if len([]rune(norm)) < 10 {
		return false, nil // "thanks!" twice is not spam
	}
	ps, err := s.db.Post.Query().Where(post.UserID(userID), post.CreatedAtGT(since), post.DeletedAtIsNil()).
		Order(ent.Desc(post.FieldCreatedAt)).Limit(duplicateScan).Select(post.FieldSource).All(ctx)
	if err != nil {
		return false, apperr.Internal("duplicate check", err)
	}
	for _, p := range ps {
		if normalize(p.Source) == norm {
			return true, nil
		}
	}
	return false, nil
}

func normalize(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(s)), " ")
}
