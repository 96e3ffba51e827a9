package webui

import (
	"crypto/subtle"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/group"
	"github.com/crn-dev/crn/internal/resource"
)

// Upload forms: the fields before the file are small and few.
const (
	uploadFieldMax   = 64 << 10 // one field
	uploadFieldsMax  = 20
	uploadOverhead   = 1 << 20 // the room a multipart body gets beyond the file
	uploadReadWindow = 30 * time.Minute
)

// uploadPath matches the pages that take a multipart upload: they get the
// upload limit (CRN_UPLOAD_MAX_BYTES) instead of the body limit.
var uploadPath = regexp.MustCompile(`^/(resources/new|r/[0-9]+/versions)$`)

// IsUpload reports a request to one of the web app's upload forms, whose
// body the API's global body limit must leave to the web app.
func IsUpload(r *http.Request) bool {
	return r.Method == http.MethodPost && uploadPath.MatchString(r.URL.Path)
}

func isMultipartForm(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "multipart/form-data"
}

func (s *server) routesResources(h func(string, handler)) {
	if s.Resources == nil {
		return
	}
	h("GET /resources", s.libraryPage)
	h("GET /resources/new", s.shareResourcePage)
	h("POST /resources/new", s.shareResource)
	h("GET /r/{id}", s.resourcePage)
	h("POST /r/{id}/rate", s.rateResource)
	h("POST /r/{id}/bookmark", s.bookmarkResource)
	h("POST /r/{id}/versions", s.addVersion)
	s.routesResourceManage(h)
}

type libraryData struct {
	Resources  []*resource.View
	Kind, Tag  string
	Group      *group.View
	Sort       string
	Kinds      []string
	Sorts      []string
	Next       string
	Bookmarked bool // only the reader's bookmarks
	Deleted    bool // only deleted resources (moderators)
	CanDeleted bool // the reader may list deleted resources
	Removed    bool // a resource was just deleted
}

// query is the listing's filters as a query string, for tabs and pages.
func (d libraryData) Query(sort string) string {
	q := url.Values{}
	if d.Kind != "" {
		q.Set("kind", d.Kind)
	}
	if d.Tag != "" {
		q.Set("tag", d.Tag)
	}
	if d.Group != nil {
		q.Set("group", d.Group.Slug)
	}
	if sort != "" && sort != resource.SortNewest {
		q.Set("sort", sort)
	}
	if d.Bookmarked {
		q.Set("bookmarked", "1")
	}
	if d.Deleted {
		q.Set("deleted", "1")
	}
	return q.Encode()
}

// libraryPage lists shared resources: filtered by kind, tag and group,
// sorted by newest, downloads or rating, a cursor per page.
func (s *server) libraryPage(rq *request) error {
	ctx := rq.r.Context()
	q := rq.r.URL.Query()
	d := libraryData{Kind: q.Get("kind"), Tag: q.Get("tag"), Sort: q.Get("sort"),
		Kinds:      []string{resource.KindFile, resource.KindLink, resource.KindGuide},
		Sorts:      []string{resource.SortNewest, resource.SortDownloads, resource.SortRating},
		Bookmarked: q.Get("bookmarked") == "1", Deleted: q.Get("deleted") == "1", Removed: q.Get("removed") == "1",
		CanDeleted: rq.actor.ModeratesResources()}
	if d.Sort == "" {
		d.Sort = resource.SortNewest
	}
	lq := resource.ListQuery{Kind: d.Kind, Tag: d.Tag, Sort: d.Sort, Cursor: q.Get("cursor"), Bookmarked: d.Bookmarked, Deleted: d.Deleted}
	if slug := q.Get("group"); slug != "" && s.Groups != nil {
		g, err := s.Groups.Get(ctx, rq.actor, slug)
		if err != nil {
			return err
		}
		d.Group, lq.GroupID = g, g.ID
	}
	page, err := s.Resources.List(ctx, rq.actor, lq)
	if err != nil {
		return err
	}
	d.Resources = page.Resources
	if page.Next != "" {
		nq, _ := url.ParseQuery(d.Query(d.Sort))
		nq.Set("cursor", page.Next)
		d.Next = "/resources?" + nq.Encode()
	}
	title := rq.lang.T("resources.title")
	switch {
	case d.Bookmarked:
		title = rq.lang.T("resources.bookmarked")
	case d.Deleted:
		title = rq.lang.T("resources.deleted")
	}
	return rq.render("resources", title, d)
}

type shareData struct {
	Kind, Title, Description, URL, Tags, Visibility string
	Group                                           *group.View
	UploadMax                                       int64 // MB
	Errors                                          map[string]string
}

// shareResourcePage is the form to share a link, a guide or a file, in a
// group when ?group= names one.
func (s *server) shareResourcePage(rq *request) error {
	if err := rq.requireUser(); err != nil {
		return err
	}
	d := shareData{Kind: resource.KindFile, Visibility: "public", UploadMax: s.Resources.Limits().UploadMax >> 20}
	if slug := rq.r.URL.Query().Get("group"); slug != "" && s.Groups != nil {
		g, err := s.Groups.Get(rq.r.Context(), rq.actor, slug)
		if err != nil {
			return err
		}
		d.Group = g
	}
	return rq.render("resourcenew", rq.lang.T("resourcenew.title"), d)
}

