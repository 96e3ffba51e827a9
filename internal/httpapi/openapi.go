package httpapi

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"sort"

	"github.com/labstack/echo/v4"
)

// The OpenAPI 3.1 description of /api/v1 is written by hand: openapi.json
// holds the document and the core API, and each feature adds a fragment file
// next to it (groups.json, feedback.json…) with its own "tags", "paths" and
// "components". They are merged once at start-up; a key defined twice is a
// programming error. TestOpenAPICoversEveryRoute checks the result against
// the router both ways.
//
//go:embed openapi/*.json
var openapiFiles embed.FS

var openapiDoc = mustMergeOpenAPI(openapiFiles)

func (s *server) openapi(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "public, max-age=300")
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, openapiDoc)
}

func mustMergeOpenAPI(fsys fs.FS) []byte {
	b, err := mergeOpenAPI(fsys)
	if err != nil {
		panic(err)
	}
	return b
}

// mergeOpenAPI reads openapi/openapi.json and merges every other
// openapi/*.json fragment into it, in file name order.
func mergeOpenAPI(fsys fs.FS) ([]byte, error) {
	read := func(name string) (map[string]any, error) {
		raw, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return m, nil
	}
	doc, err := read("openapi/openapi.json")
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(fsys, "openapi/*.json")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	for _, name := range names {
		if name == "openapi/openapi.json" {
			continue
		}
		frag, err := read(name)
		if err != nil {
			return nil, err
		}
		for key, v := range frag {
			switch key {
			case "tags":
				list, _ := v.([]any)
				base, _ := doc["tags"].([]any)
				doc["tags"] = append(base, list...)
			case "paths":
				if err := mergeObject(doc, "paths", v, name+": paths"); err != nil {
					return nil, err
				}
			case "components":
				comps, _ := v.(map[string]any)
				dc, _ := doc["components"].(map[string]any)
				if dc == nil {
					dc = map[string]any{}
					doc["components"] = dc
				}
				for section, sv := range comps {
					if err := mergeObject(dc, section, sv, name+": components."+section); err != nil {
						return nil, err
					}
				}
			default:
				return nil, fmt.Errorf("%s: a fragment holds only tags, paths and components, not %q", name, key)
			}
		}
	}
	return json.Marshal(doc)
}

// mergeObject adds the members of src to the object parent[key], refusing
// a member that is already there.
func mergeObject(parent map[string]any, key string, src any, where string) error {
	from, ok := src.(map[string]any)
	if !ok {
		return fmt.Errorf("%s: not an object", where)
	}
	into, _ := parent[key].(map[string]any)
	if into == nil {
		into = map[string]any{}
		parent[key] = into
	}
	for k, v := range from {
		if _, dup := into[k]; dup {
			return fmt.Errorf("%s: %q is defined twice", where, k)
		}
		into[k] = v
	}
	return nil
}
