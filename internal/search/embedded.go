package search

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch/mergeplan"
	"github.com/blevesearch/bleve/v2/mapping"
	bsearch "github.com/blevesearch/bleve/v2/search"
)

// errClosed is returned by every operation on a closed index.
var errClosed = errors.New("search: index is closed")

// batchSize bounds how many documents go into one bleve batch. Every batch
// waits for its segment to be persisted, so a rebuild goes faster when its
// caller passes thousands of documents at a time.
const batchSize = 5000

// Embedded is the default Index: a bleve full-text index kept in a
// directory of the data dir, in generations (see embedded_gen.go) so that a
// rebuild can be swapped in atomically. It is safe for concurrent use.
//
// Writes return once they are durable and searchable. While a rebuild is in
// progress, writes to the live index are applied to the new generation as
// well, so that changes made during the rebuild survive its Commit.
type Embedded struct {
	dir     string
	mapping *mapping.IndexMappingImpl
	query   *queryBuilder
	lock    *os.File

	// mu guards the fields below. Operations hold it for reading while
	// they use idx, so a Commit (which holds it for writing) waits for
	// searches in flight on the old generation before it closes it.
	mu       sync.RWMutex
	idx      bleve.Index
	gen      int
	building *embeddedBuilder
	stale    bool
	closed   bool
}

var _ Index = (*Embedded)(nil)

