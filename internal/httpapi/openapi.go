package httpapi

import (
	_ "embed"
	"net/http"

	"github.com/labstack/echo/v4"
)

// openapiDoc is the OpenAPI 3.1 description of /api/v1, written by hand and
// checked against the router by TestOpenAPICoversEveryRoute.
//
//go:embed openapi.json
var openapiDoc []byte

func (s *server) openapi(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "public, max-age=300")
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, openapiDoc)
}
