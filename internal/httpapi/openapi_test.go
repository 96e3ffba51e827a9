package httpapi

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"regexp"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/crn-dev/crn/internal/config"
)

// openapiMethods are the operation keys of an OpenAPI path item.
var openapiMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

func loadOpenAPI(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(openapiDoc, &doc); err != nil {
		t.Fatalf("openapi.json is not valid JSON: %v", err)
	}
	return doc
}

// resolvePointer follows a local reference ("#/a/b~1c") inside doc.
func resolvePointer(doc any, ref string) (any, error) {
	if !strings.HasPrefix(ref, "#/") {
		return nil, fmt.Errorf("not a local reference")
	}
	cur := doc
	for _, tok := range strings.Split(ref[2:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch v := cur.(type) {
		case map[string]any:
			next, ok := v[tok]
			if !ok {
				return nil, fmt.Errorf("no %q", tok)
			}
			cur = next
		default:
			return nil, fmt.Errorf("cannot descend into %T at %q", cur, tok)
		}
	}
	return cur, nil
}

// deref returns the object v refers to when it is a {"$ref": ...} object.
func deref(doc any, v any) any {
	for range 10 {
		m, ok := v.(map[string]any)
		if !ok {
			return v
		}
		ref, ok := m["$ref"].(string)
		if !ok {
			return v
		}
		target, err := resolvePointer(doc, ref)
		if err != nil {
			return nil
		}
		v = target
	}
	return v
}

// walkRefs calls fn with the JSON path and value of every "$ref" in v.
func walkRefs(path string, v any, fn func(path, ref string)) {
	switch v := v.(type) {
	case map[string]any:
		for k, child := range v {
			if k == "$ref" {
				if s, ok := child.(string); ok {
					fn(path, s)
					continue
				}
			}
			// Examples are literal data; a "$ref" key inside one is not a reference.
			if k == "example" || k == "examples" {
				continue
			}
			walkRefs(path+"/"+strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1"), child, fn)
		}
	case []any:
		for i, child := range v {
			walkRefs(fmt.Sprintf("%s/%d", path, i), child, fn)
		}
	}
}

func TestOpenAPIDocumentIsValid(t *testing.T) {
	doc := loadOpenAPI(t)

	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.1") {
		t.Errorf("openapi = %q, want 3.1.x", v)
	}
	info, _ := doc["info"].(map[string]any)
	if info["title"] == nil || info["version"] == nil {
		t.Errorf("info needs a title and a version, got %v", info)
	}

	walkRefs("#", doc, func(path, ref string) {
		if _, err := resolvePointer(doc, ref); err != nil {
			t.Errorf("%s: $ref %q does not resolve: %v", path, ref, err)
		}
	})

	components, _ := doc["components"].(map[string]any)
	schemes, _ := components["securitySchemes"].(map[string]any)
	checkSecurity := func(where string, v any) {
		reqs, ok := v.([]any)
		if !ok {
			t.Errorf("%s: security must be an array", where)
			return
		}
		for _, r := range reqs {
			m, _ := r.(map[string]any)
			for name := range m {
				if _, ok := schemes[name]; !ok {
					t.Errorf("%s: security scheme %q is not defined", where, name)
				}
			}
		}
	}
	if v, ok := doc["security"]; ok {
		checkSecurity("#/security", v)
	}

	paths, _ := doc["paths"].(map[string]any)
	if len(paths) == 0 {
		t.Fatal("the document has no paths")
	}
	templateParam := regexp.MustCompile(`\{([^}]+)\}`)
	seenIDs := map[string]string{}
	for path, item := range paths {
		pi, ok := item.(map[string]any)
		if !ok {
			t.Errorf("paths[%q] is not an object", path)
			continue
		}
		nops := 0
		for _, method := range openapiMethods {
			raw, ok := pi[method]
			if !ok {
				continue
			}
			nops++
			where := strings.ToUpper(method) + " " + path
			op, ok := raw.(map[string]any)
			if !ok {
				t.Errorf("%s: the operation is not an object", where)
				continue
			}

			id, _ := op["operationId"].(string)
			switch {
			case id == "":
				t.Errorf("%s: no operationId", where)
			case seenIDs[id] != "":
				t.Errorf("%s: operationId %q is also used by %s", where, id, seenIDs[id])
			default:
				seenIDs[id] = where
			}

			responses, _ := op["responses"].(map[string]any)
			if len(responses) == 0 {
				t.Errorf("%s: no responses", where)
			}
			for status, r := range responses {
				if deref(doc, r) == nil {
					t.Errorf("%s: response %s does not resolve", where, status)
				}
			}

			if v, ok := op["security"]; ok {
				checkSecurity(where, v)
			}

			// Every {param} of the path template is declared as a path parameter.
			declared := map[string]bool{}
			for _, list := range []any{pi["parameters"], op["parameters"]} {
				params, _ := list.([]any)
				for _, p := range params {
					pm, _ := deref(doc, p).(map[string]any)
					if pm["in"] == "path" {
						name, _ := pm["name"].(string)
						declared[name] = true
					}
				}
			}
			for _, m := range templateParam.FindAllStringSubmatch(path, -1) {
				if !declared[m[1]] {
					t.Errorf("%s: path parameter %q is not declared", where, m[1])
				}
			}
		}
		if nops == 0 {
			t.Errorf("paths[%q] has no operations", path)
		}
	}
}

// echoParam matches an Echo path parameter (":id").
var echoParam = regexp.MustCompile(`:([A-Za-z0-9_]+)`)

// TestOpenAPICoversEveryRoute checks that the router and the document agree
// on the set of (method, path) pairs. The rules:
//
//   - Echo's internal "route not found" entries (which groups with
//     middleware register so that the middleware also runs on 404s) are not
//     routes.
//   - The catch-alls "/*" (the web app) and "/api/v1/*" (JSON 404s for
//     unknown API paths) are not operations and are not documented.
//   - HEAD is matched exactly, never implied by GET: Echo does not answer
//     HEAD on a GET-only route, so a routed HEAD must be documented as its
//     own "head" operation and a documented "head" must be routed.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	e := New(Deps{
		Config:   config.Default(),
		Log:      slog.New(slog.DiscardHandler),
		Registry: prometheus.NewRegistry(),
	})

	routed := map[string]bool{}
	for _, r := range e.Routes() {
		if r.Method == echo.RouteNotFound || strings.HasPrefix(r.Method, "echo_") {
			continue
		}
		if r.Path == "/*" || r.Path == "/api/v1/*" {
			continue
		}
		path := echoParam.ReplaceAllString(r.Path, "{$1}")
		routed[r.Method+" "+path] = true
	}
	if len(routed) == 0 {
		t.Fatal("the router has no routes")
	}

	doc := loadOpenAPI(t)
	paths, _ := doc["paths"].(map[string]any)
	documented := map[string]bool{}
	for path, item := range paths {
		pi, _ := item.(map[string]any)
		for _, method := range openapiMethods {
			if _, ok := pi[method]; ok {
				documented[strings.ToUpper(method)+" "+path] = true
			}
		}
	}

	var undocumented, unrouted []string
	for k := range routed {
		if !documented[k] {
			undocumented = append(undocumented, k)
		}
	}
	for k := range documented {
		if !routed[k] {
			unrouted = append(unrouted, k)
		}
	}
	sort.Strings(undocumented)
	sort.Strings(unrouted)
	for _, k := range undocumented {
		t.Errorf("routed but not in openapi.json: %s", k)
	}
	for _, k := range unrouted {
		t.Errorf("in openapi.json but not routed: %s", k)
	}
}

