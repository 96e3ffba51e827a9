// Package web holds the web app's templates and static assets, embedded in
// the binary so one file serves the whole community.
package web

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed static
var static embed.FS

// Handler serves the web app. Until the server-rendered pages land it serves
// the static files, with index.html at the root.
func Handler() http.Handler {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	return http.FileServerFS(sub)
}
