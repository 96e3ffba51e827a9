package resource_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/event"
	"github.com/crn-dev/crn/ent/user"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/database"
	"github.com/crn-dev/crn/internal/database/dbtest"
	"github.com/crn-dev/crn/internal/markup"
	"github.com/crn-dev/crn/internal/resource"
	"github.com/crn-dev/crn/internal/storage"
)

// world is a community to share resources in.
type world struct {
	t     *testing.T
	db    *database.DB
	s     *resource.Service
	dir   string // the disk store's root
	users map[string]*ent.User
}

func newWorld(t *testing.T, db *database.DB, limits resource.Limits) *world {
	t.Helper()
	dir := t.TempDir()
	store, err := storage.NewDisk(dir)
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, db: db, dir: dir, users: map[string]*ent.User{}}
	w.s = resource.New(db, store, markup.New(markup.Options{}), resource.Options{Limits: limits})
	for _, u := range []struct{ name, role string }{{"admin", "admin"}, {"mod", "moderator"}, {"alice", "member"}, {"bob", "member"}, {"carol", "member"}} {
		w.users[u.name] = db.Client.User.Create().SetUsername(u.name).SetUsernameKey(u.name).
			SetEmail(u.name + "@example.com").SetEmailKey(u.name + "@example.com").SetDisplayName(u.name).
			SetRole(user.Role(u.role)).SetPasswordHash("x").SaveX(context.Background())
	}
	return w
}

func (w *world) actor(name string) authz.Actor {
	if name == "" {
		return authz.Actor{}
	}
	return authz.ActorOf(w.users[name], nil)
}

func ptr[T any](v T) *T { return &v }

func (w *world) link(owner, title, url string) *resource.View {
	w.t.Helper()
	v, err := w.s.Create(context.Background(), w.actor(owner), resource.Input{Kind: ptr("link"), Title: ptr(title), URL: ptr(url)}, nil)
	if err != nil {
		w.t.Fatal(err)
	}
	return v
}

func (w *world) file(owner, title, name, content string) *resource.View {
	w.t.Helper()
	v, err := w.s.Create(context.Background(), w.actor(owner), resource.Input{Kind: ptr("file"), Title: ptr(title)},
		&resource.Upload{Filename: name, Body: strings.NewReader(content)})
	if err != nil {
		w.t.Fatal(err)
	}
	return v
}

func (w *world) download(who string, id, version int) (string, *resource.Download) {
	w.t.Helper()
	d, err := w.s.Download(context.Background(), w.actor(who), id, version, true)
	if err != nil {
		w.t.Fatal(err)
	}
	defer d.Object.Close()
	b, err := io.ReadAll(d.Object)
	if err != nil {
		w.t.Fatal(err)
	}
	return string(b), d
}

// stored lists the files in the store (blobs and temporaries).
func (w *world) stored() []string {
	var files []string
	_ = filepath.WalkDir(w.dir, func(p string, e os.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			files = append(files, strings.TrimPrefix(p, w.dir))
		}
		return err
	})
	return files
}

func (w *world) count(what string) int {
	ctx := context.Background()
	var n int
	var err error
	switch what {
	case "blobs":
		n, err = w.db.Client.Blob.Query().Count(ctx)
	case "resources":
		n, err = w.db.Client.Resource.Query().Count(ctx)
	case "versions":
		n, err = w.db.Client.ResourceVersion.Query().Count(ctx)
	}
	if err != nil {
		w.t.Fatal(err)
	}
	return n
}

func (w *world) events(typ string) []*ent.Event {
	return w.db.Client.Event.Query().Where(event.Type(typ)).Order(ent.Asc(event.FieldID)).AllX(context.Background())
}

func wantKind(t *testing.T, err error, k apperr.Kind) *apperr.Error {
	t.Helper()
	if !apperr.Is(err, k) {
		t.Fatalf("want %s, got %v", k, err)
	}
	return apperr.As(err)
}

