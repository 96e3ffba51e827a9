package httpapi

import (
	"context"
	"database/sql/driver"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/crn-dev/crn/internal/apperr"
)

// ErrorBody is the one shape of every error the API answers with.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the inside of ErrorBody.
type ErrorDetail struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Details map[string]any `json:"details,omitempty"`
}

// statusOf maps an error kind to its HTTP status. It is the only place in crn
// where domain errors meet HTTP statuses.
func statusOf(k apperr.Kind) int {
	switch k {
	case apperr.KindInvalid:
		return http.StatusBadRequest
	case apperr.KindUnprocessable:
		return http.StatusUnprocessableEntity
	case apperr.KindUnauthenticated:
		return http.StatusUnauthorized
	case apperr.KindForbidden:
		return http.StatusForbidden
	case apperr.KindNotFound:
		return http.StatusNotFound
	case apperr.KindConflict:
		return http.StatusConflict
	case apperr.KindTooLarge:
		return http.StatusRequestEntityTooLarge
	case apperr.KindRateLimited:
		return http.StatusTooManyRequests
	case apperr.KindUnavailable:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// statusClientClosed is recorded when the client cancelled its request.
const statusClientClosed = 499

// echoCodes names the errors Echo itself raises (routing, body limit...).
var echoCodes = map[int]string{
	http.StatusBadRequest:            "bad_request",
	http.StatusUnauthorized:          "unauthenticated",
	http.StatusForbidden:             "forbidden",
	http.StatusNotFound:              "not_found",
	http.StatusMethodNotAllowed:      "method_not_allowed",
	http.StatusRequestEntityTooLarge: "body_too_large",
	http.StatusUnsupportedMediaType:  "unsupported_media_type",
	http.StatusTooManyRequests:       "rate_limited",
	http.StatusServiceUnavailable:    "unavailable",
}

// clientGone reports whether err is what a query returns when the request's
// client went away mid-query: the context's own error, or a connection the
// driver gave up on because of the cancellation (database/sql's
// driver.ErrBadConn, which pgx's stdlib returns for a query interrupted by
// its context). The same errors while the client is still there are 500s.
func clientGone(c echo.Context, err error) bool {
	if c.Request().Context().Err() == nil {
		return false
	}
	return errors.Is(err, context.Canceled) || errors.Is(err, driver.ErrBadConn)
}

// errorHandler renders every error as ErrorBody and logs internal causes
// with the request id; causes never reach the client.
func errorHandler(log *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		if clientGone(c, err) {
			// The client went away; nobody reads an answer. 499 (nginx's
			// "client closed request") keeps these out of the 5xx counts.
			c.Response().WriteHeader(statusClientClosed)
			requestLogger(c, log).Info("client closed the request")
			return
		}
		status, body := render(err)
		if ae := apperr.As(err); ae != nil && ae.Kind == apperr.KindRateLimited && ae.RetryAfter > 0 {
			secs := int(ae.RetryAfter.Seconds() + 0.999)
			c.Response().Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
		}
		if status >= 500 {
			requestLogger(c, log).Error("request failed", "status", status, "err", err)
		}
		var werr error
		if c.Request().Method == http.MethodHead {
			werr = c.NoContent(status)
		} else {
			werr = c.JSON(status, body)
		}
		if werr != nil {
			requestLogger(c, log).Warn("writing error response", "err", werr)
		}
	}
}

func render(err error) (int, ErrorBody) {
	if ae := apperr.As(err); ae != nil {
		d := ErrorDetail{Code: ae.Code, Message: ae.Message}
		if len(ae.Fields) > 0 {
			d.Details = map[string]any{"fields": ae.Fields}
		}
		return statusOf(ae.Kind), ErrorBody{d}
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		code, ok := echoCodes[he.Code]
		if !ok {
			code = "error"
		}
		msg := http.StatusText(he.Code)
		if s, ok := he.Message.(string); ok && he.Code < 500 {
			msg = s
		}
		if he.Code >= 500 {
			code, msg = "internal", "internal error"
		}
		return he.Code, ErrorBody{ErrorDetail{Code: code, Message: msg}}
	}
	return http.StatusInternalServerError, ErrorBody{ErrorDetail{Code: "internal", Message: "internal error"}}
}
