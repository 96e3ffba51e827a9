package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/crn-dev/crn/internal/apperr"
)

// decodeJSON reads the request body into v strictly: the body must be JSON,
// a single object with no unknown fields and values of the right types.
// Anything else is a 400 that says what is wrong; an over-long body is a 413.
func decodeJSON(c echo.Context, v any) error {
	r := c.Request()
	if ct := r.Header.Get(echo.HeaderContentType); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != echo.MIMEApplicationJSON && !strings.HasSuffix(mt, "+json")) {
			return echo.NewHTTPError(http.StatusUnsupportedMediaType, "the body must be application/json")
		}
	}
	// The body is already capped by the body-limit middleware, so reading it
	// whole is bounded; it lets us refuse anything but an object up front
	// (json.Decode would take a literal null as "no fields").
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return jsonError(err)
	}
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 {
		return jsonError(io.EOF)
	}
	if trimmed[0] != '{' {
		return apperr.Invalid("invalid_json", "the body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return apperr.Invalid("invalid_json", "the body must hold a single JSON value")
	}
	return nil
}

func jsonError(err error) error {
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
		mbe *http.MaxBytesError
	)
	switch {
	case errors.As(err, &mbe):
		return apperr.TooLarge("body_too_large", fmt.Sprintf("the body is larger than %d bytes", mbe.Limit))
	case errors.Is(err, io.EOF):
		return apperr.Invalid("invalid_json", "the body is empty; a JSON object is required")
	case errors.As(err, &syn), errors.Is(err, io.ErrUnexpectedEOF):
		return apperr.Invalid("invalid_json", "the body is not valid JSON")
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return apperr.Invalid("invalid_json", "the body must be a JSON object")
		}
		e := apperr.Invalid("invalid_json", fmt.Sprintf("field %q must be of type %s", field, typ.Type.String()))
		e.Fields = map[string]string{field: "must be of type " + jsonType(typ.Type.String())}
		return e
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		e := apperr.Invalid("invalid_json", fmt.Sprintf("unknown field %q", field))
		e.Fields = map[string]string{field: "is not a known field"}
		return e
	default:
		return apperr.Invalid("invalid_json", "the body is not valid JSON")
	}
}

// jsonType names a Go type the way a JSON client thinks of it.
func jsonType(goType string) string {
	switch {
	case goType == "string" || goType == "*string":
		return "string"
	case goType == "bool" || goType == "*bool":
		return "boolean"
	case strings.Contains(goType, "int") || strings.Contains(goType, "float"):
		return "number"
	case strings.HasPrefix(goType, "[]"):
		return "array"
	default:
		return "object"
	}
}

// pathInt reads a positive integer path parameter; anything else is a 404,
// since no resource has that id.
func pathInt(c echo.Context, name string) (int, error) {
	n, err := strconv.Atoi(c.Param(name))
	if err != nil || n <= 0 {
		return 0, apperr.NotFound("not_found", "no such "+name)
	}
	return n, nil
}

// validation is a 422 naming one field.
func validation(field, problem string) error {
	return apperr.Validation(map[string]string{field: problem})
}
