package graph

import (
	"context"
	"fmt"
	"time"

	"github.com/crn-dev/crn/ent"
	entevent "github.com/crn-dev/crn/ent/event"
	"github.com/crn-dev/crn/ent/eventcursor"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/event"
)

// replayPage is how many outbox events a replay reads at a time.
const replayPage = 2000

// replayed is the graph as the outbox builds it.
type replayed struct {
	states map[edgeKey]edgeState
	aff    memAffiliations
	last   int64 // id of the last event replayed
	events int
}

// replay runs the outbox through the same derivation as the consumer, in
// memory. from and to, when set, keep only events created in [from, to).
func replay(ctx context.Context, db *ent.Client, d Decay, lim Limits, from, to time.Time, progress func(done, total int)) (*replayed, error) {
	r := &replayed{states: map[edgeKey]edgeState{}, aff: memAffiliations{}}
	window := func(q *ent.EventQuery) *ent.EventQuery {
		if !from.IsZero() {
			q = q.Where(entevent.CreatedAtGTE(from))
		}
		if !to.IsZero() {
			q = q.Where(entevent.CreatedAtLT(to))
		}
		return q
	}
	total := 0
	if progress != nil {
		n, err := window(db.Event.Query()).Count(ctx)
		if err != nil {
			return nil, fmt.Errorf("replay: %w", err)
		}
		total = n
		progress(0, total)
	}
	latest, err := event.Latest(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	for r.last < latest {
		rows, err := window(db.Event.Query().Where(entevent.IDGT(r.last), entevent.IDLTE(latest))).
			Order(ent.Asc(entevent.FieldID)).Limit(replayPage).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("replay: %w", err)
		}
		if len(rows) == 0 {
			r.last = latest
			break
		}
		for _, row := range rows {
			e := event.Event{ID: row.ID, Type: event.Type(row.Type), Visibility: row.Visibility, Payload: row.Payload, CreatedAt: row.CreatedAt}
			e.ActorID, e.ForumID, e.TopicID, e.PostID, e.UserID = deref(row.ActorID), deref(row.ForumID), deref(row.TopicID), deref(row.PostID), deref(row.UserID)
			chs, err := derive(ctx, e, r.aff, lim)
			if err != nil {
				return nil, fmt.Errorf("replay event #%d: %w", e.ID, err)
			}
			for _, ch := range chs {
				st, ok := r.states[ch.key]
				if !ok && ch.delta < 0 {
					continue
				}
				r.states[ch.key] = d.apply(st, ch, e.CreatedAt)
			}
			r.last = row.ID
			r.events++
		}
		if progress != nil {
			progress(r.events, total)
		}
	}
	return r, nil
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

// RebuildSummary says what a rebuild did.
type RebuildSummary struct {
	Events       int
	Edges        int
	Affiliations int
	Position     int64
}

func (s RebuildSummary) String() string {
	return fmt.Sprintf("replayed %d events into %d edges and %d affiliations (outbox position %d)", s.Events, s.Edges, s.Affiliations, s.Position)
}

// generationCursor is an event_cursors row whose position changes at every
// rebuild, telling serving nodes to reload the whole graph.
const generationCursor = "graph.generation"

// insertChunk keeps bulk inserts under PostgreSQL's parameter limit.
const insertChunk = 1000

// Rebuild recomputes graph_edges and graph_affiliations from the outbox and
// moves the graph consumer's cursor to where the replay stopped, in one
// transaction: the consumer then goes on from there, and serving nodes
// reload. It may run next to serving nodes.
func (s *Service) Rebuild(ctx context.Context, progress func(done, total int)) (RebuildSummary, error) {
	r, err := replay(ctx, s.db, s.opts.Decay, s.opts.Limits, time.Time{}, time.Time{}, progress)
	if err != nil {
		return RebuildSummary{}, apperr.Internal("rebuild graph", err)
	}
	sum := RebuildSummary{Events: r.events, Position: r.last}
	err = s.tx(ctx, "rebuild graph", func(tx *ent.Tx) ([]event.Event, error) {
		if _, err := tx.GraphEdge.Delete().Exec(ctx); err != nil {
			return nil, err
		}
		if _, err := tx.GraphAffiliation.Delete().Exec(ctx); err != nil {
			return nil, err
		}
		var batch []*ent.GraphEdgeCreate
		flush := func() error {
			if len(batch) == 0 {
				return nil
			}
			err := tx.GraphEdge.CreateBulk(batch...).Exec(ctx)
			batch = batch[:0]
			return err
		}
		for k, st := range r.states {
			if st.count <= 0 {
				continue
			}
			batch = append(batch, tx.GraphEdge.Create().SetSrcID(k.src).SetDstID(k.dst).SetKind(k.kind.String()).SetScope(k.scope).
				SetForumID(k.forum).SetCount(st.count).SetScore(st.score).SetAsOf(st.asOf).SetLastEventID(r.last))
			sum.Edges++
			if len(batch) == insertChunk {
				if err := flush(); err != nil {
					return nil, err
				}
			}
		}
		if err := flush(); err != nil {
			return nil, err
		}
		var affs []*ent.GraphAffiliationCreate
		for k, members := range r.aff {
			for u, a := range members {
				affs = append(affs, tx.GraphAffiliation.Create().SetKind(k.kind).SetRefID(k.ref).SetUserID(u).SetScope(a.scope).SetCreatedAt(a.at))
				sum.Affiliations++
				if len(affs) == insertChunk {
					if err := tx.GraphAffiliation.CreateBulk(affs...).Exec(ctx); err != nil {
						return nil, err
					}
					affs = affs[:0]
				}
			}
		}
		if len(affs) > 0 {
			if err := tx.GraphAffiliation.CreateBulk(affs...).Exec(ctx); err != nil {
				return nil, err
			}
		}
		if err := setCursor(ctx, tx, ConsumerName, r.last); err != nil {
			return nil, err
		}
		return nil, setCursor(ctx, tx, generationCursor, time.Now().UnixNano())
	})
	return sum, err
}

func setCursor(ctx context.Context, tx *ent.Tx, name string, pos int64) error {
	n, err := tx.EventCursor.Update().Where(eventcursor.Name(name)).SetPosition(pos).Save(ctx)
	if err != nil || n > 0 {
		return err
	}
	return tx.EventCursor.Create().SetName(name).SetPosition(pos).Exec(ctx)
}

// generation reads the rebuild generation.
func generation(ctx context.Context, db *ent.Client) (int64, error) {
	c, err := db.EventCursor.Query().Where(eventcursor.Name(generationCursor)).Only(ctx)
	if ent.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return c.Position, nil
}