func TestLinksAcceptOnlyHTTP(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db, resource.Limits{})
		ctx := context.Background()
		for _, bad := range []string{"javascript:alert(1)", "ftp://example.com/file", "data:text/html,hi", "/relative", "http://", "https://user:pw@example.com/"} {
			_, err := w.s.Create(ctx, w.actor("alice"), resource.Input{Kind: ptr("link"), Title: ptr("A link"), URL: ptr(bad)}, nil)
			if e := wantKind(t, err, apperr.KindUnprocessable); e.Fields["url"] == "" {
				t.Fatalf("%s: fields %v", bad, e.Fields)
			}
		}
		v := w.link("alice", "The Go spec", "https://go.dev/ref/spec")
		if v.URL != "https://go.dev/ref/spec" || v.Kind != "link" || v.Edges.Owner.Username != "alice" {
			t.Fatalf("link: %+v", v.Resource)
		}
		// Editing to a bad scheme is refused too.
		_, err := w.s.Update(ctx, w.actor("alice"), v.ID, resource.Input{URL: ptr("javascript:void(0)")})
		wantKind(t, err, apperr.KindUnprocessable)
		if w.count("resources") != 1 {
			t.Fatal("a refused link was stored")
		}
	})
}

func TestCreateValidatesEveryKind(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db, resource.Limits{})
		ctx := context.Background()
		a := w.actor("alice")
		cases := map[string]resource.Input{
			"kind":        {Kind: ptr("video"), Title: ptr("Video")},
			"title":       {Kind: ptr("guide"), Title: ptr("x"), Description: ptr("text")},
			"description": {Kind: ptr("guide"), Title: ptr("A guide")},
			"file":        {Kind: ptr("file"), Title: ptr("A file")},
			"tags":        {Kind: ptr("guide"), Title: ptr("A guide"), Description: ptr("text"), Tags: ptr([]string{"no spaces allowed"})},
			"visibility":  {Kind: ptr("guide"), Title: ptr("A guide"), Description: ptr("text"), Visibility: ptr("secret")},
		}
		for field, in := range cases {
			_, err := w.s.Create(ctx, a, in, nil)
			if e := wantKind(t, err, apperr.KindUnprocessable); e.Fields[field] == "" {
				t.Errorf("%s: fields %v", field, e.Fields)
			}
		}
		_, err := w.s.Create(ctx, authz.Actor{}, resource.Input{Kind: ptr("guide"), Title: ptr("A guide"), Description: ptr("x")}, nil)
		wantKind(t, err, apperr.KindUnauthenticated)

		g, err := w.s.Create(ctx, a, resource.Input{Kind: ptr("guide"), Title: ptr("Onboarding"),
			Description: ptr("# Start\n\n<script>alert(1)</script> **bold**"), Tags: ptr([]string{"#Howto", "howto", "setup"})}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(g.DescriptionHTML, "<script") || !strings.Contains(g.DescriptionHTML, "<strong>bold</strong>") {
			t.Fatalf("description html: %s", g.DescriptionHTML)
		}
		if strings.Join(g.Tags, ",") != "howto,setup" {
			t.Fatalf("tags: %v", g.Tags)
		}
		evs := w.events("resource.created")
		if len(evs) != 1 || *evs[0].ActorID != w.users["alice"].ID || evs[0].Visibility != "public" || evs[0].Payload["kind"] != "guide" {
			t.Fatalf("events: %+v", evs)
		}
	})
}

