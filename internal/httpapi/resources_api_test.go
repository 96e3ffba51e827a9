package httpapi_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/crn-dev/crn/ent/user"
	"github.com/crn-dev/crn/internal/account"
	"github.com/crn-dev/crn/internal/config"
	"github.com/crn-dev/crn/internal/database"
	"github.com/crn-dev/crn/internal/database/dbtest"
	"github.com/crn-dev/crn/internal/forum"
	"github.com/crn-dev/crn/internal/httpapi"
	"github.com/crn-dev/crn/internal/markup"
	"github.com/crn-dev/crn/internal/notify"
	"github.com/crn-dev/crn/internal/ratelimit"
	"github.com/crn-dev/crn/internal/resource"
	"github.com/crn-dev/crn/internal/storage"
)

// resEnv is the real router with the resource service on a disk store. It
// counts finished requests, so a test can wait for the server to be done
// with a request whose client went away.
type resEnv struct {
	*env
	dir      string
	finished chan string
}

func newResEnv(t *testing.T, db *database.DB, uploadMax int64) *resEnv {
	t.Helper()
	cfg := config.Default()
	acc, err := account.New(db.Client, database.IsUnique, account.Options{
		SessionTTL: time.Hour, PasswordMinLen: 8, SignupEnabled: true,
		Hash: account.HashParams{MemoryKiB: 64, Time: 1, Threads: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	r := markup.New(markup.Options{})
	dir := t.TempDir()
	store, err := storage.NewDisk(dir)
	if err != nil {
		t.Fatal(err)
	}
	limits := resource.DefaultLimits
	limits.UploadMax = uploadMax
	d := httpapi.Deps{
		Config:        cfg,
		Log:           slog.New(slog.DiscardHandler),
		Accounts:      acc,
		Forums:        forum.New(db, r, forum.Options{}),
		Resources:     resource.New(db, store, r, resource.Options{Limits: limits}),
		Notifications: notify.NewService(db.Client),
		AuthLimiter:   ratelimit.NewMemory(1000, 1000, nil),
		Registry:      prometheus.NewRegistry(),
	}
	h := httpapi.New(d)
	finished := make(chan string, 100)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		defer func() { finished <- req.Method + " " + req.URL.Path }()
		h.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	return &resEnv{env: &env{t: t, srv: srv, db: db}, dir: dir, finished: finished}
}

// drain forgets the requests finished so far.
func (e *resEnv) drain() {
	for {
		select {
		case <-e.finished:
		default:
			return
		}
	}
}

// part is one multipart part: a field, or a file when filename is set.
type part struct {
	name, value, filename, contentType string
}

func multipartBody(t *testing.T, parts ...part) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		disp := fmt.Sprintf(`form-data; name=%q`, p.name)
		if p.filename != "" {
			disp += fmt.Sprintf(`; filename=%q`, p.filename)
		}
		h.Set("Content-Disposition", disp)
		if p.contentType != "" {
			h.Set("Content-Type", p.contentType)
		}
		w, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write([]byte(p.value))
	}
	_ = mw.Close()
	return mw.FormDataContentType(), buf.Bytes()
}

// send makes a request with any content type and extra headers.
func (c *client) send(method, path, contentType string, body []byte, headers ...string) response {
	c.e.t.Helper()
	req, err := http.NewRequest(method, c.e.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		c.e.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := c.hc.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, body: b}
}

func (c *client) upload(path string, status int, parts ...part) response {
	c.e.t.Helper()
	ct, body := multipartBody(c.e.t, parts...)
	r := c.send("POST", path, ct, body)
	if r.status != status {
		c.e.t.Fatalf("POST %s: status %d, want %d: %s", path, r.status, status, r.body)
	}
	return r
}

// leftovers counts what an upload may leave behind: blob rows, resource and
// version rows, and files in the store (blobs and temporaries).
func (e *resEnv) leftovers() string {
	ctx := context.Background()
	blobs := e.db.Client.Blob.Query().CountX(ctx)
	resources := e.db.Client.Resource.Query().CountX(ctx)
	versions := e.db.Client.ResourceVersion.Query().CountX(ctx)
	var files []string
	_ = filepath.WalkDir(e.dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, strings.TrimPrefix(p, e.dir))
		}
		return err
	})
	return fmt.Sprintf("blobs=%d resources=%d versions=%d files=%v", blobs, resources, versions, files)
}

