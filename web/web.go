// Package web holds the web app's templates, static assets and message
// files, embedded in the binary so one file serves the whole community. The
// page handlers that use them live in internal/webui.
package web

import (
	"embed"
	"io/fs"
)

//go:embed templates static locales
var files embed.FS

// Templates is the html/template tree: layout.html, pages/*.html (one per
// page) and partials/*.html (fragments shared by pages and htmx answers).
func Templates() fs.FS { return sub("templates") }

// Static is what /static/ serves: css/, js/ and vendor/ (third-party files
// written by scripts/vendor-web.sh).
func Static() fs.FS { return sub("static") }

// Locales holds one go-i18n JSON message file per language.
func Locales() fs.FS { return sub("locales") }

func sub(dir string) fs.FS {
	f, err := fs.Sub(files, dir)
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	return f
}