// NewEmbedded opens the index stored under dir (crn passes
// <data-dir>/search), creating it if there is none, and removes generations
// left behind by an interrupted rebuild. NeedsReindex tells whether the
// index it opened is missing documents.
func NewEmbedded(dir string) (*Embedded, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("search: open %s: %w", dir, err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	e, err := openEmbedded(dir)
	if err != nil {
		_ = unlockDir(lock)
		return nil, err
	}
	e.lock = lock
	return e, nil
}

func openEmbedded(dir string) (*Embedded, error) {
	im, err := newEmbeddedMapping()
	if err != nil {
		return nil, err
	}
	e := &Embedded{dir: dir, mapping: im, query: newQueryBuilder(im)}

	n, ok, err := readCurrent(dir)
	if err != nil {
		return nil, err
	}
	if ok {
		if _, err := os.Stat(genDir(dir, n)); errors.Is(err, fs.ErrNotExist) {
			ok = false
		}
	}
	if ok {
		idx, err := bleve.OpenUsing(genDir(dir, n), map[string]any{"bolt_timeout": "10s"})
		if err != nil {
			return nil, fmt.Errorf("search: open generation %d in %s (remove the directory and reindex if it is damaged): %w", n, dir, err)
		}
		schema, err := idx.GetInternal(schemaKey)
		if err != nil {
			_ = idx.Close()
			return nil, fmt.Errorf("search: open generation %d in %s: %w", n, dir, err)
		}
		e.idx, e.gen, e.stale = idx, n, string(schema) != embeddedSchema
	} else {
		// No usable index: start an empty generation after any that exist.
		gens, err := generations(dir)
		if err != nil {
			return nil, err
		}
		n = 1
		if len(gens) > 0 {
			n = slices.Max(gens) + 1
		}
		idx, err := e.createGeneration(n)
		if err != nil {
			return nil, err
		}
		if err := writeCurrent(dir, n); err != nil {
			_ = idx.Close()
			return nil, err
		}
		e.idx, e.gen, e.stale = idx, n, true
	}
	if err := removeStrays(dir, e.gen); err != nil {
		_ = e.idx.Close()
		return nil, err
	}
	return e, nil
}

// createGeneration makes an empty index for generation n, replacing any
// leftovers of an earlier attempt.
func (e *Embedded) createGeneration(n int) (bleve.Index, error) {
	path := genDir(e.dir, n)
	if err := os.RemoveAll(path); err != nil {
		return nil, fmt.Errorf("search: create generation %d: %w", n, err)
	}
	idx, err := bleve.New(path, e.mapping)
	if err != nil {
		return nil, fmt.Errorf("search: create generation %d: %w", n, err)
	}
	if err := idx.SetInternal(schemaKey, []byte(embeddedSchema)); err != nil {
		_ = idx.Close()
		_ = os.RemoveAll(path)
		return nil, fmt.Errorf("search: create generation %d: %w", n, err)
	}
	return idx, nil
}

// NeedsReindex reports whether the live generation lacks documents it
// should have: the index was just created (first start, or its files were
// missing) or was written by an older schema. The caller should Rebuild.
func (e *Embedded) NeedsReindex() bool {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.stale
}

// Upsert adds or replaces documents by ID.
func (e *Embedded) Upsert(ctx context.Context, docs ...Doc) error {
	if err := checkDocs(ctx, docs); err != nil {
		return fmt.Errorf("search: upsert: %w", err)
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.closed {
		return errClosed
	}
	if err := writeDocs(e.idx, docs, nil); err != nil {
		return fmt.Errorf("search: upsert: %w", err)
	}
	if e.building != nil {
		if err := writeDocs(e.building.idx, docs, nil); err != nil {
			return fmt.Errorf("search: upsert into rebuild: %w", err)
		}
	}
	return nil
}

// Delete removes documents by ID; unknown IDs are ignored.
func (e *Embedded) Delete(ctx context.Context, ids ...string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("search: delete: %w", err)
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.closed {
		return errClosed
	}
	if err := writeDocs(e.idx, nil, ids); err != nil {
		return fmt.Errorf("search: delete: %w", err)
	}
	if e.building != nil {
		if err := writeDocs(e.building.idx, nil, ids); err != nil {
			return fmt.Errorf("search: delete from rebuild: %w", err)
		}
	}
	return nil
}

// Search runs a query against the live generation: one search for the
// page, and one that reads the text and the term locations of its hits
// for their snippets.
func (e *Embedded) Search(ctx context.Context, q Query) (Result, error) {
	start := time.Now()
	e.mu.RLock()
	if e.closed {
		e.mu.RUnlock()
		return Result{}, errClosed
	}
	freq := &termFreq{idx: e.idx}
	req, text := e.query.request(q, freq.common)
	freq.close()
	res, err := e.idx.SearchInContext(ctx, req)
	var texts map[string]*bsearch.DocumentMatch
	if err == nil && len(res.Hits) > 0 {
		ids := make([]string, len(res.Hits))
		for i, h := range res.Hits {
			ids[i] = h.ID
		}
		var hl *bleve.SearchResult
		hl, err = e.idx.SearchInContext(ctx, highlightRequest(text, ids))
		if err == nil {
			texts = make(map[string]*bsearch.DocumentMatch, len(hl.Hits))
			for _, h := range hl.Hits {
				texts[h.ID] = h
			}
		}
	}
	e.mu.RUnlock()
	if err != nil {
		return Result{}, fmt.Errorf("search: query: %w", err)
	}
	out := e.query.result(req, res, texts, q.Facets)
	out.Took = time.Since(start)
	return out, nil
}

// commonDocs is how many documents must contain a word, as typed, for it
// to be taken as no typo: one in fuzzyCommonRatio of them, and at least
// fuzzyCommonMin.
const (
	fuzzyCommonRatio = 2000
	fuzzyCommonMin   = 3
)

// termFreq answers whether words are common in an index, from one reader
// opened on first use.
type termFreq struct {
	idx    bleve.Index
	opened bool
	docs   uint64
	count  func(word, field string) (uint64, error) // nil when opening failed
	done   func()
}

func (f *termFreq) open() {
	f.opened = true
	ii, err := f.idx.Advanced()
	if err != nil {
		return
	}
	r, err := ii.Reader()
	if err != nil {
		return
	}
	f.done = func() { _ = r.Close() }
	if f.docs, err = r.DocCount(); err != nil {
		return
	}
	f.count = func(word, field string) (uint64, error) {
		tfr, err := r.TermFieldReader(context.Background(), []byte(word), field, false, false, false)
		if err != nil {
			return 0, err
		}
		n := tfr.Count()
		return n, tfr.Close()
	}
}

// common reports whether enough documents contain word, as typed, in
// their title or body. On an error it says no, which costs time, never
// results.
func (f *termFreq) common(word string) bool {
	if !f.opened {
		f.open()
	}
	if f.count == nil {
		return false
	}
	need := max(f.docs/fuzzyCommonRatio, fuzzyCommonMin)
	var n uint64
	for _, field := range []string{fieldBodyCJK, fieldTitleCJK} {
		c, err := f.count(word, field)
		if err != nil {
			return false
		}
		if n += c; n >= need {
			return true
		}
	}
	return false
}

func (f *termFreq) close() {
	if f.done != nil {
		f.done()
	}
}

// Merging reports whether the index is still merging or persisting
// segments in the background (benchmarks wait for it to finish).
func (e *Embedded) Merging() bool {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.closed {
		return false
	}
	stats, _ := e.idx.StatsMap()["index"].(map[string]any)
	active, _ := stats["index_bgthreads_active"].(bool)
	return active
}

// Ping reports whether the index is open and readable.
func (e *Embedded) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("search: ping: %w", err)
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.closed {
		return errClosed
	}
	if _, err := e.idx.DocCount(); err != nil {
		return fmt.Errorf("search: ping: %w", err)
	}
	return nil
}

// Close releases the index. A rebuild still in progress is abandoned as a
// crash would leave it: its generation is removed the next time the index
// opens.
func (e *Embedded) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil
	}
	e.closed = true
	var errs []error
	errs = append(errs, e.idx.Close())
	if e.building != nil {
		errs = append(errs, e.building.idx.Close())
		e.building = nil
	}
	if e.lock != nil {
		errs = append(errs, unlockDir(e.lock))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("search: close: %w", err)
	}
	return nil
}