const nothingStored = "blobs=0 resources=0 versions=0 files=[]"

func TestResourceFilesOverHTTP(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		e := newResEnv(t, db, 1<<20)
		alice, _ := e.signup("alice")
		bob, _ := e.signup("bob")

		// A text file named .png and sent as image/png is text.
		r := alice.upload("/api/v1/resources", http.StatusCreated,
			part{name: "title", value: "Not a picture"}, part{name: "tags", value: "docs, howto"},
			part{name: "description", value: "Read **me**"},
			part{name: "file", filename: "../../etc/passwd.png", contentType: "image/png", value: "just text, honestly\n"})
		m := r.json(t)
		id := num(t, m, "id")
		latest := m["latest_version"].(map[string]any)
		if latest["content_type"] != "text/plain; charset=utf-8" || latest["filename"] != "passwd.png" || m["kind"] != "file" {
			t.Fatalf("created: %s", r.body)
		}
		if m["description_html"] != "<p>Read <strong>me</strong></p>\n" || fmt.Sprint(m["tags"]) != "[docs howto]" {
			t.Fatalf("created: %s", r.body)
		}
		dl := bob.expect("GET", fmt.Sprintf("/api/v1/resources/%d/download", id), nil, http.StatusOK)
		if string(dl.body) != "just text, honestly\n" || dl.header.Get("Content-Type") != "text/plain; charset=utf-8" {
			t.Fatalf("download: %q %v", dl.body, dl.header)
		}
		if cd := dl.header.Get("Content-Disposition"); cd != `attachment; filename=passwd.png` {
			t.Fatalf("content disposition %q", cd)
		}
		if dl.header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(dl.header.Get("Content-Security-Policy"), "sandbox") {
			t.Fatalf("headers: %v", dl.header)
		}
		// Nothing escaped the store.
		if _, err := os.Stat(filepath.Join(e.dir, "..", "etc")); !os.IsNotExist(err) {
			t.Fatalf("something was written outside the store: %v", err)
		}

		// A real PNG is shown inline; an SVG never is.
		png := "\x89PNG\r\n\x1a\n" + strings.Repeat("\x00", 40)
		p := alice.upload("/api/v1/resources", http.StatusCreated, part{name: "title", value: "A picture"},
			part{name: "file", filename: "pic.png", value: png}).json(t)
		pdl := bob.expect("GET", fmt.Sprintf("/api/v1/resources/%d/download", num(t, p, "id")), nil, http.StatusOK)
		if pdl.header.Get("Content-Type") != "image/png" || !strings.HasPrefix(pdl.header.Get("Content-Disposition"), "inline") {
			t.Fatalf("png headers: %v", pdl.header)
		}
		svg := alice.upload("/api/v1/resources", http.StatusCreated, part{name: "title", value: "A drawing"},
			part{name: "file", filename: "x.svg", contentType: "image/svg+xml", value: `<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`}).json(t)
		sdl := bob.expect("GET", fmt.Sprintf("/api/v1/resources/%d/download", num(t, svg, "id")), nil, http.StatusOK)
		if strings.HasPrefix(sdl.header.Get("Content-Type"), "image/") || !strings.HasPrefix(sdl.header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("svg headers: %v", sdl.header)
		}

		// A second version; the first stays downloadable.
		v2 := alice.upload(fmt.Sprintf("/api/v1/resources/%d/versions", id), http.StatusCreated,
			part{name: "note", value: "longer"}, part{name: "file", filename: "notes.txt", value: "0123456789abcdefghij"}).json(t)
		if num(t, v2, "number") != 2 || v2["note"] != "longer" {
			t.Fatalf("v2: %v", v2)
		}
		bob.upload(fmt.Sprintf("/api/v1/resources/%d/versions", id), http.StatusForbidden, part{name: "file", filename: "x", value: "x"})
		if got := bob.expect("GET", fmt.Sprintf("/api/v1/resources/%d/download?version=1", id), nil, http.StatusOK); string(got.body) != "just text, honestly\n" {
			t.Fatalf("v1: %q", got.body)
		}
		vs := bob.expect("GET", fmt.Sprintf("/api/v1/resources/%d/versions", id), nil, http.StatusOK).json(t)["versions"].([]any)
		if len(vs) != 2 {
			t.Fatalf("versions: %v", vs)
		}
		bob.expect("GET", fmt.Sprintf("/api/v1/resources/%d/download?version=9", id), nil, http.StatusNotFound)

		// Ranges: 206 with the right bytes; a range past the start is not another download.
		path := fmt.Sprintf("/api/v1/resources/%d/download", id)
		rg := bob.send("GET", path, "", nil, "Range", "bytes=5-9", "Accept-Encoding", "gzip")
		if rg.status != http.StatusPartialContent || string(rg.body) != "56789" || rg.header.Get("Content-Range") != "bytes 5-9/20" {
			t.Fatalf("range: %d %q %v", rg.status, rg.body, rg.header)
		}
		if rg.header.Get("Content-Encoding") != "" {
			t.Fatalf("a range was compressed: %v", rg.header)
		}
		tail := bob.send("GET", path, "", nil, "Range", "bytes=-3")
		if tail.status != http.StatusPartialContent || string(tail.body) != "hij" {
			t.Fatalf("suffix range: %d %q", tail.status, tail.body)
		}
		if bad := bob.send("GET", path, "", nil, "Range", "bytes=50-60"); bad.status != http.StatusRequestedRangeNotSatisfiable {
			t.Fatalf("unsatisfiable range: %d", bad.status)
		}
		etag := rg.header.Get("ETag")
		if nm := bob.send("GET", path, "", nil, "If-None-Match", etag); nm.status != http.StatusNotModified {
			t.Fatalf("if-none-match: %d", nm.status)
		}
		first := e.client().send("GET", path, "", nil, "Range", "bytes=0-3")
		if first.status != http.StatusPartialContent || string(first.body) != "0123" {
			t.Fatalf("first bytes: %d %q", first.status, first.body)
		}
		// Counted: bob's two full downloads and the guest's range from 0; not
		// the later ranges, nor the revalidation.
		got := bob.expect("GET", fmt.Sprintf("/api/v1/resources/%d", id), nil, http.StatusOK).json(t)
		if num(t, got, "download_count") != 3 || num(t, got, "version_count") != 2 {
			t.Fatalf("counts: %v", got)
		}
	})
}

