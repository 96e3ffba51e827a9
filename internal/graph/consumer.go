package graph

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/graphaffiliation"
	"github.com/crn-dev/crn/ent/graphedge"
	"github.com/crn-dev/crn/internal/event"
)

// ConsumerName is the graph's outbox cursor.
const ConsumerName = "graph"

// Consumer is the outbox consumer that keeps graph_edges and
// graph_affiliations current. It is a TxConsumer: each batch and the cursor
// move commit together, so every event counts exactly once.
type Consumer struct {
	Decay  Decay
	Limits Limits
}

// Name implements event.Consumer.
func (Consumer) Name() string { return ConsumerName }

// Linger implements event.Lingerer: the graph is a slow-moving view, so it
// takes its events in larger batches, in fewer transactions.
func (Consumer) Linger() time.Duration { return 250 * time.Millisecond }

// Handle implements event.Consumer; the relay uses HandleTx.
func (Consumer) Handle(context.Context, []event.Event) error {
	return fmt.Errorf("graph: use HandleTx")
}

// HandleTx implements event.TxConsumer.
func (c Consumer) HandleTx(ctx context.Context, tx *ent.Tx, evs []event.Event) error {
	aff := txAffiliations{tx}
	for _, e := range evs {
		chs, err := derive(ctx, e, aff, c.Limits)
		if err != nil {
			return fmt.Errorf("graph %s #%d: %w", e.Type, e.ID, err)
		}
		for _, ch := range chs {
			if err := c.applyTx(ctx, tx, ch, e); err != nil {
				return fmt.Errorf("graph %s #%d: %w", e.Type, e.ID, err)
			}
		}
	}
	return nil
}

func (c Consumer) applyTx(ctx context.Context, tx *ent.Tx, ch change, e event.Event) error {
	k := ch.key
	row, err := tx.GraphEdge.Query().Where(graphedge.SrcID(k.src), graphedge.DstID(k.dst), graphedge.Kind(k.kind.String()),
		graphedge.Scope(k.scope), graphedge.ForumID(k.forum)).Only(ctx)
	if err != nil && !ent.IsNotFound(err) {
		return err
	}
	var st edgeState
	if row != nil {
		st = edgeState{count: row.Count, score: row.Score, asOf: row.AsOf}
	} else if ch.delta < 0 {
		return nil // taking back what was never counted
	}
	st = c.Decay.apply(st, ch, e.CreatedAt)
	if row != nil {
		return tx.GraphEdge.UpdateOne(row).SetCount(st.count).SetScore(st.score).SetAsOf(st.asOf).SetLastEventID(e.ID).Exec(ctx)
	}
	return tx.GraphEdge.Create().SetSrcID(k.src).SetDstID(k.dst).SetKind(k.kind.String()).SetScope(k.scope).SetForumID(k.forum).
		SetCount(st.count).SetScore(st.score).SetAsOf(st.asOf).SetLastEventID(e.ID).Exec(ctx)
}

// txAffiliations keeps affiliations in the consumer's transaction.
type txAffiliations struct{ tx *ent.Tx }

func (a txAffiliations) join(ctx context.Context, kind string, ref, user, scope int, at time.Time) (bool, error) {
	n, err := a.tx.GraphAffiliation.Query().Where(graphaffiliation.Kind(kind), graphaffiliation.RefID(ref), graphaffiliation.UserID(user)).Count(ctx)
	if err != nil || n > 0 {
		return false, err
	}
	err = a.tx.GraphAffiliation.Create().SetKind(kind).SetRefID(ref).SetUserID(user).SetScope(scope).SetCreatedAt(at).Exec(ctx)
	return err == nil, err
}

func (a txAffiliations) leave(ctx context.Context, kind string, ref, user int) (time.Time, bool, error) {
	row, err := a.tx.GraphAffiliation.Query().Where(graphaffiliation.Kind(kind), graphaffiliation.RefID(ref), graphaffiliation.UserID(user)).Only(ctx)
	if ent.IsNotFound(err) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, err
	}
	return row.CreatedAt, true, a.tx.GraphAffiliation.DeleteOne(row).Exec(ctx)
}

func (a txAffiliations) members(ctx context.Context, kind string, ref, limit int) ([]member, int, error) {
	q := a.tx.GraphAffiliation.Query().Where(graphaffiliation.Kind(kind), graphaffiliation.RefID(ref))
	total, err := q.Clone().Count(ctx)
	if err != nil {
		return nil, 0, err
	}
	rows, err := q.Order(ent.Desc(graphaffiliation.FieldCreatedAt), ent.Desc(graphaffiliation.FieldID)).Limit(limit).All(ctx)
	if err != nil {
		return nil, 0, err
	}
	out := make([]member, len(rows))
	for i, r := range rows {
		out[i] = member{user: r.UserID, since: r.CreatedAt}
	}
	return out, total, nil
}

// memAffiliations keeps affiliations in memory, for rebuilds and replays.
type memAffiliations map[affKey]map[int]memAff

type affKey struct {
	kind string
	ref  int
}

type memAff struct {
	at    time.Time
	scope int
}

func (m memAffiliations) join(_ context.Context, kind string, ref, user, scope int, at time.Time) (bool, error) {
	k := affKey{kind, ref}
	if m[k] == nil {
		m[k] = map[int]memAff{}
	}
	if _, ok := m[k][user]; ok {
		return false, nil
	}
	m[k][user] = memAff{at: at, scope: scope}
	return true, nil
}

func (m memAffiliations) leave(_ context.Context, kind string, ref, user int) (time.Time, bool, error) {
	k := affKey{kind, ref}
	a, ok := m[k][user]
	delete(m[k], user)
	return a.at, ok, nil
}

func (m memAffiliations) members(_ context.Context, kind string, ref, limit int) ([]member, int, error) {
	all := m[affKey{kind, ref}]
	out := make([]member, 0, len(all))
	for u, a := range all {
		out = append(out, member{user: u, since: a.at})
	}
	// Newest first, as the database orders them.
	sort.Slice(out, func(i, j int) bool {
		if !out[i].since.Equal(out[j].since) {
			return out[i].since.After(out[j].since)
		}
		return out[i].user > out[j].user
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out, len(all), nil
}
