package feedback

import (
	"context"
	"slices"
	"strings"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/feedbackitem"
	"github.com/crn-dev/crn/ent/feedbackstatuschange"
	"github.com/crn-dev/crn/ent/feedbackvote"
	"github.com/crn-dev/crn/ent/topicuser"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/event"
)

// Merge marks item id a duplicate of into. Its votes move to into, one per
// customer: a customer who voted on both keeps the vote on into, and the
// other is flagged inactive, not deleted. Its followers follow into too. Its
// topic and comments stay readable. Unmerge undoes all of it.
func (s *Service) Merge(ctx context.Context, a authz.Actor, id, into int, response string) (*Item, error) {
	if a.Guest() {
		return nil, signInFirst()
	}
	if !authz.CanTriageFeedback(a) {
		return nil, apperr.Forbidden("forbidden", "only staff merge feedback")
	}
	response = strings.TrimSpace(response)
	problems := map[string]string{}
	if into == id {
		problems["into"] = "an item cannot be merged into itself"
	} else if into <= 0 {
		problems["into"] = "is required"
	}
	checkText("response", response, 0, s.limits.ResponseMax, true, problems)
	if len(problems) > 0 {
		return nil, apperr.Validation(problems)
	}
	_, t, err := s.load(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if _, _, err := s.load(ctx, a, into); err != nil {
		if apperr.Is(err, apperr.KindNotFound) {
			return nil, apperr.Validation(map[string]string{"into": "no such feedback item"})
		}
		return nil, err
	}
	if response == "" {
		response = "Merged into #" + itoa(into) + "."
	}
	err = s.tx(ctx, "merge feedback", func(tx *ent.Tx) ([]event.Event, error) {
		// Lock in id order so two merges cannot deadlock.
		lo, hi := min(id, into), max(id, into)
		first, err := s.lockItem(ctx, tx, lo)
		if err != nil {
			return nil, err
		}
		second, err := s.lockItem(ctx, tx, hi)
		if err != nil {
			return nil, err
		}
		it, target := first, second
		if it.ID != id {
			it, target = second, first
		}
		if it.DuplicateOf != nil {
			return nil, apperr.Conflict("already_merged", "this item is merged into #"+itoa(*it.DuplicateOf)+" already; unmerge it first")
		}
		if target.DuplicateOf != nil {
			up, err := ancestors(ctx, tx, into)
			if err != nil {
				return nil, err
			}
			for _, x := range up {
				if x == id {
					return nil, apperr.Conflict("merge_loop", "#"+itoa(into)+" is merged into this item: merging would make a loop")
				}
			}
			return nil, apperr.Conflict("target_is_duplicate", "#"+itoa(into)+" is a duplicate of #"+itoa(up[len(up)-1])+"; merge into that one")
		}
		// Votes: move each active vote, unless its customer already votes
		// on the target; then flag it inactive where it is.
		votes, err := tx.FeedbackVote.Query().Where(feedbackvote.ItemID(id), feedbackvote.Active(true)).All(ctx)
		if err != nil {
			return nil, err
		}
		onTarget := map[int]bool{}
		if len(votes) > 0 {
			users := make([]int, len(votes))
			for i, v := range votes {
				users[i] = v.UserID
			}
			already, err := tx.FeedbackVote.Query().Where(feedbackvote.ItemID(into), feedbackvote.Active(true), feedbackvote.UserIDIn(users...)).All(ctx)
			if err != nil {
				return nil, err
			}
			for _, v := range already {
				onTarget[v.UserID] = true
			}
		}
		var move, shadow []int
		for _, v := range votes {
			if onTarget[v.UserID] {
				shadow = append(shadow, v.ID)
			} else {
				move = append(move, v.ID)
			}
		}
		if len(move) > 0 {
			if err := tx.FeedbackVote.Update().Where(feedbackvote.IDIn(move...)).SetItemID(into).Exec(ctx); err != nil {
				return nil, err
			}
		}
		if len(shadow) > 0 {
			if err := tx.FeedbackVote.Update().Where(feedbackvote.IDIn(shadow...)).SetActive(false).Exec(ctx); err != nil {
				return nil, err
			}
		}
		// Followers of the duplicate follow the target too (their own
		// choice on the target, if any, wins).
		if err := copyFollowers(ctx, tx, id, into); err != nil {
			return nil, err
		}
		if err := tx.FeedbackItem.UpdateOneID(id).SetDuplicateOf(into).Exec(ctx); err != nil {
			return nil, err
		}
		if _, err := recount(ctx, tx, id); err != nil {
			return nil, err
		}
		n, err := recount(ctx, tx, into)
		if err != nil {
			return nil, err
		}
		st, err := s.setStatus(ctx, tx, a, t, string(it.Status), StatusDuplicate, response)
		if err != nil {
			return nil, err
		}
		st.Payload["duplicate_of"] = into
		return []event.Event{
			{Type: event.FeedbackMerged, ActorID: a.ID, ForumID: t.ForumID, TopicID: id, Visibility: visibilityOf(t.Edges.Forum),
				Payload: map[string]any{"item_id": id, "into": into, "moved_votes": len(move), "superseded_votes": len(shadow), "vote_count": n}},
			st,
		}, nil
	})
	if err != nil {
		return nil, err
	}
	return s.Item(ctx, a, id)
}

func copyFollowers(ctx context.Context, tx *ent.Tx, from, to int) error {
	fs, err := tx.TopicUser.Query().Where(topicuser.TopicID(from), topicuser.LevelIn(topicuser.LevelWatching, topicuser.LevelTracking)).All(ctx)
	if err != nil || len(fs) == 0 {
		return err
	}
	users := make([]int, len(fs))
	for i, f := range fs {
		users[i] = f.UserID
	}
	has, err := tx.TopicUser.Query().Where(topicuser.TopicID(to), topicuser.UserIDIn(users...)).All(ctx)
	if err != nil {
		return err
	}
	skip := map[int]bool{}
	for _, h := range has {
		skip[h.UserID] = true
	}
	var creates []*ent.TopicUserCreate
	for _, f := range fs {
		if !skip[f.UserID] {
			creates = append(creates, tx.TopicUser.Create().SetUserID(f.UserID).SetTopicID(to).SetLevel(f.Level))
		}
	}
	if len(creates) == 0 {
		return nil
	}
	return tx.TopicUser.CreateBulk(creates...).Exec(ctx)
}

// Unmerge restores a duplicate: the votes cast on it (and on items merged
// into it) come back from wherever they went, flagged votes count again,
// and it takes back the status it had before the merge.
func (s *Service) Unmerge(ctx context.Context, a authz.Actor, id int, response string) (*Item, error) {
	if a.Guest() {
		return nil, signInFirst()
	}
	if !authz.CanTriageFeedback(a) {
		return nil, apperr.Forbidden("forbidden", "only staff unmerge feedback")
	}
	response = strings.TrimSpace(response)
	problems := map[string]string{}
	checkText("response", response, 0, s.limits.ResponseMax, true, problems)
	if len(problems) > 0 {
		return nil, apperr.Validation(problems)
	}
	_, t, err := s.load(ctx, a, id)
	if err != nil {
		return nil, err
	}
	err = s.tx(ctx, "unmerge feedback", func(tx *ent.Tx) ([]event.Event, error) {
		// Votes move back from the item's targets and their counts change:
		// lock the item and its targets, in id order.
		up, err := ancestors(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		lock := append([]int{id}, up...)
		slices.Sort(lock)
		for _, x := range lock {
			if _, err := s.lockItem(ctx, tx, x); err != nil {
				return nil, err
			}
		}
		it, err := tx.FeedbackItem.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		if it.DuplicateOf == nil {
			return nil, apperr.Conflict("not_merged", "this item is not merged into another")
		}
		if now, err := ancestors(ctx, tx, id); err != nil {
			return nil, err
		} else if !slices.Equal(now, up) {
			return nil, apperr.Conflict("concurrent_change", "the item was merged or unmerged meanwhile; try again")
		}
		from := *it.DuplicateOf
		group, err := subtree(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		// Votes cast in the group that sit outside it went there with this
		// item's merge (or a later one of its target): they come back and
		// count here. Votes flagged here when it was merged count again.
		if err := tx.FeedbackVote.Update().Where(feedbackvote.OriginItemIDIn(group...), feedbackvote.ItemIDNotIn(group...)).
			SetItemID(id).SetActive(true).Exec(ctx); err != nil {
			return nil, err
		}
		if err := tx.FeedbackVote.Update().Where(feedbackvote.ItemID(id), feedbackvote.Active(false)).SetActive(true).Exec(ctx); err != nil {
			return nil, err
		}
		if err := tx.FeedbackItem.UpdateOneID(id).ClearDuplicateOf().Exec(ctx); err != nil {
			return nil, err
		}
		if _, err := recount(ctx, tx, id); err != nil {
			return nil, err
		}
		for _, x := range up {
			if _, err := recount(ctx, tx, x); err != nil {
				return nil, err
			}
		}
		// The status it had before the merge.
		prev := StatusOpen
		last, err := tx.FeedbackStatusChange.Query().Where(feedbackstatuschange.ItemID(id), feedbackstatuschange.ToStatus(StatusDuplicate)).
			Order(ent.Desc(feedbackstatuschange.FieldID)).First(ctx)
		if err != nil && !ent.IsNotFound(err) {
			return nil, err
		}
		if last != nil && validStatus(last.FromStatus) && last.FromStatus != StatusDuplicate {
			prev = last.FromStatus
		}
		if response == "" {
			response = "No longer a duplicate of #" + itoa(from) + "."
		}
		st, err := s.setStatus(ctx, tx, a, t, StatusDuplicate, prev, response)
		if err != nil {
			return nil, err
		}
		n, err := tx.FeedbackItem.Query().Where(feedbackitem.ID(id)).Only(ctx)
		if err != nil {
			return nil, err
		}
		return []event.Event{
			{Type: event.FeedbackUnmerged, ActorID: a.ID, ForumID: t.ForumID, TopicID: id, Visibility: visibilityOf(t.Edges.Forum),
				Payload: map[string]any{"item_id": id, "from": from, "vote_count": n.VoteCount}},
			st,
		}, nil
	})
	if err != nil {
		return nil, err
	}
	return s.Item(ctx, a, id)
}