func TestFileVersionsDownloadsAndEvents(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db, resource.Limits{})
		ctx := context.Background()
		r := w.file("alice", "Price list", "../../etc/passwd", "version one\n")
		if r.Latest == nil || r.Latest.Number != 1 || r.Latest.Filename != "passwd" || r.Latest.ContentType != "text/plain; charset=utf-8" {
			t.Fatalf("latest: %+v", r.Latest)
		}
		v2, err := w.s.AddVersion(ctx, w.actor("alice"), r.ID, &resource.Upload{Filename: `C:\Users\a\prices.csv`, Body: strings.NewReader("version two\n"), Note: "new prices"})
		if err != nil {
			t.Fatal(err)
		}
		if v2.Number != 2 || v2.Filename != "prices.csv" || v2.Note != "new prices" {
			t.Fatalf("v2: %+v", v2)
		}
		// Others may not upload versions.
		_, err = w.s.AddVersion(ctx, w.actor("bob"), r.ID, &resource.Upload{Filename: "x", Body: strings.NewReader("evil")})
		wantKind(t, err, apperr.KindForbidden)

		if got, d := w.download("bob", r.ID, 0); got != "version two\n" || d.Version.Number != 2 {
			t.Fatalf("latest download: %q", got)
		}
		if got, _ := w.download("", r.ID, 1); got != "version one\n" {
			t.Fatalf("v1 download: %q", got)
		}
		_, err = w.s.Download(ctx, w.actor("bob"), r.ID, 3, true)
		wantKind(t, err, apperr.KindNotFound)
		// A download that is not counted (a later ranged request) changes nothing.
		d, err := w.s.Download(ctx, w.actor("bob"), r.ID, 0, false)
		if err != nil {
			t.Fatal(err)
		}
		_ = d.Object.Close()

		got, err := w.s.Get(ctx, w.actor("bob"), r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.DownloadCount != 2 || got.VersionCount != 2 || got.Latest.Number != 2 {
			t.Fatalf("after downloads: %+v", got.Resource)
		}
		// The guest's download counts but records no event.
		dl := w.events("resource.downloaded")
		if len(dl) != 1 || *dl[0].ActorID != w.users["bob"].ID || *dl[0].UserID != w.users["alice"].ID || dl[0].Payload["version"] != float64(2) {
			t.Fatalf("downloaded events: %+v", dl)
		}
		if va := w.events("resource.version_added"); len(va) != 2 || va[1].Payload["version"] != float64(2) {
			t.Fatalf("version events: %+v", va)
		}
		vs, err := w.s.Versions(ctx, w.actor("bob"), r.ID)
		if err != nil || len(vs) != 2 || vs[0].Number != 2 {
			t.Fatalf("versions: %v %v", vs, err)
		}
		// Links have nothing to download and no versions.
		l := w.link("alice", "A link", "https://example.com")
		_, err = w.s.Download(ctx, w.actor("bob"), l.ID, 0, true)
		wantKind(t, err, apperr.KindNotFound)
		_, err = w.s.AddVersion(ctx, w.actor("alice"), l.ID, &resource.Upload{Filename: "x", Body: strings.NewReader("x")})
		wantKind(t, err, apperr.KindUnprocessable)
	})
}

func TestIdenticalContentIsStoredOnce(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db, resource.Limits{})
		a := w.file("alice", "Report", "a.pdf", "%PDF-1.4 same content")
		b := w.file("bob", "Same report", "b.pdf", "%PDF-1.4 same content")
		if w.count("blobs") != 1 || w.count("versions") != 2 || len(w.stored()) != 1 {
			t.Fatalf("blobs %d versions %d files %v", w.count("blobs"), w.count("versions"), w.stored())
		}
		if a.Latest.ContentType != "application/pdf" || b.Latest.Filename != "b.pdf" {
			t.Fatalf("versions: %+v %+v", a.Latest, b.Latest)
		}
	})
}

func TestFailedUploadsStoreNothing(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		limits := resource.DefaultLimits
		limits.UploadMax = 1000
		w := newWorld(t, db, limits)
		ctx := context.Background()
		in := resource.Input{Kind: ptr("file"), Title: ptr("Big file")}

		_, err := w.s.Create(ctx, w.actor("alice"), in, &resource.Upload{Filename: "big.bin", Body: bytes.NewReader(make([]byte, 1001))})
		if e := wantKind(t, err, apperr.KindTooLarge); e.Code != "file_too_large" {
			t.Fatalf("code %s", e.Code)
		}
		broken := io.MultiReader(strings.NewReader("half a file"), errReader{errors.New("connection reset")})
		_, err = w.s.Create(ctx, w.actor("alice"), in, &resource.Upload{Filename: "cut.bin", Body: broken})
		if e := wantKind(t, err, apperr.KindInvalid); e.Code != "upload_incomplete" {
			t.Fatalf("code %s", e.Code)
		}
		// Invalid metadata is refused before a byte is stored.
		_, err = w.s.Create(ctx, w.actor("alice"), resource.Input{Kind: ptr("file")}, &resource.Upload{Filename: "x", Body: strings.NewReader("x")})
		wantKind(t, err, apperr.KindUnprocessable)
		if w.count("blobs") != 0 || w.count("resources") != 0 || w.count("versions") != 0 || len(w.stored()) != 0 {
			t.Fatalf("left behind: blobs %d resources %d files %v", w.count("blobs"), w.count("resources"), w.stored())
		}
		if n := len(w.events("resource.created")); n != 0 {
			t.Fatalf("%d events", n)
		}

		// Exactly at the limit is fine.
		w.file("alice", "Just fits", "fits.bin", strings.Repeat("x", 1000))
	})
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

