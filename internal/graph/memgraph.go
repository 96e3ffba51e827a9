package graph

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"
	"unsafe"

	"entgo.io/ent/dialect/sql"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/graphedge"
)

// contrib is one accumulator as seen from one of its two ends: 32 bytes.
// Each row of graph_edges is held twice, at its source (out) and at its
// destination (in), so both directions are a slice scan away.
type contrib struct {
	peer  int32 // dense index of the other end
	scope int32
	forum int32
	count int32
	// norm is the decayed count moved to the graph's epoch:
	// score·2^((asOf−epoch)/halfLife). Its value at any time t is then
	// norm·2^(−(t−epoch)/halfLife), one factor for the whole graph, so a
	// query multiplies instead of computing a power per tie. Kinds that do
	// not decay keep their count here.
	norm float64
	kind Kind
	out  bool // this end is the source
}

func (c *contrib) less(o *contrib) int {
	switch {
	case c.peer != o.peer:
		return int(c.peer - o.peer)
	case c.kind != o.kind:
		return int(c.kind) - int(o.kind)
	case c.out != o.out:
		if c.out {
			return 1
		}
		return -1
	case c.scope != o.scope:
		return int(c.scope - o.scope)
	}
	return int(c.forum - o.forum)
}

// Memory is the compact in-memory graph a serving node queries: per node a
// slice of contributions sorted by peer (a CSR layout that can still take
// updates). It is safe for concurrent use.
type Memory struct {
	mu    sync.RWMutex
	ids   []int         // dense index -> user id
	index map[int]int32 // user id -> dense index
	adj   [][]contrib   // dense index -> contributions, sorted
	rows  int           // accumulators held (each twice)
	// changes counts accumulator writes, and loads the times the graph was
	// emptied to be reloaded: together, a version that cached results
	// compare against.
	changes, loads int64
	pos            lastChange // how far Refresh has read graph_edges
	gen            int64      // the rebuild generation loaded
	now            func() time.Time
	// halfLife (seconds) and epoch (unix seconds) normalise scores.
	halfLife float64
	epoch    int64
}

// maxEpochHalfLives is how far the clock may move from the epoch before
// Refresh reloads the graph with a new one, far from float64's range.
const maxEpochHalfLives = 600

// norm moves a score as of asOf to the epoch.
func (m *Memory) norm(k Kind, st edgeState) float64 {
	if !k.decays() {
		return float64(st.count)
	}
	return st.score * math.Exp2(float64(st.asOf.Unix()-m.epoch)/m.halfLife)
}

// factor is what a normalised score is worth at now.
func (m *Memory) factor(now int64) float64 {
	return math.Exp2(-float64(now-m.epoch) / m.halfLife)
}

type lastChange struct {
	eventID, rowID int64
}

// NewMemory returns an empty graph whose scores fade with halfLife (the
// same as the consumer's).
func NewMemory(halfLife time.Duration) *Memory {
	if halfLife <= 0 {
		halfLife = DefaultHalfLife
	}
	return &Memory{index: map[int]int32{}, now: time.Now, halfLife: halfLife.Seconds(), epoch: time.Now().Unix()}
}

func (m *Memory) node(user int) int32 {
	if i, ok := m.index[user]; ok {
		return i
	}
	i := int32(len(m.ids))
	m.ids = append(m.ids, user)
	m.index[user] = i
	m.adj = append(m.adj, nil)
	return i
}

// set makes the accumulator k equal to st (count 0 removes it). Setting is
// idempotent, so a row read twice does no harm.
func (m *Memory) set(k edgeKey, st edgeState) {
	s, d := m.node(k.src), m.node(k.dst)
	c := contrib{peer: d, scope: int32(k.scope), forum: int32(k.forum), count: int32(st.count), norm: m.norm(k.kind, st), kind: k.kind, out: true}
	r := c
	r.peer, r.out = s, false
	m.changes++
	added := upsert(&m.adj[s], c)
	upsert(&m.adj[d], r)
	switch {
	case added > 0:
		m.rows++
	case added < 0:
		m.rows--
	}
}

// get reads the accumulator k as of now (zero when absent).
func (m *Memory) get(k edgeKey, now time.Time) edgeState {
	s, ok1 := m.index[k.src]
	d, ok2 := m.index[k.dst]
	if !ok1 || !ok2 {
		return edgeState{}
	}
	probe := contrib{peer: d, scope: int32(k.scope), forum: int32(k.forum), kind: k.kind, out: true}
	l := m.adj[s]
	i, found := slices.BinarySearchFunc(l, probe, func(a, b contrib) int { return a.less(&b) })
	if !found {
		return edgeState{}
	}
	c := l[i]
	if !k.kind.decays() {
		return edgeState{count: int(c.count), score: c.norm, asOf: now}
	}
	return edgeState{count: int(c.count), score: c.norm * m.factor(now.Unix()), asOf: now}
}