// shareResource creates a resource from the share form, a multipart body
// whose file (for files) is the last part and is streamed to storage. The
// page's script sends it with XMLHttpRequest to show progress; without
// script it is a plain form post.
func (s *server) shareResource(rq *request) error {
	if err := rq.requireUser(); err != nil {
		return err
	}
	form, err := rq.uploadForm(s.Resources.Limits().UploadMax)
	if err != nil {
		return err
	}
	d := shareData{Kind: form.get("kind"), Title: form.get("title"), Description: form.get("description"), URL: form.get("url"),
		Tags: form.get("tags"), Visibility: form.get("visibility"), UploadMax: s.Resources.Limits().UploadMax >> 20}
	in := resource.Input{Kind: &d.Kind, Title: &d.Title, Description: &d.Description}
	if d.Kind == resource.KindLink {
		in.URL = &d.URL
	}
	if d.Visibility != "" {
		in.Visibility = &d.Visibility
	}
	tags := splitTags(d.Tags)
	in.Tags = &tags
	ctx := rq.r.Context()
	if slug := form.get("group"); slug != "" && s.Groups != nil {
		g, err := s.Groups.Get(ctx, rq.actor, slug)
		if err != nil {
			return err
		}
		d.Group, in.GroupID = g, &g.ID
	}
	var up *resource.Upload
	if d.Kind == resource.KindFile {
		up = form.upload("")
	}
	v, err := s.Resources.Create(ctx, rq.actor, in, up)
	if e := apperr.As(err); e != nil && e.Kind == apperr.KindUnprocessable && len(e.Fields) > 0 {
		if rq.htmx {
			return rq.fieldErrors(e)
		}
		d.Errors = e.Fields
		return rq.renderView(http.StatusUnprocessableEntity, "resourcenew", rq.view(rq.lang.T("resourcenew.title"), d))
	}
	if err != nil {
		return err
	}
	return rq.redirect(resourceURL(v.ID))
}

func resourceURL(id int) string { return "/r/" + strconv.Itoa(id) }

// fieldErrors answers an htmx (or upload script) request whose fields were
// refused: the problems go to the page's alert region.
func (rq *request) fieldErrors(e *apperr.Error) error {
	var msgs []string
	for f, m := range e.Fields {
		msgs = append(msgs, f+": "+m)
	}
	rq.w.Header().Set("HX-Retarget", "#flash")
	rq.w.Header().Set("HX-Reswap", "innerHTML")
	rq.renderFragment(http.StatusUnprocessableEntity, "flash", map[string]any{"Message": rq.lang.T("form.fix") + " " + strings.Join(msgs, "; ")})
	return nil
}

type resourceData struct {
	Resource   *resource.View
	Group      *group.View
	Versions   []*ent.ResourceVersion
	CanEdit    bool
	CanRestore bool // deleted, and the reader may bring it back
	CanRate    bool
	Stars      []int
	Average    string // the average rating, one decimal
	UploadMax  int64  // MB
	Errors     map[string]string
	Error      string // the service's refusal (restoring)
}

// resourcePage shows one resource: its description, versions with their
// downloads, rating, bookmark and the link to its discussion.
func (s *server) resourcePage(rq *request) error {
	d, err := s.resourceData(rq)
	if err != nil {
		return err
	}
	return rq.render("resource", d.Resource.Title, d)
}

func (s *server) resourceData(rq *request) (*resourceData, error) {
	id, err := rq.pathID("id")
	if err != nil {
		return nil, err
	}
	ctx := rq.r.Context()
	v, err := s.Resources.Get(ctx, rq.actor, id)
	if err != nil {
		return nil, err
	}
	d := &resourceData{Resource: v, CanEdit: authz.CanEditResource(rq.actor, v.Resource) && v.DeletedAt == nil,
		CanRestore: v.DeletedAt != nil && authz.CanRestoreResource(rq.actor),
		CanRate:    authz.CanRateResource(rq.actor, v.Resource), Stars: []int{1, 2, 3, 4, 5}, UploadMax: s.Resources.Limits().UploadMax >> 20}
	if v.RatingCount > 0 {
		d.Average = strconv.FormatFloat(float64(v.RatingSum)/float64(v.RatingCount), 'f', 1, 64)
	}
	if v.GroupID != nil && s.Groups != nil {
		if d.Group, err = s.Groups.ByID(ctx, rq.actor, *v.GroupID); err != nil {
			return nil, err
		}
	}
	if v.Kind == resource.KindFile {
		if d.Versions, err = s.Resources.Versions(ctx, rq.actor, id); err != nil {
			return nil, err
		}
	}
	return d, nil
}

func (s *server) rateResource(rq *request) error {
	if err := rq.requireUser(); err != nil {
		return err
	}
	id, err := rq.pathID("id")
	if err != nil {
		return err
	}
	stars, err := strconv.Atoi(rq.form("stars"))
	if err != nil {
		stars = 0 // the service says what a rating must be
	}
	if _, err := s.Resources.Rate(rq.r.Context(), rq.actor, id, stars); err != nil {
		return err
	}
	return rq.redirect(resourceURL(id))
}

