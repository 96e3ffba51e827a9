package moderation

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/crn-dev/crn/ent/post"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/forum"
	"github.com/crn-dev/crn/internal/ratelimit"
)

// Screener adapts the service to forum.Screener.
type Screener struct{ S *Service }

// Screen implements forum.Screener.
func (sc Screener) Screen(ctx context.Context, a authz.Actor, d forum.Draft) (forum.Verdict, error) {
	return sc.S.Screen(ctx, a, d)
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
	// Last, so a draft refused above spends nothing of the author's rate.
	if d.Kind != forum.DraftEdit {
		if err := s.rateLimit(ctx, a, d, st.RateLimits[level]); err != nil {
			return v, err
		}
	}
	return v, nil
}

func fieldOf(title bool) string {
	if title {
		return "title"
	}
	return "body"
}

// rateLimit takes one post (and for a topic, one topic) from the author's
// token buckets: PostsPerMinute at once and then one every minute/N, and
// the same for TopicsPerDay. The buckets live in process memory on a single
// node and in Redis when nodes share one, where each check is one atomic
// call (see internal/ratelimit): exact under concurrent requests and across
// nodes, and its cost does not grow with the limit, where counting stored
// posts read up to N index entries per check. The topic bucket is checked
// first, so a refused topic costs no post. When Redis cannot answer, the
// post goes through (a failing Redis must not stop the community talking)
// and crn_ratelimit_backend_errors_total counts it.
func (s *Service) rateLimit(ctx context.Context, a authz.Actor, d forum.Draft, rl RateLimit) error {
	take := func(key string, r ratelimit.Rate) error {
		ok, retry, err := s.buckets.Take(ctx, key+strconv.Itoa(a.ID), r)
		if err != nil {
			slog.WarnContext(ctx, "rate limit unavailable; letting the post through", "user_id", a.ID, "err", err)
			return nil
		}
		if !ok {
			return apperr.RateLimited(max(retry, time.Second))
		}
		return nil
	}
	if d.Kind == forum.DraftTopic {
		if err := take("topics:", ratelimit.PerDay(rl.TopicsPerDay)); err != nil {
			return err
		}
	}
	return take("posts:", ratelimit.PerMinute(rl.PostsPerMinute))
}

// duplicate reports whether the user posted the same text (ignoring case
// and spacing) since the given time: one index lookup on (user_id,
// body_hash), then a comparison of the texts, so a hash collision is never
// taken for a duplicate.
func (s *Service) duplicate(ctx context.Context, userID int, body string, since time.Time) (bool, error) {
	norm := normalize(body)
	if len([]rune(norm)) < 10 {
		return false, nil // "thanks!" twice is not spam
	}
	ps, err := s.db.Post.Query().Where(post.UserID(userID), post.BodyHash(forum.BodyHash(body)),
		post.CreatedAtGT(since), post.DeletedAtIsNil()).Limit(5).Select(post.FieldSource).All(ctx)
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