func TestResourceUploadLimitsOverHTTP(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		e := newResEnv(t, db, 1000)
		alice, _ := e.signup("alice")

		// Over the limit: 413, nothing stored.
		r := alice.upload("/api/v1/resources", http.StatusRequestEntityTooLarge,
			part{name: "title", value: "Too big"}, part{name: "file", filename: "big.bin", value: strings.Repeat("x", 1001)})
		if code := r.errCode(t); code != "file_too_large" {
			t.Fatal(code)
		}
		// A declared length past the body cap is refused before reading.
		ct, body := multipartBody(t, part{name: "title", value: "Huge"}, part{name: "file", filename: "f", value: strings.Repeat("y", 1000+1<<20)})
		if r := alice.send("POST", "/api/v1/resources", ct, body); r.status != http.StatusRequestEntityTooLarge {
			t.Fatalf("huge body: %d %s", r.status, r.body)
		}
		// Malformed multipart: 400.
		if r := alice.send("POST", "/api/v1/resources", "multipart/form-data; boundary=xyz", []byte("this is not multipart")); r.status != http.StatusBadRequest {
			t.Fatalf("malformed: %d %s", r.status, r.body)
		}
		if r := alice.send("POST", "/api/v1/resources", "multipart/form-data", []byte("--x\r\n")); r.status != http.StatusBadRequest {
			t.Fatalf("no boundary: %d %s", r.status, r.body)
		}
		// A field after the file would be lost: refused, nothing stored.
		r = alice.upload("/api/v1/resources", http.StatusBadRequest,
			part{name: "title", value: "Fields last"}, part{name: "file", filename: "a.txt", value: "content"}, part{name: "tags", value: "late"})
		if code := r.errCode(t); code != "file_not_last" {
			t.Fatal(code)
		}
		alice.upload("/api/v1/resources", http.StatusBadRequest, part{name: "colour", value: "red"}, part{name: "file", filename: "a.txt", value: "x"})
		// Metadata problems are 422 before the file is read.
		alice.upload("/api/v1/resources", http.StatusUnprocessableEntity, part{name: "title", value: "x"}, part{name: "file", filename: "a.txt", value: "x"})
		alice.upload("/api/v1/resources", http.StatusUnprocessableEntity, part{name: "title", value: "No file here"})
		if got := e.leftovers(); got != nothingStored {
			t.Fatalf("left behind: %s", got)
		}
		// Exactly at the limit is fine.
		alice.upload("/api/v1/resources", http.StatusCreated, part{name: "title", value: "Just fits"}, part{name: "file", filename: "f.bin", value: strings.Repeat("z", 1000)})
		// Versions need multipart.
		if r := alice.send("POST", "/api/v1/resources/1/versions", "application/json", []byte(`{}`)); r.status != http.StatusUnsupportedMediaType {
			t.Fatalf("json version: %d", r.status)
		}
	})
}

