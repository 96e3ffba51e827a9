package resource

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/blob"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/storage"
)

// Upload is one file a client sends: its name (a label only; contents are
// stored by hash), the stream of its bytes and an optional version note.
type Upload struct {
	Filename string
	Body     io.Reader
	Note     string
}

// readTracker remembers the first error reading the client's stream, to
// tell a broken upload (the client's fault) from a failing backend.
type readTracker struct {
	r   io.Reader
	err error
}

func (t *readTracker) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) && t.err == nil {
		t.err = err
	}
	return n, err
}

// put streams an upload into the store. Nothing is kept when it fails.
func (s *Service) put(ctx context.Context, up *Upload) (storage.Blob, error) {
	rt := &readTracker{r: up.Body}
	b, err := s.store.Put(ctx, rt, s.limits.UploadMax)
	switch {
	case err == nil:
		return b, nil
	case errors.Is(err, storage.ErrTooLarge):
		return storage.Blob{}, apperr.TooLarge("file_too_large", fmt.Sprintf("the file is larger than the limit of %d bytes", s.limits.UploadMax))
	case rt.err != nil:
		if e := apperr.As(rt.err); e != nil {
			return storage.Blob{}, e
		}
		return storage.Blob{}, apperr.Invalid("upload_incomplete", "the upload ended before the file was complete; nothing was stored").WithCause(rt.err)
	case ctx.Err() != nil:
		return storage.Blob{}, apperr.Invalid("upload_incomplete", "the upload was cancelled; nothing was stored").WithCause(ctx.Err())
	}
	return storage.Blob{}, apperr.Unavailable("storage_unavailable", "file storage is unavailable, try again later", err)
}

// saveBlob records the blob row of b in tx (one row per content) and
// returns its id.
func saveBlob(ctx context.Context, tx *ent.Tx, b storage.Blob) (int, error) {
	err := tx.Blob.Create().SetSha256(b.Key).SetSize(b.Size).SetContentType(b.ContentType).
		OnConflictColumns(blob.FieldSha256).Ignore().Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("save blob: %w", err)
	}
	return tx.Blob.Query().Where(blob.Sha256(b.Key)).OnlyID(ctx)
}

// discard removes a freshly stored blob whose transaction failed, unless it
// was stored already or a committed row refers to it by now.
//
// One race remains: if another upload of the very same content stored it
// (finding it present) and has not committed its row yet, this removes the
// bytes under it. It needs a failed transaction and a first-time identical
// upload within milliseconds; a blob GC that re-uploads would close it.
func (s *Service) discard(b storage.Blob) {
	if b.Existed || b.Key == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	used, err := s.db.Blob.Query().Where(blob.Sha256(b.Key)).Exist(ctx)
	if err != nil || used {
		return
	}
	if err := s.store.Delete(ctx, b.Key); err != nil {
		s.log.Warn("removing an unused blob", "sha256", b.Key, "err", err)
	}
}
