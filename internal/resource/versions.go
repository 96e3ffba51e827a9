package resource

import (
	"context"
	"errors"
	"strings"
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/resource"
	"github.com/crn-dev/crn/ent/resourceversion"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/event"
	"github.com/crn-dev/crn/internal/storage"
)

// storedUpload is an upload whose bytes are in the store, waiting for the
// transaction that records it.
type storedUpload struct {
	blob     storage.Blob
	filename string
	note     string
}

func (s *Service) storeUpload(ctx context.Context, up *Upload) (*storedUpload, error) {
	b, err := s.put(ctx, up)
	if err != nil {
		return nil, err
	}
	return &storedUpload{blob: b, filename: cleanFilename(up.Filename, s.limits.FilenameMax), note: strings.TrimSpace(up.Note)}, nil
}

// addVersion records version number of r in tx.
func (s *Service) addVersion(ctx context.Context, tx *ent.Tx, r *ent.Resource, a authz.Actor, number int, up *storedUpload) (*ent.ResourceVersion, error) {
	blobID, err := saveBlob(ctx, tx, up.blob)
	if err != nil {
		return nil, err
	}
	return tx.ResourceVersion.Create().SetResourceID(r.ID).SetNumber(number).SetBlobID(blobID).SetUserID(a.ID).
		SetFilename(up.filename).SetContentType(up.blob.ContentType).SetSize(up.blob.Size).SetNote(up.note).
		SetCreatedAt(s.now()).Save(ctx)
}

func versionEvent(a authz.Actor, r *ent.Resource, v *ent.ResourceVersion) event.Event {
	return event.Event{Type: event.ResourceVersionAdded, ActorID: a.ID, UserID: r.UserID, Visibility: visibility(r), GroupID: groupOf(r),
		Payload: map[string]any{"resource_id": r.ID, "version": v.Number, "filename": v.Filename, "size": v.Size,
			"content_type": v.ContentType, "title": r.Title}}
}

// AddVersion uploads a new version of a file resource: its owner or a
// resource moderator. Earlier versions stay downloadable. Concurrent uploads
// each get their own number.
func (s *Service) AddVersion(ctx context.Context, a authz.Actor, id int, up *Upload) (*ent.ResourceVersion, error) {
	r, err := s.load(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if !authz.CanEditResource(a, r) || r.DeletedAt != nil {
		return nil, forbidden(a, "not_owner", "only the owner or a moderator may upload versions of this resource")
	}
	if r.Kind != resource.KindFile {
		return nil, apperr.Validation(map[string]string{"file": "only file resources have versions"})
	}
	if up == nil {
		return nil, apperr.Validation(map[string]string{"file": "is required: send the version as a multipart part named file"})
	}
	if problems := s.checkNote(up.Note); problems != nil {
		return nil, apperr.Validation(problems)
	}
	stored, err := s.storeUpload(ctx, up)
	if err != nil {
		return nil, err
	}
	var v *ent.ResourceVersion
	err = s.tx(ctx, "add version", func(tx *ent.Tx) ([]event.Event, error) {
		// The increment takes the row's write lock, so concurrent uploads
		// queue here and each reads its own number.
		updated, err := tx.Resource.UpdateOneID(id).Where(resource.DeletedAtIsNil()).AddVersionCount(1).Save(ctx)
		if ent.IsNotFound(err) {
			return nil, notFound()
		}
		if err != nil {
			return nil, err
		}
		if v, err = s.addVersion(ctx, tx, updated, a, updated.VersionCount, stored); err != nil {
			return nil, err
		}
		return []event.Event{versionEvent(a, updated, v)}, nil
	})
	if err != nil {
		s.discard(stored.blob)
		return nil, err
	}
	return v, nil
}

// Versions lists a file resource's versions, newest first.
func (s *Service) Versions(ctx context.Context, a authz.Actor, id int) ([]*ent.ResourceVersion, error) {
	if _, err := s.load(ctx, a, id); err != nil {
		return nil, err
	}
	vs, err := s.db.ResourceVersion.Query().Where(resourceversion.ResourceID(id)).
		Order(ent.Desc(resourceversion.FieldNumber)).Limit(s.limits.VersionsShown).All(ctx)
	if err != nil {
		return nil, apperr.Internal("list versions", err)
	}
	return vs, nil
}

// Download is an open version of a file resource.
type Download struct {
	Resource *ent.Resource
	Version  *ent.ResourceVersion
	SHA256   string
	Object   storage.Object // the caller closes it
	Modified time.Time
}

// Download opens version (0: the latest) of a file resource for reading.
// count says whether this is a download to count (the transport decides:
// not every ranged request of one download); a counted download of a
// signed-in member records resource.downloaded.
func (s *Service) Download(ctx context.Context, a authz.Actor, id, version int, count bool) (*Download, error) {
	r, err := s.load(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if r.Kind != resource.KindFile {
		return nil, apperr.NotFound("no_file", "only file resources have something to download")
	}
	if version < 0 {
		return nil, apperr.Validation(map[string]string{"version": "must be a version number"})
	}
	if version == 0 {
		version = r.VersionCount
	}
	v, err := s.db.ResourceVersion.Query().
		Where(resourceversion.ResourceID(id), resourceversion.Number(version)).WithBlob().Only(ctx)
	if ent.IsNotFound(err) {
		return nil, apperr.NotFound("version_not_found", "no such version")
	}
	if err != nil {
		return nil, apperr.Internal("get version", err)
	}
	obj, err := s.store.Open(ctx, v.Edges.Blob.Sha256)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, apperr.Internal("open blob", err) // the row says it is there
	}
	if err != nil {
		return nil, apperr.Unavailable("storage_unavailable", "file storage is unavailable, try again later", err)
	}
	if count {
		if err := s.countDownload(ctx, a, r, version); err != nil {
			_ = obj.Close()
			return nil, err
		}
	}
	return &Download{Resource: r, Version: v, SHA256: v.Edges.Blob.Sha256, Object: obj, Modified: v.CreatedAt}, nil
}

// countDownload adds one to the counter in one UPDATE, and for members
// records who downloaded whose resource (the relationship graph feeds on it).
func (s *Service) countDownload(ctx context.Context, a authz.Actor, r *ent.Resource, version int) error {
	return s.tx(ctx, "count download", func(tx *ent.Tx) ([]event.Event, error) {
		if err := s.bump(ctx, tx, r.ID, func(u *sql.UpdateBuilder) { u.Add(resource.FieldDownloadCount, 1) }); err != nil {
			return nil, err
		}
		if a.Guest() {
			return nil, nil
		}
		return []event.Event{{Type: event.ResourceDownloaded, ActorID: a.ID, UserID: r.UserID, Visibility: visibility(r),
			Payload: map[string]any{"resource_id": r.ID, "version": version}}}, nil
	})
}