// Rebuild starts a new, empty generation. Only one rebuild may be in
// progress at a time.
func (e *Embedded) Rebuild(ctx context.Context) (Builder, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("search: rebuild: %w", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil, errClosed
	}
	if e.building != nil {
		return nil, errors.New("search: rebuild: another rebuild is in progress")
	}
	n := e.gen + 1
	idx, err := e.createGeneration(n)
	if err != nil {
		return nil, fmt.Errorf("search: rebuild: %w", err)
	}
	e.building = &embeddedBuilder{e: e, idx: idx, gen: n}
	return e.building, nil
}

// embeddedBuilder fills a new generation of an Embedded index.
type embeddedBuilder struct {
	e   *Embedded
	idx bleve.Index
	gen int
}

var errBuilderDone = errors.New("search: rebuild was already committed or aborted")

// Upsert adds documents to the new generation only.
func (b *embeddedBuilder) Upsert(ctx context.Context, docs ...Doc) error {
	if err := checkDocs(ctx, docs); err != nil {
		return fmt.Errorf("search: rebuild upsert: %w", err)
	}
	b.e.mu.RLock()
	defer b.e.mu.RUnlock()
	if b.e.building != b {
		return errBuilderDone
	}
	if err := writeDocs(b.idx, docs, nil); err != nil {
		return fmt.Errorf("search: rebuild upsert: %w", err)
	}
	return nil
}

// Commit makes the new generation live. Searches already running finish on
// the old generation, which is then closed and removed.
func (b *embeddedBuilder) Commit(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("search: rebuild commit: %w", err)
	}
	e := b.e
	// A fresh generation is many segments, one per batch and merges of
	// those: merged into one, a query reads one dictionary and one
	// posting list per term. Searches and writes go on meanwhile. (If
	// the builder is aborted or the index closed meanwhile, the merge
	// ends and the checks below say so.)
	if err := forceMerge(ctx, b.idx); err != nil {
		return fmt.Errorf("search: rebuild commit: merge: %w", err)
	}
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return errClosed
	}
	if e.building != b {
		e.mu.Unlock()
		return errBuilderDone
	}
	// Every batch written to b.idx has returned, and bleve returns only
	// once a batch is persisted, so the new generation is complete on
	// disk before CURRENT names it.
	if err := writeCurrent(e.dir, b.gen); err != nil {
		e.mu.Unlock()
		return fmt.Errorf("search: rebuild commit: %w", err)
	}
	old, oldGen := e.idx, e.gen
	e.idx, e.gen, e.building, e.stale = b.idx, b.gen, nil, false
	e.mu.Unlock()

	// Nothing uses the old generation any more. Failing to remove it is
	// not a failed commit: it is a stray that the next open removes.
	_ = old.Close()
	_ = os.RemoveAll(genDir(e.dir, oldGen))
	return nil
}

// Abort drops the new generation; the live one is untouched. Aborting a
// builder that was already committed or aborted does nothing, so Abort can
// be deferred.
func (b *embeddedBuilder) Abort(context.Context) error {
	e := b.e
	e.mu.Lock()
	if e.building != b {
		e.mu.Unlock()
		return nil
	}
	e.building = nil
	e.mu.Unlock()

	err := b.idx.Close()
	if rerr := os.RemoveAll(genDir(e.dir, b.gen)); err == nil {
		err = rerr
	}
	if err != nil {
		return fmt.Errorf("search: rebuild abort: %w", err)
	}
	return nil
}

// forceMerge merges the segments of idx into one, waiting until the
// merged segment is persisted.
func forceMerge(ctx context.Context, idx bleve.Index) error {
	ii, err := idx.Advanced()
	if err != nil {
		return err
	}
	s, ok := ii.(interface {
		ForceMerge(context.Context, *mergeplan.MergePlanOptions) error
	})
	if !ok {
		return nil
	}
	if err := s.ForceMerge(ctx, &mergeplan.SingleSegmentMergePlanOptions); err != nil {
		return err
	}
	return nil
}

// checkDocs rejects documents the index cannot key.
func checkDocs(ctx context.Context, docs []Doc) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for i, d := range docs {
		if d.ID == "" {
			return fmt.Errorf("document %d has no ID", i)
		}
	}
	return nil
}

// writeDocs indexes docs and deletes ids in batches of batchSize.
func writeDocs(idx bleve.Index, docs []Doc, ids []string) error {
	for len(docs) > 0 || len(ids) > 0 {
		batch := idx.NewBatch()
		for ; len(docs) > 0 && batch.Size() < batchSize; docs = docs[1:] {
			if err := batch.Index(docs[0].ID, indexable(docs[0])); err != nil {
				return fmt.Errorf("document %s: %w", docs[0].ID, err)
			}
		}
		for ; len(ids) > 0 && batch.Size() < batchSize; ids = ids[1:] {
			if ids[0] != "" {
				batch.Delete(ids[0])
			}
		}
		if batch.Size() == 0 {
			continue
		}
		if err := idx.Batch(batch); err != nil {
			return err
		}
	}
	return nil
}
