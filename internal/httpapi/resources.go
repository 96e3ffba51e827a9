package httpapi

import (
	"errors"
	"io"
	"math"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/resource"
)

// Upload limits besides the file size (CRN_UPLOAD_MAX_BYTES).
const (
	// multipartOverhead is the room an upload body gets beyond the file:
	// the form fields and part headers around it.
	multipartOverhead = 1 << 20
	maxFormFieldBytes = 64 << 10 // one form field
	maxFormFields     = 20
	// transferTimeout replaces the server's read (uploads) or write
	// (downloads) timeout, sized for requests and responses of any size:
	// 100 MB at 1 Mbit/s takes 14 minutes.
	transferTimeout = 30 * time.Minute
)

// extendDeadline gives a transfer more time than the server's timeouts
// allow other requests. Best effort: a writer that cannot (a test
// recorder) keeps its deadlines.
func extendDeadline(c echo.Context, read bool) {
	rc := http.NewResponseController(c.Response())
	if read {
		_ = rc.SetReadDeadline(time.Now().Add(transferTimeout))
	} else {
		_ = rc.SetWriteDeadline(time.Now().Add(transferTimeout))
	}
}

func (s *server) routesResources(api *echo.Group) {
	api.GET("/resources", s.listResources)
	api.POST("/resources", s.createResource, requireUser, s.uploadLimit)
	api.GET("/resources/:id", s.getResource)
	api.PATCH("/resources/:id", s.patchResource, requireUser)
	api.DELETE("/resources/:id", s.deleteResource, requireUser)
	api.POST("/resources/:id/restore", s.restoreResource, requireUser)
	api.GET("/resources/:id/versions", s.listResourceVersions)
	api.POST("/resources/:id/versions", s.addResourceVersion, requireUser, s.uploadLimit)
	api.GET("/resources/:id/download", s.downloadResource)
	api.PUT("/resources/:id/rating", s.rateResource, requireUser)
	api.PUT("/resources/:id/bookmark", s.bookmarkResource(true), requireUser)
	api.DELETE("/resources/:id/bookmark", s.bookmarkResource(false), requireUser)
}

// isUploadRoute reports the routes whose bodies uploadLimit caps instead of
// the global body limit.
func (s *server) isUploadRoute(c echo.Context) bool {
	return c.Request().Method == http.MethodPost && (c.Path() == "/api/v1/resources" || c.Path() == "/api/v1/resources/:id/versions" ||
		c.Path() == "/*" && s.WebUpload != nil && s.WebUpload(c.Request())) // the web app's upload forms bound their own bodies
}

// isDownloadRoute reports the file download route, which is never
// compressed: it serves byte ranges of stored files as they are.
func isDownloadRoute(c echo.Context) bool { return c.Path() == "/api/v1/resources/:id/download" }

// skipWhen applies mw except to requests skip picks.
func skipWhen(skip func(echo.Context) bool, mw echo.MiddlewareFunc) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		wrapped := mw(next)
		return func(c echo.Context) error {
			if skip(c) {
				return next(c)
			}
			return wrapped(c)
		}
	}
}

// uploadLimit caps an upload route's body: a multipart upload at the file
// limit plus room for its fields, anything else at the global body limit.
func (s *server) uploadLimit(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		limit := s.Config.BodyLimit
		if isMultipart(c.Request()) {
			limit = s.Resources.Limits().UploadMax + multipartOverhead
			extendDeadline(c, true)
		}
		return bodyLimit(limit)(next)(c)
	}
}

func isMultipart(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType))
	return err == nil && mt == "multipart/form-data"
}

