package webui

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
)

// A request whose reader went away is answered 499, not a 500 logged as a
// failure.
func TestFailOnCancelledRequestIs499(t *testing.T) {
	s := &server{Deps: Deps{Log: slog.New(slog.DiscardHandler)}}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	w := httptest.NewRecorder()
	rq := &request{s: s, w: w, r: httptest.NewRequest(http.MethodGet, "/p/1/reactions", nil).WithContext(ctx)}
	rq.fail(fmt.Errorf("get topic: %w", context.Canceled))
	if w.Code != 499 {
		t.Fatalf("cancelled request: %d", w.Code)
	}
}
