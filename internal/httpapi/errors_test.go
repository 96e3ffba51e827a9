package httpapi

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/crn-dev/crn/internal/apperr"
)

func TestErrorHandler(t *testing.T) {
	e := echo.New()
	handle := errorHandler(slog.New(slog.DiscardHandler))
	run := func(ctx context.Context, err error) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, "/x", nil).WithContext(ctx)
		handle(err, e.NewContext(req, rec))
		return rec
	}
	// A query that failed because the client went away is not a server error.
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	if rec := run(gone, apperr.Internal("list", context.Canceled)); rec.Code != statusClientClosed {
		t.Fatalf("cancelled by the client: %d", rec.Code)
	}
	// So is a connection the driver dropped because the query was cancelled.
	if rec := run(gone, apperr.Internal("list", fmt.Errorf("query: %w", driver.ErrBadConn))); rec.Code != statusClientClosed {
		t.Fatalf("bad connection after the client left: %d", rec.Code)
	}
	if rec := run(context.Background(), apperr.Internal("list", driver.ErrBadConn)); rec.Code != 500 {
		t.Fatalf("bad connection with the client there: %d", rec.Code)
	}
	// The same error while the client is still there is a 500 in the error shape.
	rec := run(context.Background(), apperr.Internal("list", errors.New("disk on fire")))
	if rec.Code != 500 || rec.Body.String() != `{"error":{"code":"internal","message":"internal error"}}`+"\n" {
		t.Fatalf("internal: %d %s", rec.Code, rec.Body)
	}
	if rec := run(context.Background(), apperr.RateLimited(1500e6)); rec.Code != 429 || rec.Header().Get("Retry-After") != "2" {
		t.Fatalf("rate limited: %d %v", rec.Code, rec.Header())
	}
}
