package webui

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

// assets serves web/static under /static/ and names each file by a hash of
// its content, so pages link to /static/css/app.css?v=1a2b3c4d5e and the
// answer may be cached for a year: a new build changes the URL.
type assets struct {
	fsys   fs.FS
	hashes map[string]string // path → short content hash
	files  http.Handler
}

const assetPrefix = "/static/"

func newAssets(fsys fs.FS) (*assets, error) {
	a := &assets{fsys: fsys, hashes: map[string]string{}, files: http.StripPrefix(assetPrefix, http.FileServerFS(fsys))}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		a.hashes[p] = hex.EncodeToString(sum[:5])
		return nil
	})
	return a, err
}

// url is the versioned URL of a static file; templates call {{asset "css/app.css"}}.
func (a *assets) url(p string) string {
	p = strings.TrimPrefix(p, "/")
	if h, ok := a.hashes[p]; ok {
		return assetPrefix + p + "?v=" + h
	}
	return assetPrefix + p
}

func (a *assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := strings.TrimPrefix(path.Clean(r.URL.Path), assetPrefix)
	h, ok := a.hashes[p]
	if !ok || strings.HasSuffix(p, ".txt") {
		http.NotFound(w, r)
		return
	}
	if v := r.URL.Query().Get("v"); v == h {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	w.Header().Set("ETag", `"`+h+`"`)
	a.files.ServeHTTP(w, r)
}