// upsert puts c in the sorted list (or removes it when its count is 0) and
// reports +1 for an insert, -1 for a removal, 0 otherwise.
func upsert(list *[]contrib, c contrib) int {
	l := *list
	i, found := slices.BinarySearchFunc(l, c, func(a, b contrib) int { return a.less(&b) })
	switch {
	case found && c.count <= 0:
		*list = slices.Delete(l, i, i+1)
		return -1
	case found:
		l[i] = c
	case c.count > 0:
		*list = slices.Insert(l, i, c)
		return 1
	}
	return 0
}

// Stats describe the loaded graph.
type Stats struct {
	Nodes         int   `json:"nodes"`
	Accumulators  int   `json:"accumulators"` // rows of graph_edges held
	Bytes         int64 `json:"bytes"`        // estimated heap held by the graph
	EventPosition int64 `json:"event_position"`
}

// Stats reports the size of the graph.
func (m *Memory) Stats() Stats {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var b int64
	for _, l := range m.adj {
		b += int64(cap(l)) * int64(unsafe.Sizeof(contrib{}))
	}
	b += int64(len(m.adj)) * int64(unsafe.Sizeof([]contrib{}))
	b += int64(cap(m.ids)) * 8
	b += int64(len(m.index)) * 24 // map entry plus overhead, roughly
	return Stats{Nodes: len(m.ids), Accumulators: m.rows, Bytes: b, EventPosition: m.pos.eventID}
}

// version is how far the graph has changed: the loads and the writes.
// Call it under the lock.
func (m *Memory) version() memVersion {
	return memVersion{loads: m.loads, changes: m.changes, rows: m.rows}
}

type memVersion struct {
	loads, changes int64
	rows           int
}

// refreshPage is how many rows one refresh query reads.
const refreshPage = 5000

// Refresh reads the rows of graph_edges changed since the last refresh. The
// consumer commits whole batches, and a row changed again gets a larger
// last_event_id, so reading by (last_event_id, id) misses nothing.
func (m *Memory) Refresh(ctx context.Context, db *ent.Client) (int, error) {
	gen, err := generation(ctx, db)
	if err != nil {
		return 0, fmt.Errorf("refresh graph: %w", err)
	}
	m.mu.Lock()
	now := m.now().Unix()
	if gen != m.gen || math.Abs(float64(now-m.epoch))/m.halfLife > maxEpochHalfLives { // rebuilt, or the epoch is too old: reload
		m.ids, m.index, m.adj, m.rows, m.pos, m.gen, m.epoch = nil, map[int]int32{}, nil, 0, lastChange{}, gen, now
		m.loads++
	}
	pos := m.pos
	m.mu.Unlock()
	n := 0
	for {
		rows, err := db.GraphEdge.Query().Where(func(s *sql.Selector) {
			s.Where(sql.Or(
				sql.GT(s.C(graphedge.FieldLastEventID), pos.eventID),
				sql.And(sql.EQ(s.C(graphedge.FieldLastEventID), pos.eventID), sql.GT(s.C(graphedge.FieldID), pos.rowID)),
			))
		}).Order(ent.Asc(graphedge.FieldLastEventID), ent.Asc(graphedge.FieldID)).Limit(refreshPage).All(ctx)
		if err != nil {
			return n, fmt.Errorf("refresh graph: %w", err)
		}
		if len(rows) == 0 {
			return n, nil
		}
		m.mu.Lock()
		for _, r := range rows {
			k, ok := keyOf(r)
			if ok {
				m.set(k, edgeState{count: r.Count, score: r.Score, asOf: r.AsOf})
			}
		}
		last := rows[len(rows)-1]
		pos = lastChange{eventID: last.LastEventID, rowID: int64(last.ID)}
		m.pos = pos
		m.mu.Unlock()
		n += len(rows)
		if len(rows) < refreshPage {
			return n, nil
		}
	}
}

func keyOf(r *ent.GraphEdge) (edgeKey, bool) {
	k, ok := ParseKind(r.Kind)
	return edgeKey{src: r.SrcID, dst: r.DstID, kind: k, scope: r.Scope, forum: r.ForumID}, ok
}

// Run refreshes the graph every interval until ctx ends.
func (m *Memory) Run(ctx context.Context, db *ent.Client, every time.Duration, onErr func(error)) {
	if every <= 0 {
		every = time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := m.Refresh(ctx, db); err != nil && ctx.Err() == nil {
			onErr(err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// fromStates builds a graph from accumulators (a replay).
func fromStates(states map[edgeKey]edgeState, halfLife time.Duration) *Memory {
	m := NewMemory(halfLife)
	for k, st := range states {
		if st.count <= 0 {
			continue
		}
		s, d := m.node(k.src), m.node(k.dst)
		c := contrib{peer: d, scope: int32(k.scope), forum: int32(k.forum), count: int32(st.count), norm: m.norm(k.kind, st), kind: k.kind, out: true}
		m.adj[s] = append(m.adj[s], c)
		c.peer, c.out = s, false
		m.adj[d] = append(m.adj[d], c)
		m.rows++
	}
	for _, l := range m.adj {
		slices.SortFunc(l, func(a, b contrib) int { return a.less(&b) })
	}
	return m
}