func TestConcurrentVersionsGetUniqueNumbers(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db, resource.Limits{})
		r := w.file("alice", "Busy file", "v1.txt", "v1")
		const n = 4
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = w.s.AddVersion(context.Background(), w.actor("alice"), r.ID,
					&resource.Upload{Filename: "v.txt", Body: strings.NewReader(strings.Repeat("v", i+2))})
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		vs, err := w.s.Versions(context.Background(), w.actor("bob"), r.ID)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[int]bool{}
		for _, v := range vs {
			seen[v.Number] = true
		}
		if len(vs) != n+1 || len(seen) != n+1 || !seen[n+1] {
			t.Fatalf("versions: %d, numbers %v", len(vs), seen)
		}
		if got, _ := w.s.Get(context.Background(), w.actor("bob"), r.ID); got.VersionCount != n+1 {
			t.Fatalf("version count %d", got.VersionCount)
		}
	})
}

func TestRatings(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db, resource.Limits{})
		ctx := context.Background()
		r := w.link("alice", "Useful link", "https://example.com")
		for _, bad := range []int{0, 6, -1} {
			_, err := w.s.Rate(ctx, w.actor("bob"), r.ID, bad)
			wantKind(t, err, apperr.KindUnprocessable)
		}
		_, err := w.s.Rate(ctx, w.actor("alice"), r.ID, 5)
		wantKind(t, err, apperr.KindForbidden)
		_, err = w.s.Rate(ctx, authz.Actor{}, r.ID, 5)
		wantKind(t, err, apperr.KindUnauthenticated)

		if _, err := w.s.Rate(ctx, w.actor("bob"), r.ID, 4); err != nil {
			t.Fatal(err)
		}
		v, err := w.s.Rate(ctx, w.actor("carol"), r.ID, 5)
		if err != nil {
			t.Fatal(err)
		}
		if v.RatingCount != 2 || v.RatingMilli != 4500 || v.MyRating != 5 {
			t.Fatalf("after two ratings: count %d milli %d mine %d", v.RatingCount, v.RatingMilli, v.MyRating)
		}
		// Bob changes his mind: still two ratings.
		v, err = w.s.Rate(ctx, w.actor("bob"), r.ID, 1)
		if err != nil {
			t.Fatal(err)
		}
		if v.RatingCount != 2 || v.RatingSum != 6 || v.RatingMilli != 3000 || v.MyRating != 1 {
			t.Fatalf("after a change: %+v", v.Resource)
		}
		evs := w.events("resource.rated")
		if len(evs) != 3 || evs[2].Payload["stars"] != float64(1) || evs[2].Payload["previous"] != float64(4) || *evs[2].UserID != w.users["alice"].ID {
			t.Fatalf("rated events: %+v", evs)
		}
	})
}