// ResourceVersion is one version of a file as the API shows it.
type ResourceVersion struct {
	Number      int       `json:"number"`
	Filename    string    `json:"filename"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	Note        string    `json:"note"`
	UploaderID  int       `json:"uploader_id"`
	CreatedAt   time.Time `json:"created_at"`
	DownloadURL string    `json:"download_url"`
}

// Resource is a shared resource as the API shows it.
type Resource struct {
	ID              int              `json:"id"`
	Kind            string           `json:"kind"`
	Title           string           `json:"title"`
	Description     string           `json:"description"`
	DescriptionHTML string           `json:"description_html"`
	URL             *string          `json:"url"`
	Tags            []string         `json:"tags"`
	Owner           *UserRef         `json:"owner"`
	GroupID         *int             `json:"group_id"`
	Visibility      string           `json:"visibility"`
	TopicID         *int             `json:"topic_id"`
	VersionCount    int              `json:"version_count"`
	LatestVersion   *ResourceVersion `json:"latest_version"`
	DownloadCount   int64            `json:"download_count"`
	Rating          ResourceRating   `json:"rating"`
	MyRating        *int             `json:"my_rating"`
	Bookmarked      bool             `json:"bookmarked"`
	CanEdit         bool             `json:"can_edit"`
	CreatedAt       time.Time        `json:"created_at"`
	UpdatedAt       time.Time        `json:"updated_at"`
	DeletedAt       *time.Time       `json:"deleted_at,omitempty"`
	HiddenAt        *time.Time       `json:"hidden_at,omitempty"` // hidden by moderation: seen by the owner and moderators only
}

// ResourceRating is the average and count of a resource's ratings.
type ResourceRating struct {
	Average float64 `json:"average"`
	Count   int     `json:"count"`
}

func versionView(resourceID int, v *ent.ResourceVersion) *ResourceVersion {
	if v == nil {
		return nil
	}
	return &ResourceVersion{
		Number: v.Number, Filename: v.Filename, ContentType: v.ContentType, Size: v.Size, Note: v.Note,
		UploaderID: v.UserID, CreatedAt: v.CreatedAt.UTC(),
		DownloadURL: "/api/v1/resources/" + strconv.Itoa(resourceID) + "/download?version=" + strconv.Itoa(v.Number),
	}
}

func resourceView(a authz.Actor, v *resource.View) Resource {
	r := v.Resource
	out := Resource{
		ID: r.ID, Kind: string(r.Kind), Title: r.Title, Description: r.Description, DescriptionHTML: r.DescriptionHTML,
		Tags: v.Tags, Owner: userRef(r.Edges.Owner), GroupID: r.GroupID, Visibility: string(r.Visibility), TopicID: r.TopicID,
		VersionCount: r.VersionCount, LatestVersion: versionView(r.ID, v.Latest), DownloadCount: r.DownloadCount,
		Rating:     ResourceRating{Count: r.RatingCount},
		Bookmarked: v.Bookmarked, CanEdit: authz.CanEditResource(a, r),
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), DeletedAt: utc(r.DeletedAt), HiddenAt: utc(r.HiddenAt),
	}
	if r.URL != "" {
		out.URL = &r.URL
	}
	if r.RatingCount > 0 {
		out.Rating.Average = math.Round(float64(r.RatingSum)/float64(r.RatingCount)*100) / 100 // two decimals
	}
	if v.MyRating > 0 {
		out.MyRating = &v.MyRating
	}
	return out
}

func (s *server) listResources(c echo.Context) error {
	group, err := queryInt(c, "group")
	if err != nil {
		return err
	}
	limit, err := queryInt(c, "limit")
	if err != nil {
		return err
	}
	bookmarked, err := queryBool(c, "bookmarked")
	if err != nil {
		return err
	}
	deleted, err := queryBool(c, "deleted")
	if err != nil {
		return err
	}
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	page, err := s.Resources.List(c.Request().Context(), a, resource.ListQuery{
		Kind: c.QueryParam("kind"), Tag: c.QueryParam("tag"), GroupID: group, Owner: c.QueryParam("owner"),
		Bookmarked: bookmarked, Deleted: deleted, Sort: c.QueryParam("sort"), Cursor: c.QueryParam("cursor"), Limit: limit,
	})
	if err != nil {
		return err
	}
	out := make([]Resource, len(page.Resources))
	for i, v := range page.Resources {
		out[i] = resourceView(a, v)
	}
	return c.JSON(http.StatusOK, map[string]any{"resources": out, "next_cursor": nilIfEmpty(page.Next)})
}

// queryBool reads an optional boolean query parameter.
func queryBool(c echo.Context, name string) (bool, error) {
	v := c.QueryParam(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		e := apperr.Invalid("invalid_parameter", "query parameter "+name+" must be true or false")
		e.Fields = map[string]string{name: "must be true or false"}
		return false, e
	}
	return b, nil
}

type resourceRequest struct {
	Kind        *string   `json:"kind"`
	Title       *string   `json:"title"`
	Description *string   `json:"description"`
	URL         *string   `json:"url"`
	Tags        *[]string `json:"tags"`
	GroupID     *int      `json:"group_id"`
	Visibility  *string   `json:"visibility"`
}

func (r resourceRequest) input() resource.Input {
	return resource.Input{Kind: r.Kind, Title: r.Title, Description: r.Description, URL: r.URL, Tags: r.Tags, GroupID: r.GroupID, Visibility: r.Visibility}
}

// createResource takes JSON for links and guides, and multipart/form-data
// for files: the fields first, then the first version as the part "file".
func (s *server) createResource(c echo.Context) error {
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	var v *resource.View
	if isMultipart(c.Request()) {
		form, err := readUploadForm(c, "kind", "title", "description", "tags", "group_id", "visibility", "note")
		if err != nil {
			return err
		}
		in, err := form.input()
		if err != nil {
			return err
		}
		v, err = s.Resources.Create(ctx, a, in, form.upload())
		if err != nil {
			return err
		}
	} else {
		var req resourceRequest
		if err := decodeJSON(c, &req); err != nil {
			return err
		}
		if v, err = s.Resources.Create(ctx, a, req.input(), nil); err != nil {
			return err
		}
	}
	return c.JSON(http.StatusCreated, resourceView(a, v))
}

func (s *server) getResource(c echo.Context) error {
	id, err := pathInt(c, "id")
	if err != nil {
		return err
	}
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	v, err := s.Resources.Get(c.Request().Context(), a, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, resourceView(a, v))
}

func (s *server) patchResource(c echo.Context) error {
	id, err := pathInt(c, "id")
	if err != nil {
		return err
	}
	var req resourceRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	v, err := s.Resources.Update(c.Request().Context(), a, id, req.input())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, resourceView(a, v))
}

func (s *server) deleteResource(c echo.Context) error {
	id, err := pathInt(c, "id")
	if err != nil {
		return err
	}
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	if err := s.Resources.Delete(c.Request().Context(), a, id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *server) restoreResource(c echo.Context) error {
	id, err := pathInt(c, "id")
	if err != nil {
		return err
	}
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	v, err := s.Resources.Restore(c.Request().Context(), a, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, resourceView(a, v))
}

func (s *server) listResourceVersions(c echo.Context) error {
	id, err := pathInt(c, "id")
	if err != nil {
		return err
	}
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	vs, err := s.Resources.Versions(c.Request().Context(), a, id)
	if err != nil {
		return err
	}
	out := make([]*ResourceVersion, len(vs))
	for i, v := range vs {
		out[i] = versionView(id, v)
	}
	return c.JSON(http.StatusOK, map[string]any{"versions": out})
}

func (s *server) addResourceVersion(c echo.Context) error {
	id, err := pathInt(c, "id")
	if err != nil {
		return err
	}
	if !isMultipart(c.Request()) {
		return echo.NewHTTPError(http.StatusUnsupportedMediaType, "the body must be multipart/form-data with the file in a part named file")
	}
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	form, err := readUploadForm(c, "note")
	if err != nil {
		return err
	}
	v, err := s.Resources.AddVersion(c.Request().Context(), a, id, form.upload())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, versionView(id, v))
}

// inlineTypes are the content types a download may show inline: raster
// images only (never SVG, which can carry script).
var inlineTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true}

// downloadResource streams a version with Range support. Only a request for
// the whole file or its first bytes counts as a download, so a player
// fetching ranges is one download, not many; a conditional request is a
// client checking the copy it has, not a download either.
func (s *server) downloadResource(c echo.Context) error {
	id, err := pathInt(c, "id")
	if err != nil {
		return err
	}
	version, err := queryInt(c, "version")
	if err != nil {
		return err
	}
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	r := c.Request()
	rng := r.Header.Get("Range")
	count := (rng == "" || strings.HasPrefix(strings.ReplaceAll(rng, " ", ""), "bytes=0-")) &&
		r.Header.Get("If-None-Match") == "" && r.Header.Get("If-Modified-Since") == ""
	d, err := s.Resources.Download(r.Context(), a, id, version, count)
	if err != nil {
		return err
	}
	defer d.Object.Close()
	h := c.Response().Header()
	ct := d.Version.ContentType
	disposition := "attachment"
	if mt, _, err := mime.ParseMediaType(ct); err == nil && inlineTypes[mt] {
		disposition = "inline"
	}
	cd := mime.FormatMediaType(disposition, map[string]string{"filename": d.Version.Filename})
	if cd == "" {
		cd = disposition
	}
	h.Set(echo.HeaderContentType, ct)
	h.Set("Content-Disposition", cd)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "private, no-cache")
	h.Set("ETag", `"`+d.SHA256+`"`)
	extendDeadline(c, false)
	http.ServeContent(c.Response(), r, "", d.Modified, d.Object)
	return nil
}

type ratingRequest struct {
	Stars *int `json:"stars"`
}

func (s *server) rateResource(c echo.Context) error {
	id, err := pathInt(c, "id")
	if err != nil {
		return err
	}
	var req ratingRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.Stars == nil {
		return validation("stars", "is required: a whole number from 1 to 5")
	}
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	v, err := s.Resources.Rate(c.Request().Context(), a, id, *req.Stars)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, resourceView(a, v))
}

func (s *server) bookmarkResource(on bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathInt(c, "id")
		if err != nil {
			return err
		}
		a, err := s.actor(c)
		if err != nil {
			return err
		}
		if err := s.Resources.Bookmark(c.Request().Context(), a, id, on); err != nil {
			return err
		}
		return c.NoContent(http.StatusNoContent)
	}
}

// uploadForm is a multipart upload read up to its file part: the fields
// before it are in memory (bounded), the file is still a stream.
type uploadForm struct {
	fields url.Values
	mr     *multipart.Reader
	file   *multipart.Part
}

// readUploadForm reads the fields of a multipart body up to the part named
// "file", accepting only the named fields.
func readUploadForm(c echo.Context, allowed ...string) (*uploadForm, error) {
	mr, err := c.Request().MultipartReader()
	if err != nil {
		return nil, apperr.Invalid("invalid_multipart", "the body must be multipart/form-data with a boundary")
	}
	form := &uploadForm{fields: url.Values{}, mr: mr}
	known := map[string]bool{}
	for _, name := range allowed {
		known[name] = true
	}
	for n := 0; ; n++ {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) && n == 0 {
			// Also what a body without a single boundary reads as.
			return nil, apperr.Invalid("invalid_multipart", "the multipart body has no parts")
		}
		if errors.Is(err, io.EOF) {
			return form, nil
		}
		if err != nil {
			return nil, multipartErr(err)
		}
		name := p.FormName()
		if name == "file" {
			form.file = p
			return form, nil
		}
		if !known[name] {
			e := apperr.Invalid("unknown_field", "unknown form field "+strconv.Quote(name))
			e.Fields = map[string]string{name: "is not a known field"}
			return nil, e
		}
		if n >= maxFormFields {
			return nil, apperr.Invalid("invalid_multipart", "too many form fields")
		}
		b, err := io.ReadAll(io.LimitReader(p, maxFormFieldBytes+1))
		if err != nil {
			return nil, multipartErr(err)
		}
		if len(b) > maxFormFieldBytes {
			return nil, apperr.TooLarge("field_too_large", "form field "+strconv.Quote(name)+" is larger than 64 KB")
		}
		form.fields.Add(name, string(b))
	}
}

// multipartErr classifies a failure reading a multipart body.
func multipartErr(err error) error {
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return apperr.TooLarge("body_too_large", "the body is larger than the limit of "+strconv.FormatInt(mbe.Limit, 10)+" bytes")
	case apperr.As(err) != nil:
		return err
	case errors.Is(err, io.ErrUnexpectedEOF):
		return apperr.Invalid("upload_incomplete", "the body ended before the upload was complete; nothing was stored")
	}
	return apperr.Invalid("invalid_multipart", "the multipart body is malformed").WithCause(err)
}

func (f *uploadForm) one(name string) *string {
	vs, ok := f.fields[name]
	if !ok {
		return nil
	}
	return &vs[len(vs)-1]
}

// input turns the fields into a resource input; the kind defaults to file.
// Tags come as repeated fields or one comma-separated field.
func (f *uploadForm) input() (resource.Input, error) {
	in := resource.Input{Kind: f.one("kind"), Title: f.one("title"), Description: f.one("description"), Visibility: f.one("visibility")}
	if in.Kind == nil {
		file := resource.KindFile
		in.Kind = &file
	}
	if vs, ok := f.fields["tags"]; ok {
		var tags []string
		for _, v := range vs {
			for _, t := range strings.Split(v, ",") {
				if t = strings.TrimSpace(t); t != "" {
					tags = append(tags, t)
				}
			}
		}
		in.Tags = &tags
	}
	if g := f.one("group_id"); g != nil {
		id, err := strconv.Atoi(strings.TrimSpace(*g))
		if err != nil {
			return in, validation("group_id", "must be a group id")
		}
		in.GroupID = &id
	}
	return in, nil
}

// upload is the file part as an upload, or nil when the form had none.
func (f *uploadForm) upload() *resource.Upload {
	if f.file == nil {
		return nil
	}
	note := ""
	if n := f.one("note"); n != nil {
		note = *n
	}
	return &resource.Upload{Filename: f.file.FileName(), Body: &fileStream{part: f.file, mr: f.mr}, Note: note}
}

// fileStream reads the file part and then makes sure nothing follows it:
// fields after the file would arrive after it is stored, so the upload
// fails instead of silently dropping them.
type fileStream struct {
	part *multipart.Part
	mr   *multipart.Reader
}

func (f *fileStream) Read(p []byte) (int, error) {
	n, err := f.part.Read(p)
	if !errors.Is(err, io.EOF) {
		if err != nil {
			return n, multipartErr(err)
		}
		return n, nil
	}
	next, nerr := f.mr.NextPart()
	switch {
	case errors.Is(nerr, io.EOF):
		return n, io.EOF
	case nerr == nil:
		_ = next.Close()
		return n, apperr.Invalid("file_not_last", "the file must be the last part of the form; nothing was stored")
	}
	return n, multipartErr(nerr)
}
