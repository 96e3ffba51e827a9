package search

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/meilisearch/meilisearch-go"
)

// Meili is the Meilisearch implementation of Index. The live index is
// "{prefix}docs"; a rebuild fills "{prefix}docs_next" and commits by
// swapping the two, which Meilisearch does atomically for readers.
//
// Every write waits for its Meilisearch task to succeed, so a write that
// returned is searchable; a failure (including Meilisearch being down) is
// returned and the outbox consumer retries it later. While a rebuild is in
// progress, writes to the live index go to the new generation as well, so
// that they survive its Commit.
type Meili struct {
	client meilisearch.ServiceManager
	text   *meiliAnalyzer
	live   string
	next   string

	// mu guards building. Writes hold it for reading until they are done,
	// so Commit (which holds it for writing) swaps between writes, never
	// in the middle of one that has reached only one generation.
	mu       sync.RWMutex
	building *meiliBuilder

	prepMu   sync.Mutex
	prepared bool // the live index exists with its settings
}

var _ Index = (*Meili)(nil)

const (
	// meiliTaskTimeout bounds a document write together with the wait
	// for its task; one that waits longer fails, and the outbox retries.
	meiliTaskTimeout = 30 * time.Second
	// meiliAdminTimeout bounds creating, swapping and deleting indexes and
	// applying settings: changed settings make Meilisearch reindex, which
	// takes minutes on a large index.
	meiliAdminTimeout = 5 * time.Minute
	// meiliRequestTimeout bounds calls that enqueue nothing.
	meiliRequestTimeout = 10 * time.Second
)