func TestVisibilityGroupsAndModeration(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db, resource.Limits{})
		ctx := context.Background()
		pub := w.link("alice", "Public link", "https://example.com/a")
		members, err := w.s.Create(ctx, w.actor("alice"), resource.Input{Kind: ptr("link"), Title: ptr("Members link"),
			URL: ptr("https://example.com/b"), Visibility: ptr("members")}, nil)
		if err != nil {
			t.Fatal(err)
		}
		// Without the group feature only admins may share into or see a group.
		_, err = w.s.Create(ctx, w.actor("alice"), resource.Input{Kind: ptr("link"), Title: ptr("Group link"), URL: ptr("https://example.com/c"), GroupID: ptr(7)}, nil)
		wantKind(t, err, apperr.KindForbidden)
		grouped, err := w.s.Create(ctx, w.actor("admin"), resource.Input{Kind: ptr("link"), Title: ptr("Group link"), URL: ptr("https://example.com/c"), GroupID: ptr(7)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if evs := w.events("resource.created"); evs[1].Visibility != "members" || evs[2].Visibility != "group:7" {
			t.Fatalf("visibilities: %s %s", evs[1].Visibility, evs[2].Visibility)
		}

		titles := func(who string) string {
			p, err := w.s.List(ctx, w.actor(who), resource.ListQuery{})
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, v := range p.Resources {
				out = append(out, v.Title)
			}
			return strings.Join(out, ",")
		}
		if got := titles(""); got != "Public link" {
			t.Fatalf("guest sees %s", got)
		}
		if got := titles("bob"); got != "Members link,Public link" {
			t.Fatalf("member sees %s", got)
		}
		if got := titles("admin"); got != "Group link,Members link,Public link" {
			t.Fatalf("admin sees %s", got)
		}
		_, err = w.s.Get(ctx, authz.Actor{}, members.ID)
		wantKind(t, err, apperr.KindNotFound)
		_, err = w.s.Get(ctx, w.actor("bob"), grouped.ID)
		wantKind(t, err, apperr.KindNotFound)

		// Non-owners may not edit or delete; the owner and moderators may.
		_, err = w.s.Update(ctx, w.actor("bob"), pub.ID, resource.Input{Title: ptr("Hijacked")})
		wantKind(t, err, apperr.KindForbidden)
		wantKind(t, w.s.Delete(ctx, w.actor("bob"), pub.ID), apperr.KindForbidden)
		v, err := w.s.Update(ctx, w.actor("alice"), pub.ID, resource.Input{Title: ptr("Public link, renamed"), Tags: ptr([]string{"go"})})
		if err != nil || v.Title != "Public link, renamed" || v.Tags[0] != "go" {
			t.Fatalf("update: %v %v", v, err)
		}
		if ev := w.events("resource.updated"); len(ev) != 1 || len(ev[0].Payload["changes"].([]any)) != 2 {
			t.Fatalf("updated events: %+v", ev)
		}
		if err := w.s.Delete(ctx, w.actor("alice"), pub.ID); err != nil {
			t.Fatal(err)
		}
		_, err = w.s.Get(ctx, w.actor("bob"), pub.ID)
		wantKind(t, err, apperr.KindNotFound)
		_, err = w.s.Restore(ctx, w.actor("alice"), pub.ID)
		wantKind(t, err, apperr.KindNotFound) // the owner no longer sees it
		deleted, err := w.s.List(ctx, w.actor("mod"), resource.ListQuery{Deleted: true})
		if err != nil || len(deleted.Resources) != 1 || deleted.Resources[0].ID != pub.ID {
			t.Fatalf("deleted listing: %v %v", deleted, err)
		}
		_, err = w.s.List(ctx, w.actor("bob"), resource.ListQuery{Deleted: true})
		wantKind(t, err, apperr.KindUnprocessable)
		if _, err := w.s.Restore(ctx, w.actor("mod"), pub.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := w.s.Get(ctx, w.actor("bob"), pub.ID); err != nil {
			t.Fatal(err)
		}
		if len(w.events("resource.deleted")) != 1 || len(w.events("resource.restored")) != 1 {
			t.Fatal("delete and restore events missing")
		}
	})
}

func TestListFiltersSortsAndPages(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db, resource.Limits{})
		ctx := context.Background()
		var ids []int
		for i, owner := range []string{"alice", "bob", "alice", "carol", "bob"} {
			r := w.file(owner, "File number "+string(rune('A'+i)), "f.txt", strings.Repeat("x", i+1))
			ids = append(ids, r.ID)
			for range i % 3 {
				w.download("mod", r.ID, 0)
			}
		}
		w.link("carol", "A link", "https://example.com")
		if err := w.s.Bookmark(ctx, w.actor("bob"), ids[3], true); err != nil {
			t.Fatal(err)
		}
		// Downloads: 0,1,2,0,1 → order by downloads desc, id desc.
		var got []int
		cursor := ""
		for {
			p, err := w.s.List(ctx, w.actor("bob"), resource.ListQuery{Kind: "file", Sort: "downloads", Limit: 2, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range p.Resources {
				got = append(got, v.ID)
			}
			if cursor = p.Next; cursor == "" {
				break
			}
		}
		want := []int{ids[2], ids[4], ids[1], ids[3], ids[0]}
		if len(got) != len(want) {
			t.Fatalf("got %v want %v", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("got %v want %v", got, want)
			}
		}
		p, err := w.s.List(ctx, w.actor("bob"), resource.ListQuery{Owner: "ALICE"})
		if err != nil || len(p.Resources) != 2 {
			t.Fatalf("by owner: %v", err)
		}
		p, err = w.s.List(ctx, w.actor("bob"), resource.ListQuery{Bookmarked: true})
		if err != nil || len(p.Resources) != 1 || p.Resources[0].ID != ids[3] || !p.Resources[0].Bookmarked {
			t.Fatalf("bookmarks: %v", err)
		}
		_, err = w.s.List(ctx, w.actor("bob"), resource.ListQuery{Sort: "newest", Cursor: "garbage"})
		wantKind(t, err, apperr.KindInvalid)
		_, err = w.s.List(ctx, w.actor("bob"), resource.ListQuery{Sort: "popular"})
		wantKind(t, err, apperr.KindUnprocessable)
	})
}
