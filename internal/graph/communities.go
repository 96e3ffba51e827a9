package graph

import (
	"context"
	"errors"
	"hash/maphash"
	"slices"
	"sync"
	"time"

	"github.com/crn-dev/crn/internal/apperr"
)

// Community is a group of customers tied more to each other than to others.
type Community struct {
	ID         int      `json:"id"`
	Size       int      `json:"size"`
	TopMembers []Ranked `json:"top_members"`
	TopTags    []string `json:"top_tags"`
}

// Communities is the result of community detection.
type Communities struct {
	// Status is StatusReady, or StatusComputing while no result exists yet
	// (the fields below are then empty).
	Status      string      `json:"status"`
	Modularity  float64     `json:"modularity"`
	Total       int         `json:"total"` // communities found, including those not listed
	Communities []Community `json:"communities"`
	// ComputedAt is when the result was computed; Stale, that the graph has
	// changed enough since and a new result is being computed.
	ComputedAt *time.Time `json:"computed_at,omitempty"`
	Stale      bool       `json:"stale"`
	// StartedAt is when the computation under way started.
	StartedAt *time.Time `json:"started_at,omitempty"`
}

// Statuses of Communities.
const (
	StatusReady     = "ready"
	StatusComputing = "computing"
)

// Community listing limits.
const (
	communitiesListed = 20
	membersListed     = 5
	tagsListed        = 5
)

// Defaults of the community cache (Options.Community).
const (
	DefaultCommunityTTL     = time.Hour
	DefaultCommunityChange  = 0.02
	DefaultCommunityWait    = 15 * time.Second
	DefaultCommunityTimeout = 10 * time.Minute
	communityCacheMax       = 32
)

// CommunityOptions tune how community results are cached.
type CommunityOptions struct {
	// TTL is how long a result serves before it is recomputed.
	TTL time.Duration
	// Change is the share of accumulators written since a result that makes
	// it stale (at least one write).
	Change float64
	// Wait is the longest a request waits for a computation before it
	// answers with what it has (StatusComputing when it has nothing).
	Wait time.Duration
	// Timeout bounds one computation.
	Timeout time.Duration
}

func (o *CommunityOptions) defaults() {
	if o.TTL <= 0 {
		o.TTL = DefaultCommunityTTL
	}
	if o.Change <= 0 {
		o.Change = DefaultCommunityChange
	}
	if o.Wait <= 0 {
		o.Wait = DefaultCommunityWait
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultCommunityTimeout
	}
}

// communityCache keeps one result per analytics query. Communities are for
// staff, and staff see every tie, so one result serves every staff member.
type communityCache struct {
	mu      sync.Mutex
	entries map[communityKey]*communityEntry
	seed    maphash.Seed
}

type communityKey struct {
	group, forum int
	from, to     int64
}

type communityEntry struct {
	result  *Communities // the last result, nil before the first
	version memVersion   // the graph's version when it was computed
	hidden  uint64       // the opt-outs it was computed with
	used    time.Time
	// running is closed when the computation under way ends.
	running chan struct{}
	started time.Time
	err     error // the last computation's failure, if it failed
}

func communityKeyOf(q AnalyticsQuery) communityKey {
	k := communityKey{group: q.Group, forum: q.Forum}
	if !q.From.IsZero() {
		k.from = q.From.UnixNano()
	}
	if !q.To.IsZero() {
		k.to = q.To.UnixNano()
	}
	return k
}