// Meilisearch index uids and document ids allow only these characters.
var meiliNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]*$`)

// NewMeili opens the Meilisearch index named by prefix, creating it if
// needed and applying its settings (now, or before the first write if
// Meilisearch cannot be reached yet); client is owned by the caller, who
// closes it.
func NewMeili(ctx context.Context, client meilisearch.ServiceManager, prefix string) (*Meili, error) {
	if client == nil {
		return nil, errors.New("meili: no client")
	}
	if !meiliNameRE.MatchString(prefix) || len(prefix) > 200 {
		return nil, fmt.Errorf("meili: invalid index prefix %q: use letters, digits, - and _", prefix)
	}
	text, err := newMeiliAnalyzer()
	if err != nil {
		return nil, err
	}
	m := &Meili{client: client, text: text, live: prefix + "docs", next: prefix + "docs_next"}
	// A node must start even while Meilisearch is down or misconfigured
	// (writes go on; the outbox keeps what is to be indexed): if preparing
	// fails now, it is tried again before the next write, and /readyz says
	// what is wrong meanwhile. Start-up waits for it only so long.
	ctx, cancel := context.WithTimeout(ctx, meiliTaskTimeout)
	defer cancel()
	_ = m.ensure(ctx)
	return m, nil
}

// ensure creates the live index and applies its settings once.
func (m *Meili) ensure(ctx context.Context) error {
	m.prepMu.Lock()
	defer m.prepMu.Unlock()
	if m.prepared {
		return nil
	}
	if err := m.prepare(ctx, m.live); err != nil {
		return fmt.Errorf("meili: open %s: %w", m.live, err)
	}
	m.prepared = true
	return nil
}

// Upsert implements Index.
func (m *Meili) Upsert(ctx context.Context, docs ...Doc) error {
	if err := meiliCheckDocs(docs); err != nil {
		return fmt.Errorf("meili upsert: %w", err)
	}
	if err := m.ensure(ctx); err != nil {
		return err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if err := m.addDocs(ctx, m.live, docs); err != nil {
		return fmt.Errorf("meili upsert: %w", err)
	}
	if m.building != nil {
		if err := m.addDocs(ctx, m.next, docs); err != nil {
			return fmt.Errorf("meili upsert into rebuild: %w", err)
		}
	}
	return nil
}

// Delete implements Index.
func (m *Meili) Delete(ctx context.Context, ids ...string) error {
	if err := m.ensure(ctx); err != nil {
		return err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if err := m.deleteDocs(ctx, m.live, ids); err != nil {
		return fmt.Errorf("meili delete: %w", err)
	}
	if m.building != nil {
		if err := m.deleteDocs(ctx, m.next, ids); err != nil {
			return fmt.Errorf("meili delete from rebuild: %w", err)
		}
	}
	return nil
}

// Ping implements Index: Meilisearch is healthy and accepts the key
// (/health needs no key, /version does).
func (m *Meili) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, meiliRequestTimeout)
	defer cancel()
	h, err := m.client.HealthWithContext(ctx)
	if err != nil {
		return fmt.Errorf("meili ping: %w", err)
	}
	if h.Status != "available" {
		return fmt.Errorf("meili ping: status %q", h.Status)
	}
	if _, err := m.client.VersionWithContext(ctx); err != nil {
		return fmt.Errorf("meili ping: version: %w", err)
	}
	return nil
}

// Close implements Index. The client belongs to the caller, so there is
// nothing to release.
func (m *Meili) Close() error { return nil }

// Rebuild implements Index. Only one rebuild may be in progress at a time.
func (m *Meili) Rebuild(ctx context.Context) (Builder, error) {
	if err := m.ensure(ctx); err != nil { // the swap needs a live index to swap with
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.building != nil {
		return nil, errors.New("meili rebuild: another rebuild is in progress")
	}
	// A docs_next left by a crashed rebuild is stale.
	if err := m.dropIndex(ctx, m.next); err != nil {
		return nil, fmt.Errorf("meili rebuild: %w", err)
	}
	if err := m.prepare(ctx, m.next); err != nil {
		return nil, fmt.Errorf("meili rebuild: %w", err)
	}
	m.building = &meiliBuilder{m: m}
	return m.building, nil
}

// meiliBuilder fills {prefix}docs_next.
type meiliBuilder struct{ m *Meili }

var errMeiliBuilderDone = errors.New("meili rebuild: already committed or aborted")

// Upsert adds documents to the new generation only.
func (b *meiliBuilder) Upsert(ctx context.Context, docs ...Doc) error {
	if err := meiliCheckDocs(docs); err != nil {
		return fmt.Errorf("meili rebuild upsert: %w", err)
	}
	b.m.mu.RLock()
	defer b.m.mu.RUnlock()
	if b.m.building != b {
		return errMeiliBuilderDone
	}
	if err := b.m.addDocs(ctx, b.m.next, docs); err != nil {
		return fmt.Errorf("meili rebuild upsert: %w", err)
	}
	return nil
}

// Commit swaps the generations and drops the old one. If the swap fails,
// the builder stays open: Commit may be tried again, or Abort called.
func (b *meiliBuilder) Commit(ctx context.Context) error {
	m := b.m
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.building != b {
		return errMeiliBuilderDone
	}
	tctx, cancel := context.WithTimeout(ctx, meiliAdminTimeout)
	defer cancel()
	info, err := m.client.SwapIndexesWithContext(tctx, []*meilisearch.SwapIndexesParams{{Indexes: []string{m.live, m.next}}})
	if err == nil {
		err = m.wait(tctx, info)
	}
	if err != nil {
		return fmt.Errorf("meili rebuild commit: swap %s and %s: %w", m.live, m.next, err)
	}
	m.building = nil
	// The new generation is live. The old one now carries the name
	// docs_next; if dropping it fails, the next rebuild drops it.
	if err := m.dropIndex(ctx, m.next); err != nil {
		return fmt.Errorf("meili rebuild commit: drop old generation: %w", err)
	}
	return nil
}

// Abort drops the new generation; the live one is untouched. Aborting a
// builder that was already committed or aborted does nothing, so Abort can
// be deferred.
func (b *meiliBuilder) Abort(ctx context.Context) error {
	m := b.m
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.building != b {
		return nil
	}
	m.building = nil
	if err := m.dropIndex(ctx, m.next); err != nil {
		return fmt.Errorf("meili rebuild abort: %w", err)
	}
	return nil
}

// meiliSettings are applied at start-up and to every new generation.
// Sending the same settings again is a no-op for Meilisearch, so this is
// idempotent.
func meiliSettings() *meilisearch.Settings {
	return &meilisearch.Settings{
		// stems last: an exact word ranks above a word of the same stem.
		SearchableAttributes: []string{"title", "body", "username", "tag_text", "stems"},
		FilterableAttributes: []string{
			"type", "forum_id", "topic_id", "group_id", "author_id", "tags",
			"status", "visibility", "deleted", "created_at_ts",
		},
		SortableAttributes: []string{"created_at_ts", "votes"},
		// Meilisearch's default rules with sort first, so that a query
		// that asks for newest or votes gets that order strictly, and the
		// custom rule last, so that relevance (which sends no sort) puts
		// the newer of equally relevant documents first, and a query
		// without text lists the newest first.
		RankingRules: []string{"sort", "words", "typo", "proximity", "attribute", "exactness", "created_at_ts:desc"},
		// Han and kana are indexed one character per word, separated
		// by this (see meili_text.go).
		SeparatorTokens: []string{string(meiliCJKSep)},
		TypoTolerance: &meilisearch.TypoTolerance{
			Enabled:             true,
			MinWordSizeForTypos: meilisearch.MinWordSizeForTypos{OneTypo: 5, TwoTypos: 9},
			DisableOnWords:      []string{},
			DisableOnAttributes: []string{},
		},
		Faceting: &meilisearch.Faceting{
			MaxValuesPerFacet: 100,
			SortFacetValuesBy: map[string]meilisearch.SortFacetType{"*": meilisearch.SortFacetTypeAlpha},
		},
		Pagination: &meilisearch.Pagination{MaxTotalHits: 10000},
	}
}

// prepare creates index uid if it does not exist and applies the settings.
func (m *Meili) prepare(ctx context.Context, uid string) error {
	ctx, cancel := context.WithTimeout(ctx, meiliAdminTimeout)
	defer cancel()
	info, err := m.client.CreateIndexWithContext(ctx, &meilisearch.IndexConfig{Uid: uid, PrimaryKey: "id"})
	if err == nil {
		err = m.wait(ctx, info)
	}
	if err != nil && meiliCode(err) != "index_already_exists" {
		return fmt.Errorf("create index %s: %w", uid, err)
	}
	info, err = m.client.Index(uid).UpdateSettingsWithContext(ctx, meiliSettings())
	if err == nil {
		err = m.wait(ctx, info)
	}
	if err != nil {
		return fmt.Errorf("settings of %s: %w", uid, err)
	}
	return nil
}

// dropIndex deletes index uid; a missing index is not an error.
func (m *Meili) dropIndex(ctx context.Context, uid string) error {
	ctx, cancel := context.WithTimeout(ctx, meiliAdminTimeout)
	defer cancel()
	info, err := m.client.DeleteIndexWithContext(ctx, uid)
	if err == nil {
		err = m.wait(ctx, info)
	}
	if err != nil && meiliCode(err) != "index_not_found" {
		return fmt.Errorf("delete index %s: %w", uid, err)
	}
	return nil
}

// addDocs writes docs to index uid and waits until they are searchable.
func (m *Meili) addDocs(ctx context.Context, uid string, docs []Doc) error {
	if len(docs) == 0 {
		return nil
	}
	md := make([]meiliDoc, len(docs))
	for i := range docs {
		md[i] = m.text.doc(&docs[i])
	}
	ctx, cancel := context.WithTimeout(ctx, meiliTaskTimeout)
	defer cancel()
	pk := "id"
	info, err := m.client.Index(uid).AddDocumentsWithContext(ctx, md, &meilisearch.DocumentOptions{PrimaryKey: &pk})
	if err == nil {
		err = m.wait(ctx, info)
	}
	return err
}

// deleteDocs removes ids from index uid and waits until that is visible.
func (m *Meili) deleteDocs(ctx context.Context, uid string, ids []string) error {
	ids = slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return id == "" })
	if len(ids) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, meiliTaskTimeout)
	defer cancel()
	info, err := m.client.Index(uid).DeleteDocumentsWithContext(ctx, ids, nil)
	if err == nil {
		err = m.wait(ctx, info)
	}
	return err
}

// meiliCheckDocs rejects documents Meilisearch cannot key, before a
// whole batch fails on one of them.
func meiliCheckDocs(docs []Doc) error {
	for i, d := range docs {
		if d.ID == "" || len(d.ID) > 511 || !meiliNameRE.MatchString(d.ID) {
			return fmt.Errorf("document %d: invalid ID %q: use 1 to 511 letters, digits, - and _", i, d.ID)
		}
	}
	return nil
}

// meiliTaskError is a Meilisearch task that did not succeed.
type meiliTaskError struct {
	UID     int64
	Type    string
	Status  meilisearch.TaskStatus
	Code    string
	Message string
}

func (e *meiliTaskError) Error() string {
	return fmt.Sprintf("task %d (%s) %s: %s: %s", e.UID, e.Type, e.Status, e.Code, e.Message)
}

// meiliCode returns the Meilisearch error code of err, if any.
func meiliCode(err error) string {
	var te *meiliTaskError
	if errors.As(err, &te) {
		return te.Code
	}
	var me *meilisearch.Error
	if errors.As(err, &me) {
		return me.MeilisearchApiError.Code
	}
	return ""
}

// wait polls the task behind info until it finishes or ctx ends, and
// returns an error unless it succeeded. Polling starts fast, because most
// single-document writes finish within milliseconds, and backs off.
func (m *Meili) wait(ctx context.Context, info *meilisearch.TaskInfo) error {
	if info == nil {
		return errors.New("no task returned")
	}
	delay := 2 * time.Millisecond
	for {
		task, err := m.client.GetTaskWithContext(ctx, info.TaskUID)
		if err != nil {
			return fmt.Errorf("task %d: %w", info.TaskUID, err)
		}
		switch task.Status {
		case meilisearch.TaskStatusSucceeded:
			return nil
		case meilisearch.TaskStatusEnqueued, meilisearch.TaskStatusProcessing:
		default:
			return &meiliTaskError{
				UID: info.TaskUID, Type: string(task.Type), Status: task.Status,
				Code: task.Error.Code, Message: task.Error.Message,
			}
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("task %d still %s: %w", info.TaskUID, task.Status, ctx.Err())
		case <-t.C:
		}
		if delay < 100*time.Millisecond {
			delay = delay * 3 / 2
		}
	}
}
