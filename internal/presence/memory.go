package presence

import (
	"context"
	"errors"
	"sort"
	"sync"
	"time"
)

var _ Store = (*Memory)(nil)

// errTTL is returned by Touch when ttl is not positive.
var errTTL = errors.New("presence: ttl must be positive")

// Memory is a Store kept in this process, for a single crn node and for
// tests. It keeps the node dimension of the Redis store (scope → user → node
// → expiry) so that both behave alike: a user stays recorded in a scope
// until a Leave or a Sweep reports their departure, even after their last
// presence has expired, so each departure is reported exactly once.
type Memory struct {
	node string
	now  func() time.Time

	mu     sync.Mutex
	scopes map[string]map[int]map[string]time.Time // scope → user → node → expiry
}

// NewMemory returns an empty Memory store whose presences belong to node.
// now is the clock; nil means time.Now.
func NewMemory(node string, now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	return &Memory{node: node, now: now, scopes: make(map[string]map[int]map[string]time.Time)}
}

// Touch marks userID present in scope from this node until ttl passes.
func (m *Memory) Touch(_ context.Context, scope string, userID int, ttl time.Duration) (bool, error) {
	if ttl <= 0 {
		return false, errTTL
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	users := m.scopes[scope]
	if users == nil {
		users = make(map[int]map[string]time.Time)
		m.scopes[scope] = users
	}
	nodes := users[userID]
	if nodes == nil {
		nodes = make(map[string]time.Time)
		users[userID] = nodes
	}
	pruneExpired(nodes, now)
	joined := len(nodes) == 0
	nodes[m.node] = now.Add(ttl)
	return joined, nil
}

// Leave removes this node's presence of userID in scope. left is true when
// this call ended the user's presence in the scope (see Redis.Leave).
func (m *Memory) Leave(_ context.Context, scope string, userID int) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	users := m.scopes[scope]
	nodes, ok := users[userID]
	if !ok {
		return false, nil
	}
	delete(nodes, m.node)
	pruneExpired(nodes, m.now())
	if len(nodes) > 0 {
		return false, nil
	}
	delete(users, userID)
	if len(users) == 0 {
		delete(m.scopes, scope)
	}
	return true, nil
}

// Members lists the users present in scope, ascending.
func (m *Memory) Members(_ context.Context, scope string) ([]int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	var ids []int
	for id, nodes := range m.scopes[scope] {
		if present(nodes, now) {
			ids = append(ids, id)
		}
	}
	sort.Ints(ids)
	return ids, nil
}

// Sweep forgets users whose every presence has expired and reports them as
// departures, ordered by scope then user.
func (m *Memory) Sweep(_ context.Context) ([]Change, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	var gone []Change
	for scope, users := range m.scopes {
		for id, nodes := range users {
			if !present(nodes, now) {
				delete(users, id)
				gone = append(gone, Change{Scope: scope, UserID: id})
			}
		}
		if len(users) == 0 {
			delete(m.scopes, scope)
		}
	}
	sortChanges(gone)
	return gone, nil
}

// Close does nothing: a Memory store holds no outside resources.
func (m *Memory) Close() error { return nil }

// present reports whether any node's presence is unexpired at now. A
// presence expires at its expiry instant, as in the Redis store.
func present(nodes map[string]time.Time, now time.Time) bool {
	for _, exp := range nodes {
		if exp.After(now) {
			return true
		}
	}
	return false
}

func pruneExpired(nodes map[string]time.Time, now time.Time) {
	for node, exp := range nodes {
		if !exp.After(now) {
			delete(nodes, node)
		}
	}
}

func sortChanges(cs []Change) {
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].Scope != cs[j].Scope {
			return cs[i].Scope < cs[j].Scope
		}
		return cs[i].UserID < cs[j].UserID
	})
}