func (s *server) bookmarkResource(rq *request) error {
	if err := rq.requireUser(); err != nil {
		return err
	}
	id, err := rq.pathID("id")
	if err != nil {
		return err
	}
	if err := s.Resources.Bookmark(rq.r.Context(), rq.actor, id, rq.form("on") == "1"); err != nil {
		return err
	}
	return rq.redirect(resourceURL(id))
}

// addVersion uploads a new version of a file resource.
func (s *server) addVersion(rq *request) error {
	if err := rq.requireUser(); err != nil {
		return err
	}
	id, err := rq.pathID("id")
	if err != nil {
		return err
	}
	form, err := rq.uploadForm(s.Resources.Limits().UploadMax)
	if err != nil {
		return err
	}
	_, err = s.Resources.AddVersion(rq.r.Context(), rq.actor, id, form.upload(form.get("note")))
	if e := apperr.As(err); e != nil && e.Kind == apperr.KindUnprocessable && len(e.Fields) > 0 {
		if rq.htmx {
			return rq.fieldErrors(e)
		}
		d, derr := s.resourceData(rq)
		if derr != nil {
			return derr
		}
		d.Errors = e.Fields
		return rq.renderView(http.StatusUnprocessableEntity, "resource", rq.view(d.Resource.Title, d))
	}
	if err != nil {
		return err
	}
	return rq.redirect(resourceURL(id))
}

// webUpload is a multipart form read up to its file part: the fields
// before it in memory, the file still a stream.
type webUpload struct {
	fields url.Values
	mr     *multipart.Reader
	file   *multipart.Part // nil: no file chosen
}

func (u *webUpload) get(name string) string { return u.fields.Get(name) }

// upload is the chosen file as an upload, or nil.
func (u *webUpload) upload(note string) *resource.Upload {
	if u.file == nil {
		return nil
	}
	return &resource.Upload{Filename: u.file.FileName(), Body: &uploadStream{part: u.file, mr: u.mr}, Note: note}
}

// uploadForm reads an upload form's fields up to its file, checks the
// anti-forgery token among them when no header carried it (the wrapper
// leaves that to here for multipart bodies: see checkForgery), and bounds
// the body at the upload limit.
func (rq *request) uploadForm(fileMax int64) (*webUpload, error) {
	if !isMultipartForm(rq.r) {
		return nil, apperr.Invalid("bad_form", "the form could not be read")
	}
	rq.r.Body = http.MaxBytesReader(rq.w, rq.r.Body, fileMax+uploadOverhead)
	_ = http.NewResponseController(rq.w).SetReadDeadline(time.Now().Add(uploadReadWindow))
	mr, err := rq.r.MultipartReader()
	if err != nil {
		return nil, apperr.Invalid("bad_form", "the form could not be read")
	}
	u := &webUpload{fields: url.Values{}, mr: mr}
	for n := 0; ; n++ {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, uploadErr(err)
		}
		if p.FormName() == "file" {
			if p.FileName() != "" {
				u.file = p
				break
			}
			continue // no file chosen: an empty part
		}
		if n >= uploadFieldsMax {
			return nil, apperr.Invalid("bad_form", "the form has too many fields")
		}
		b, err := io.ReadAll(io.LimitReader(p, uploadFieldMax+1))
		if err != nil {
			return nil, uploadErr(err)
		}
		if len(b) > uploadFieldMax {
			return nil, apperr.TooLarge("too_large", "the form is larger than the limit")
		}
		u.fields.Add(p.FormName(), string(b))
	}
	if rq.r.Header.Get(csrfHeader) == "" {
		got := u.get(csrfField)
		if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(rq.csrf)) != 1 {
			return nil, apperr.Forbidden("csrf_failed", "the form has expired; reload the page and try again")
		}
	}
	return u, nil
}

func uploadErr(err error) error {
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return apperr.TooLarge("too_large", "the file is larger than the limit")
	case apperr.As(err) != nil:
		return err
	case errors.Is(err, io.ErrUnexpectedEOF):
		return apperr.Invalid("upload_incomplete", "the upload ended early; nothing was stored")
	}
	return apperr.Invalid("bad_form", "the form could not be read")
}

// uploadStream reads the file part; the file must be the form's last
// part, since fields after it would arrive after it is stored.
type uploadStream struct {
	part *multipart.Part
	mr   *multipart.Reader
}

func (f *uploadStream) Read(p []byte) (int, error) {
	n, err := f.part.Read(p)
	if !errors.Is(err, io.EOF) {
		if err != nil {
			return n, uploadErr(err)
		}
		return n, nil
	}
	next, nerr := f.mr.NextPart()
	switch {
	case errors.Is(nerr, io.EOF):
		return n, io.EOF
	case nerr == nil:
		_ = next.Close()
		return n, apperr.Invalid("file_not_last", "the file must be the last field of the form; nothing was stored")
	}
	return n, uploadErr(nerr)
}
