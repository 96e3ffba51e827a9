package app

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/config"
	"github.com/crn-dev/crn/internal/event"
	"github.com/crn-dev/crn/internal/forum"
	"github.com/crn-dev/crn/internal/httpapi"
	"github.com/crn-dev/crn/internal/resource"
	"github.com/crn-dev/crn/internal/storage"
)

// openStore opens the blob store the configuration names. An unreachable
// S3 service does not stop the start: uploads and downloads fail (503) and
// /readyz names it until it answers.
func openStore(ctx context.Context, cfg config.Config, log *slog.Logger) (storage.Store, error) {
	if cfg.Storage == "s3" {
		s, err := storage.NewS3(storage.S3Options{
			Endpoint: cfg.S3.Endpoint, Bucket: cfg.S3.Bucket, AccessKey: cfg.S3.AccessKey, SecretKey: cfg.S3.SecretKey,
			Region: cfg.S3.Region, UseSSL: cfg.S3.UseSSL, Prefix: cfg.S3.Prefix,
		})
		if err != nil {
			return nil, fmt.Errorf("CRN_STORAGE=s3: %w", err)
		}
		if err := s.EnsureBucket(ctx); err != nil {
			log.Warn("object storage unavailable; file uploads and downloads fail until it answers", "err", err)
		}
		return s, nil
	}
	d, err := storage.NewDisk(cfg.UploadRoot())
	if err != nil {
		return nil, fmt.Errorf("CRN_UPLOAD_DIR: %w", err)
	}
	return d, nil
}

// forumDiscussions opens resource discussions as topics of the forum
// service: in the forum <slug> for public resources and <slug>-members for
// members-only ones, each created on demand (public or members-only, topics
// open to everyone signed in) and found again by slug afterwards.
type forumDiscussions struct {
	forums *forum.Service
	slug   string

	mu  sync.Mutex
	ids map[string]int // forum ids by slug, once found
}

func newForumDiscussions(forums *forum.Service, slug string) *forumDiscussions {
	return &forumDiscussions{forums: forums, slug: slug, ids: map[string]int{}}
}

// system is the actor that creates the resources forums: a nameless admin.
var system = authz.Actor{Role: "admin", Status: "active"}

// Start implements resource.Discussions.
func (d *forumDiscussions) Start(ctx context.Context, owner authz.Actor, visibility, title, body string) (int, error) {
	slug, name, read := d.place(visibility)
	forumID, err := d.forum(ctx, slug, name, read)
	if err != nil {
		return 0, err
	}
	if max := d.forums.Limits().TitleMax; utf8.RuneCountInString(title) > max {
		title = string([]rune(title)[:max-1]) + "…"
	}
	t, _, err := d.forums.CreateTopic(ctx, owner, forumID, forum.TopicInput{Title: title, Body: body})
	if apperr.Is(err, apperr.KindNotFound) {
		// The forum went away (an admin deleted it): find or create it anew next time.
		d.mu.Lock()
		delete(d.ids, slug)
		d.mu.Unlock()
	}
	if err != nil {
		return 0, err
	}
	return t.ID, nil
}

// Move implements resource.Discussions. Moving topics is a moderator's
// action in the forum service; the change is the resource's owner's (or a
// moderator's) to make, so it runs as them with the admin role.
func (d *forumDiscussions) Move(ctx context.Context, a authz.Actor, topicID int, visibility string) error {
	slug, name, read := d.place(visibility)
	forumID, err := d.forum(ctx, slug, name, read)
	if err != nil {
		return err
	}
	mover := authz.Actor{ID: a.ID, Role: "admin", Status: "active"}
	_, err = d.forums.UpdateTopic(ctx, mover, topicID, forum.TopicPatch{ForumID: &forumID})
	return err
}

// place names the resources forum of a visibility: slug, name, read visibility.
func (d *forumDiscussions) place(visibility string) (string, string, string) {
	if visibility == "members" {
		return d.slug + "-members", "Resources (members)", "members"
	}
	return d.slug, "Resources", "public"
}

func (d *forumDiscussions) forum(ctx context.Context, slug, name, read string) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if id, ok := d.ids[slug]; ok {
		return id, nil
	}
	for attempt := 0; attempt < 2; attempt++ {
		fs, err := d.forums.Forums(ctx, system)
		if err != nil {
			return 0, err
		}
		for _, f := range fs {
			if f.Slug == slug {
				d.ids[slug] = f.ID
				return f.ID, nil
			}
		}
		desc := "Discussions of the resources members share."
		f, err := d.forums.CreateForum(ctx, system, forum.ForumInput{Name: &name, Slug: &slug, Description: &desc, ReadVisibility: &read})
		switch {
		case apperr.Is(err, apperr.KindConflict) && strings.Contains(apperr.As(err).Code, "slug"):
			continue // another node created it (or a deleted forum holds the slug): look again
		case apperr.Is(err, apperr.KindNotFound):
			// Created, but a nameless actor counts as a guest when the forum
			// is read back, and guests do not see members-only forums.
			continue
		}
		if err != nil {
			return 0, err
		}
		d.ids[slug] = f.ID
		return f.ID, nil
	}
	return 0, fmt.Errorf("resources forum %q: its slug is taken by a deleted forum; restore it or set CRN_RESOURCES_FORUM", slug)
}

// buildResources opens the blob store and builds the resource service on
// the clock now (nil: the real one); the returned check is the store's, for
// /readyz.
func (a *App) buildResources(ctx context.Context, renderer resource.Renderer, committed func(), now func() time.Time) (httpapi.Check, error) {
	store, err := openStore(ctx, a.Config, a.Log)
	if err != nil {
		return httpapi.Check{}, err
	}
	a.Store = store
	opts := resource.Options{Limits: resource.DefaultLimits, Committed: committed, Now: now, Log: a.Log, Groups: a.Groups.ContentAccess()}
	opts.Limits.UploadMax = a.Config.UploadMaxBytes
	if a.Config.ResourcesForum != "" {
		opts.Discussions = newForumDiscussions(a.Forums, a.Config.ResourcesForum)
	}
	a.Resources = resource.New(a.DB, store, renderer, opts)
	return httpapi.Check{Name: "storage", Ping: store.Ping}, nil
}

// moderatedResources gives moderation the resource service once it exists:
// resources need their storage, opened only to serve, while moderation is
// built for every command. Until then no resource can be flagged or hidden.
type moderatedResources struct{ s *resource.Service }

func (m *moderatedResources) ModerationTarget(ctx context.Context, a authz.Actor, id int) (*ent.Resource, error) {
	if m.s == nil {
		return nil, apperr.NotFound("resource_not_found", "no such resource")
	}
	return m.s.ModerationTarget(ctx, a, id)
}

func (m *moderatedResources) SetHidden(ctx context.Context, tx *ent.Tx, actorID, id int, hidden bool, reason string) ([]event.Event, error) {
	if m.s == nil {
		return nil, apperr.NotFound("resource_not_found", "no such resource")
	}
	return m.s.SetHidden(ctx, tx, actorID, id, hidden, reason)
}