// hiddenSum fingerprints a set of opt-outs.
func (c *communityCache) hiddenSum(hidden map[int]bool) uint64 {
	ids := make([]int, 0, len(hidden))
	for id := range hidden {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var h maphash.Hash
	h.SetSeed(c.seed)
	for _, id := range ids {
		maphash.WriteComparable(&h, id)
	}
	return h.Sum64()
}

// stale reports whether e's result no longer fits the graph at v with the
// opt-outs hidden, or has outlived the TTL.
func (s *Service) stale(e *communityEntry, v memVersion, hidden uint64, now time.Time) bool {
	if e.result == nil || e.hidden != hidden || e.version.loads != v.loads {
		return true
	}
	if now.Sub(*e.result.ComputedAt) >= s.opts.Community.TTL {
		return true
	}
	need := max(int64(1), int64(float64(e.version.rows)*s.opts.Community.Change))
	return v.changes-e.version.changes >= need
}

// Communities detects communities with the Louvain method (louvain.go) on
// the undirected weighted graph. Results are cached per query and
// recomputed in the background once the graph has changed enough, the
// opt-outs have changed, or the TTL has passed: a request waits for a
// computation at most Community.Wait (and its own deadline), then answers
// with the previous result, marked stale, or with StatusComputing.
func (s *Service) Communities(ctx context.Context, v Viewer, q AnalyticsQuery) (Communities, error) {
	if err := staffOnly(v); err != nil {
		return Communities{}, err
	}
	q.Metric = MetricPageRank
	if err := q.check(); err != nil {
		return Communities{}, err
	}
	hidden, err := s.hidden(ctx)
	if err != nil {
		return Communities{}, err
	}
	c := &s.communities
	sum := c.hiddenSum(hidden)
	s.mem.mu.RLock()
	ver := s.mem.version()
	s.mem.mu.RUnlock()
	key := communityKeyOf(q)

	c.mu.Lock()
	e := c.entries[key]
	if e == nil {
		c.evict()
		e = &communityEntry{}
		c.entries[key] = e
	}
	e.used = s.opts.Now()
	if e.running == nil && s.stale(e, ver, sum, s.opts.Now()) {
		s.startCommunities(e, q)
	}
	running := e.running
	c.mu.Unlock()

	if running != nil {
		wait := time.NewTimer(s.opts.Community.Wait)
		defer wait.Stop()
		select {
		case <-running:
		case <-wait.C:
		case <-ctx.Done():
		}
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	if e.result == nil {
		if e.running == nil && e.err != nil {
			err := e.err
			e.err = nil // the next request tries again
			return Communities{}, err
		}
		started := e.started
		return Communities{Status: StatusComputing, Communities: []Community{}, StartedAt: &started}, nil
	}
	out := *e.result
	out.Stale = e.running != nil || s.stale(e, ver, sum, s.opts.Now())
	if e.hidden != sum {
		// Opted out since: leave them out at once, before the new result.
		out.Communities = withoutHidden(out.Communities, hidden)
	}
	return out, nil
}

// evict drops the least recently used idle entry when the cache is full.
// Call it with c.mu held.
func (c *communityCache) evict() {
	if c.entries == nil {
		c.entries = map[communityKey]*communityEntry{}
	}
	if len(c.entries) < communityCacheMax {
		return
	}
	var oldest communityKey
	var at time.Time
	found := false
	for k, e := range c.entries {
		if e.running == nil && (!found || e.used.Before(at)) {
			oldest, at, found = k, e.used, true
		}
	}
	if found {
		delete(c.entries, oldest)
	}
}

// startCommunities computes e's result in the background, bounded by
// Community.Timeout and stopped by Close. Call it with the cache's lock held.
func (s *Service) startCommunities(e *communityEntry, q AnalyticsQuery) {
	done := make(chan struct{})
	e.running, e.started = done, s.opts.Now()
	s.background.Add(1)
	go func() {
		defer s.background.Done()
		ctx, cancel := context.WithTimeout(s.bgCtx, s.opts.Community.Timeout)
		defer cancel()
		r, ver, sum, err := s.computeCommunities(ctx, q)
		c := &s.communities
		c.mu.Lock()
		defer c.mu.Unlock()
		e.running = nil
		close(done)
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				err = apperr.Unavailable("communities_timeout", "community detection took too long", err)
			}
			e.err = err
			return
		}
		e.result, e.version, e.hidden, e.err = &r, ver, sum, nil
	}()
}

// computeCommunities runs community detection as staff see the graph.
func (s *Service) computeCommunities(ctx context.Context, q AnalyticsQuery) (Communities, memVersion, uint64, error) {
	hidden, err := s.hidden(ctx)
	if err != nil {
		return Communities{}, memVersion{}, 0, err
	}
	s.mem.mu.RLock()
	ver := s.mem.version()
	s.mem.mu.RUnlock()
	snap, _, done, err := s.analyticsViewHiding(ctx, Viewer{Staff: true}, q, hidden)
	if err != nil {
		return Communities{}, memVersion{}, 0, err
	}
	done()
	res, err := louvain(ctx, wgraphOf(snap), 1)
	if err != nil {
		return Communities{}, memVersion{}, 0, err
	}
	at := s.opts.Now()
	out := Communities{Status: StatusReady, Modularity: round(res.modularity), Total: len(res.communities),
		Communities: []Community{}, ComputedAt: &at}
	for ci, members := range res.communities {
		if ci >= communitiesListed {
			break
		}
		top, err := s.topMembers(ctx, snap, members)
		if err != nil {
			return out, ver, 0, err
		}
		ids := make([]int, len(top))
		for i, t := range top {
			ids[i] = t.ID
		}
		tags, err := s.topTags(ctx, ids)
		if err != nil {
			return out, ver, 0, err
		}
		out.Communities = append(out.Communities, Community{ID: ci + 1, Size: len(members), TopMembers: top, TopTags: tags})
	}
	return out, ver, s.communities.hiddenSum(hidden), nil
}

// topMembers are the members of most weight inside their community.
func (s *Service) topMembers(ctx context.Context, snap *snapshot, members []int64) ([]Ranked, error) {
	in := make(map[int32]bool, len(members))
	for _, m := range members {
		in[int32(m)] = true
	}
	strength := make(map[int64]float64, len(members))
	for _, m := range members {
		for j := snap.off[m]; j < snap.off[m+1]; j++ {
			if in[snap.peer[j]] {
				strength[m] += float64(snap.w[j])
			}
		}
	}
	top, err := s.rank(ctx, snap, strength, membersListed)
	if err != nil {
		return nil, err
	}
	for i := range top {
		top[i].Score = round(top[i].Score)
	}
	return top, nil
}

// withoutHidden copies communities without the hidden top members.
func withoutHidden(cs []Community, hidden map[int]bool) []Community {
	out := make([]Community, len(cs))
	for i, c := range cs {
		c.TopMembers = slices.DeleteFunc(slices.Clone(c.TopMembers), func(r Ranked) bool { return hidden[r.ID] })
		for j := range c.TopMembers {
			c.TopMembers[j].Rank = j + 1
		}
		out[i] = c
	}
	return out
}

// Close stops background work (community detection) and waits for it.
func (s *Service) Close() {
	s.stopBG()
	s.background.Wait()
}
