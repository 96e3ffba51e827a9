package httpapi

import (
	"context"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// healthz answers while the process is alive; it checks nothing else, so an
// orchestrator does not restart crn because a dependency is down.
func (s *server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// readyCheckTimeout bounds how long /readyz waits for any one dependency.
const readyCheckTimeout = 2 * time.Second

// readyz pings every configured dependency in parallel and answers 503
// naming those that are down.
func (s *server) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), readyCheckTimeout)
	defer cancel()
	results := make(map[string]string, len(s.Checks))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, ch := range s.Checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := "ok"
			if err := ch.Ping(ctx); err != nil {
				// The cause may name hosts or credentials: log it, answer "down".
				requestLogger(c, s.Log).Warn("readiness check failed", "check", ch.Name, "err", err)
				res = "down"
			}
			mu.Lock()
			results[ch.Name] = res
			mu.Unlock()
		}()
	}
	wg.Wait()
	var down []string
	for name, res := range results {
		if res != "ok" {
			down = append(down, name)
		}
	}
	if len(down) == 0 {
		return c.JSON(http.StatusOK, map[string]any{"status": "ok", "checks": results})
	}
	sort.Strings(down)
	details := make(map[string]any, len(results))
	for k, v := range results {
		details[k] = v
	}
	return c.JSON(http.StatusServiceUnavailable, ErrorBody{ErrorDetail{
		Code: "not_ready", Message: "not ready: " + strings.Join(down, ", ") + " unreachable", Details: details,
	}})
}