func TestInterruptedUploadStoresNothing(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		e := newResEnv(t, db, 1<<20)
		_, token := e.signup("alice")
		e.drain()

		ct, body := multipartBody(t, part{name: "title", value: "Cut short"}, part{name: "file", filename: "a.bin", value: strings.Repeat("q", 200_000)})
		conn, err := net.Dial("tcp", strings.TrimPrefix(e.srv.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		head := fmt.Sprintf("POST /api/v1/resources HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n", token, ct, len(body))
		if _, err := conn.Write(append([]byte(head), body[:len(body)/2]...)); err != nil {
			t.Fatal(err)
		}
		_ = conn.Close() // the client goes away mid-body
		if got := <-e.finished; got != "POST /api/v1/resources" {
			t.Fatalf("finished %s", got)
		}
		if got := e.leftovers(); got != nothingStored {
			t.Fatalf("left behind: %s", got)
		}
	})
}

func TestConcurrentVersionUploadsOverHTTP(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		e := newResEnv(t, db, 1<<20)
		alice, _ := e.signup("alice")
		id := num(t, alice.upload("/api/v1/resources", http.StatusCreated, part{name: "title", value: "Shared file"},
			part{name: "file", filename: "v1.txt", value: "v1"}).json(t), "id")
		var wg sync.WaitGroup
		numbers := make([]int, 2)
		for i := range numbers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ct, body := multipartBody(t, part{name: "file", filename: "v.txt", value: fmt.Sprintf("version from uploader %d", i)})
				r := alice.send("POST", fmt.Sprintf("/api/v1/resources/%d/versions", id), ct, body)
				if r.status == http.StatusCreated {
					numbers[i] = num(t, r.json(t), "number")
				}
			}()
		}
		wg.Wait()
		if numbers[0]+numbers[1] != 5 || numbers[0]*numbers[1] != 6 {
			t.Fatalf("version numbers %v, want 2 and 3", numbers)
		}
		for _, n := range []int{2, 3} {
			got := alice.expect("GET", fmt.Sprintf("/api/v1/resources/%d/download?version=%d", id, n), nil, http.StatusOK)
			if !strings.HasPrefix(string(got.body), "version from uploader") {
				t.Fatalf("v%d: %q", n, got.body)
			}
		}

		// Identical content is stored once, whoever uploads it.
		bob, _ := e.signup("bob")
		bob.upload("/api/v1/resources", http.StatusCreated, part{name: "title", value: "Copy"}, part{name: "file", filename: "copy.txt", value: "v1"})
		if n := e.db.Client.Blob.Query().CountX(context.Background()); n != 3 {
			t.Fatalf("%d blobs, want 3", n)
		}
	})
}

