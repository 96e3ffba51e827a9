package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

func (s *server) getUser(c echo.Context) error {
	u, err := s.Accounts.ByUsername(c.Request().Context(), c.Param("username"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, publicUser(u))
}
