package feedback

import (
	"context"
	"strings"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/feedbackitem"
	"github.com/crn-dev/crn/ent/feedbackvote"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/event"
)

// VoteInput says whose vote it is: the actor's own (zero value), or, for
// staff, a customer's recorded on their behalf with a note.
type VoteInput struct {
	OnBehalfOf string // username
	Note       string
}

// voter resolves whose vote an action is about and checks the actor may act.
func (s *Service) voter(ctx context.Context, a authz.Actor, in VoteInput) (*ent.User, *int, error) {
	if a.Guest() {
		return nil, nil, signInFirst()
	}
	if in.OnBehalfOf == "" {
		if in.Note != "" {
			return nil, nil, apperr.Validation(map[string]string{"note": "is only for votes recorded on a customer's behalf"})
		}
		if !authz.CanVoteFeedback(a) {
			return nil, nil, authz.WriteRefusal(a)
		}
		u, err := s.db.User.Get(ctx, a.ID)
		if err != nil {
			return nil, nil, apperr.Internal("vote", err)
		}
		return u, nil, nil
	}
	if !authz.CanTriageFeedback(a) {
		return nil, nil, apperr.Forbidden("forbidden", "only staff record votes on a customer's behalf")
	}
	problems := map[string]string{}
	checkText("note", in.Note, 0, s.limits.VoteNoteMax, true, problems)
	if len(problems) > 0 {
		return nil, nil, apperr.Validation(problems)
	}
	u, err := s.userByName(ctx, in.OnBehalfOf)
	if err != nil {
		return nil, nil, apperr.Internal("vote", err)
	}
	if u == nil {
		return nil, nil, apperr.Validation(map[string]string{"on_behalf_of": "no such user"})
	}
	by := a.ID
	return u, &by, nil
}

// Vote records a vote on an item. Voting again changes nothing: a customer
// has one vote per item. Votes go to items that are not duplicates; vote on
// the item a duplicate was merged into.
func (s *Service) Vote(ctx context.Context, a authz.Actor, id int, in VoteInput) (*Item, error) {
	in.Note = strings.TrimSpace(in.Note)
	u, by, err := s.voter(ctx, a, in)
	if err != nil {
		return nil, err
	}
	_, t, err := s.load(ctx, a, id)
	if err != nil {
		return nil, err
	}
	err = s.tx(ctx, "vote", func(tx *ent.Tx) ([]event.Event, error) {
		it, err := s.lockItem(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		if it.DuplicateOf != nil {
			return nil, duplicateErr(*it.DuplicateOf)
		}
		has, err := tx.FeedbackVote.Query().Where(feedbackvote.UserID(u.ID), feedbackvote.Or(
			feedbackvote.And(feedbackvote.ItemID(id), feedbackvote.Active(true)),
			feedbackvote.OriginItemID(id),
		)).Exist(ctx)
		if err != nil || has {
			return nil, err // already voted: nothing changes
		}
		if err := s.newVote(tx, id, u, by, in.Note, s.now()).Exec(ctx); err != nil {
			return nil, err
		}
		n, err := recount(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		payload := map[string]any{"item_id": id, "vote_count": n}
		if by != nil {
			payload["recorded_by"] = *by
		}
		return []event.Event{{Type: event.FeedbackVoted, ActorID: u.ID, ForumID: t.ForumID, TopicID: id,
			Visibility: visibilityOf(t.Edges.Forum), Payload: payload}}, nil
	})
	if err != nil {
		return nil, err
	}
	return s.Item(ctx, a, id)
}

// Unvote withdraws the voter's vote on an item, with the votes the same
// customer had on items merged into it (they asked for one thing once).
// Withdrawing a vote that is not there changes nothing.
func (s *Service) Unvote(ctx context.Context, a authz.Actor, id int, in VoteInput) (*Item, error) {
	in.Note = ""
	u, by, err := s.voter(ctx, a, in)
	if err != nil {
		return nil, err
	}
	_, t, err := s.load(ctx, a, id)
	if err != nil {
		return nil, err
	}
	err = s.tx(ctx, "unvote", func(tx *ent.Tx) ([]event.Event, error) {
		it, err := s.lockItem(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		if it.DuplicateOf != nil {
			return nil, duplicateErr(*it.DuplicateOf)
		}
		group, err := subtree(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		n, err := tx.FeedbackVote.Delete().Where(feedbackvote.UserID(u.ID), feedbackvote.ItemIDIn(group...)).Exec(ctx)
		if err != nil || n == 0 {
			return nil, err
		}
		count, err := recount(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		payload := map[string]any{"item_id": id, "vote_count": count}
		if by != nil {
			payload["recorded_by"] = *by
		}
		return []event.Event{{Type: event.FeedbackUnvoted, ActorID: u.ID, ForumID: t.ForumID, TopicID: id,
			Visibility: visibilityOf(t.Edges.Forum), Payload: payload}}, nil
	})
	if err != nil {
		return nil, err
	}
	return s.Item(ctx, a, id)
}

func duplicateErr(into int) error {
	e := apperr.Conflict("item_is_duplicate", "this item was merged into #"+itoa(into)+"; act on that one")
	e.Fields = map[string]string{"duplicate_of": itoa(into)}
	return e
}

// lockItem reads an item inside tx, locking its row on PostgreSQL (SQLite
// transactions hold the database's write lock already).
func (s *Service) lockItem(ctx context.Context, tx *ent.Tx, id int) (*ent.FeedbackItem, error) {
	q := tx.FeedbackItem.Query().Where(feedbackitem.ID(id))
	if s.postgres {
		q = q.ForUpdate()
	}
	it, err := q.Only(ctx)
	if ent.IsNotFound(err) {
		return nil, notFound()
	}
	return it, err
}

// recount sets an item's vote_count from its active votes and returns it.
func recount(ctx context.Context, tx *ent.Tx, id int) (int, error) {
	n, err := tx.FeedbackVote.Query().Where(feedbackvote.ItemID(id), feedbackvote.Active(true)).Count(ctx)
	if err != nil {
		return 0, err
	}
	return n, tx.FeedbackItem.UpdateOneID(id).SetVoteCount(n).Exec(ctx)
}

// subtree returns id and every item merged into it, directly or through
// other merged items.
func subtree(ctx context.Context, tx *ent.Tx, id int) ([]int, error) {
	out := []int{id}
	seen := map[int]bool{id: true}
	frontier := []int{id}
	for len(frontier) > 0 {
		kids, err := tx.FeedbackItem.Query().Where(feedbackitem.DuplicateOfIn(frontier...)).IDs(ctx)
		if err != nil {
			return nil, err
		}
		frontier = frontier[:0]
		for _, k := range kids {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
				frontier = append(frontier, k)
			}
		}
	}
	return out, nil
}

// ancestors returns the items id was merged into, nearest first.
func ancestors(ctx context.Context, tx *ent.Tx, id int) ([]int, error) {
	var out []int
	seen := map[int]bool{id: true}
	for {
		it, err := tx.FeedbackItem.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		if it.DuplicateOf == nil || seen[*it.DuplicateOf] {
			return out, nil
		}
		id = *it.DuplicateOf
		seen[id] = true
		out = append(out, id)
	}
}