func TestResourceRulesOverHTTP(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		e := newResEnv(t, db, 1<<20)
		alice, _ := e.signup("alice")
		bob, _ := e.signup("bob")

		for _, bad := range []string{"javascript:alert(document.cookie)", "ftp://files.example.com/x"} {
			r := alice.expect("POST", "/api/v1/resources", map[string]any{"kind": "link", "title": "Bad link", "url": bad}, http.StatusUnprocessableEntity)
			if !strings.Contains(string(r.body), `"url"`) {
				t.Fatalf("%s: %s", bad, r.body)
			}
		}
		link := alice.expect("POST", "/api/v1/resources", map[string]any{"kind": "link", "title": "Good link", "url": "https://example.com/guide", "tags": []string{"go"}}, http.StatusCreated).json(t)
		id := num(t, link, "id")
		path := fmt.Sprintf("/api/v1/resources/%d", id)
		e.client().expect("POST", "/api/v1/resources", map[string]any{"kind": "guide", "title": "Guest guide", "description": "x"}, http.StatusUnauthorized)

		// Non-owners may not edit or delete.
		bob.expect("PATCH", path, map[string]any{"title": "Mine now"}, http.StatusForbidden)
		bob.expect("DELETE", path, nil, http.StatusForbidden)
		alice.expect("PATCH", path, map[string]any{"title": "Good link, renamed"}, http.StatusOK)
		alice.expect("PATCH", path, map[string]any{"url": "javascript:alert(1)"}, http.StatusUnprocessableEntity)

		// Ratings: 1 to 5, one per member, changeable, not by the owner.
		for _, stars := range []int{0, 6} {
			bob.expect("PUT", path+"/rating", map[string]any{"stars": stars}, http.StatusUnprocessableEntity)
		}
		bob.expect("PUT", path+"/rating", map[string]any{}, http.StatusUnprocessableEntity)
		bob.expect("PUT", path+"/rating", map[string]any{"stars": "five"}, http.StatusBadRequest)
		alice.expect("PUT", path+"/rating", map[string]any{"stars": 5}, http.StatusForbidden)
		bob.expect("PUT", path+"/rating", map[string]any{"stars": 3}, http.StatusOK)
		got := bob.expect("PUT", path+"/rating", map[string]any{"stars": 4}, http.StatusOK).json(t)
		rating := got["rating"].(map[string]any)
		if rating["average"] != 4.0 || rating["count"] != 1.0 || got["my_rating"] != 4.0 {
			t.Fatalf("rating: %v", got)
		}

		// Bookmarks.
		bob.expect("PUT", path+"/bookmark", nil, http.StatusNoContent)
		bob.expect("PUT", path+"/bookmark", nil, http.StatusNoContent)
		page := bob.expect("GET", "/api/v1/resources?bookmarked=true", nil, http.StatusOK).json(t)
		if list := page["resources"].([]any); len(list) != 1 || !list[0].(map[string]any)["bookmarked"].(bool) {
			t.Fatalf("bookmarks: %v", page)
		}
		bob.expect("DELETE", path+"/bookmark", nil, http.StatusNoContent)
		if list := bob.expect("GET", "/api/v1/resources?bookmarked=true", nil, http.StatusOK).json(t)["resources"].([]any); len(list) != 0 {
			t.Fatalf("bookmarks after delete: %v", list)
		}
		e.client().expect("GET", "/api/v1/resources?bookmarked=true", nil, http.StatusUnauthorized)
		e.client().expect("GET", "/api/v1/resources?sort=loudest", nil, http.StatusUnprocessableEntity)
		e.client().expect("GET", "/api/v1/resources?bookmarked=maybe", nil, http.StatusBadRequest)

		// Soft delete, restore by moderators.
		alice.expect("DELETE", path, nil, http.StatusNoContent)
		bob.expect("GET", path, nil, http.StatusNotFound)
		alice.expect("POST", path+"/restore", nil, http.StatusNotFound)
		mod, _ := e.signup("mod")
		e.db.Client.User.Update().Where(user.UsernameKey("mod")).SetRole(user.RoleModerator).ExecX(context.Background())
		if list := mod.expect("GET", "/api/v1/resources?deleted=true", nil, http.StatusOK).json(t)["resources"].([]any); len(list) != 1 {
			t.Fatalf("deleted: %v", list)
		}
		mod.expect("POST", path+"/restore", nil, http.StatusOK)
		if got := e.client().expect("GET", "/api/v1/resources?tag=go", nil, http.StatusOK).json(t)["resources"].([]any); len(got) != 1 {
			t.Fatalf("by tag after restore: %v", got)
		}
	})
}