func TestMergeOpenAPIFragments(t *testing.T) {
	fsys := fstest.MapFS{
		"openapi/openapi.json": {Data: []byte(`{"openapi":"3.1.0","tags":[{"name":"core"}],"paths":{"/a":{}},"components":{"schemas":{"A":{}}}}`)},
		"openapi/groups.json":  {Data: []byte(`{"tags":[{"name":"groups"}],"paths":{"/g":{}},"components":{"schemas":{"G":{}},"parameters":{"P":{}}}}`)},
	}
	raw, err := mergeOpenAPI(fsys)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tags       []map[string]string       `json:"tags"`
		Paths      map[string]any            `json:"paths"`
		Components map[string]map[string]any `json:"components"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Tags) != 2 || len(doc.Paths) != 2 || len(doc.Components["schemas"]) != 2 || len(doc.Components["parameters"]) != 1 {
		t.Fatalf("merged document = %s", raw)
	}

	fsys["openapi/dup.json"] = &fstest.MapFile{Data: []byte(`{"paths":{"/a":{}}}`)}
	if _, err := mergeOpenAPI(fsys); err == nil || !strings.Contains(err.Error(), `"/a" is defined twice`) {
		t.Fatalf("duplicate path: err = %v", err)
	}
	delete(fsys, "openapi/dup.json")
	fsys["openapi/bad.json"] = &fstest.MapFile{Data: []byte(`{"info":{}}`)}
	if _, err := mergeOpenAPI(fsys); err == nil {
		t.Fatal("a fragment with an info member was accepted")
	}
}