// Guests see no members-only resource and members no group's, on any route.
func TestResourceVisibilityOverHTTP(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		e := newResEnv(t, db, 1<<20)
		alice, _ := e.signup("alice")
		bob, _ := e.signup("bob")
		admin := e.admin("root")
		ct, body := multipartBody(t, part{name: "title", value: "Members file"}, part{name: "visibility", value: "members"},
			part{name: "file", filename: "m.txt", value: "members only"})
		r := alice.send("POST", "/api/v1/resources", ct, body)
		if r.status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		id := num(t, r.json(t), "id")
		guest := e.client()
		for _, path := range []string{"", "/versions", "/download"} {
			guest.expect("GET", fmt.Sprintf("/api/v1/resources/%d%s", id, path), nil, http.StatusNotFound)
			bob.expect("GET", fmt.Sprintf("/api/v1/resources/%d%s", id, path), nil, http.StatusOK)
		}
		if list := guest.expect("GET", "/api/v1/resources", nil, http.StatusOK).json(t)["resources"].([]any); len(list) != 0 {
			t.Fatalf("guest lists %v", list)
		}
		guest.expect("PUT", fmt.Sprintf("/api/v1/resources/%d/rating", id), map[string]any{"stars": 5}, http.StatusUnauthorized)

		// Without the group feature wired, a group's resources are the admins'.
		alice.expect("POST", "/api/v1/resources", map[string]any{"kind": "link", "title": "Group link", "url": "https://example.com", "group_id": 3}, http.StatusForbidden)
		g := admin.expect("POST", "/api/v1/resources", map[string]any{"kind": "link", "title": "Group link", "url": "https://example.com", "group_id": 3}, http.StatusCreated).json(t)
		bob.expect("GET", fmt.Sprintf("/api/v1/resources/%d", num(t, g, "id")), nil, http.StatusNotFound)
		if list := bob.expect("GET", "/api/v1/resources?group=3", nil, http.StatusOK).json(t)["resources"].([]any); len(list) != 0 {
			t.Fatalf("member lists group resources: %v", list)
		}
		if list := admin.expect("GET", "/api/v1/resources?group=3", nil, http.StatusOK).json(t)["resources"].([]any); len(list) != 1 {
			t.Fatalf("admin lists %v", list)
		}
	})
}
