package httpapi

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/crn-dev/crn/internal/apperr"
)

const loggerKey = "crn.logger"

func newRequestID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// keepRequestID replaces a client-supplied request id that is not a short
// token, so ids are safe to log and to echo back.
func keepRequestID(c echo.Context, id string) {
	if len(id) > 64 || len(id) == 0 {
		id = newRequestID()
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			id = newRequestID()
			break
		}
	}
	c.Response().Header().Set(echo.HeaderXRequestID, id)
	c.Set("request_id", id)
}

// requestLogger returns the logger of this request, carrying its id.
func requestLogger(c echo.Context, base *slog.Logger) *slog.Logger {
	if l, ok := c.Get(loggerKey).(*slog.Logger); ok {
		return l
	}
	id, _ := c.Get("request_id").(string)
	return base.With("request_id", id)
}

// logRequests writes one structured line per request once it is answered.
func (s *server) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		id, _ := c.Get("request_id").(string)
		l := s.Log.With("request_id", id)
		c.Set(loggerKey, l)
		err := next(c)
		if err != nil {
			// Render now so the logged status is what the client saw.
			c.Error(err)
		}
		r := c.Request()
		attrs := []any{
			"method", r.Method, "path", r.URL.Path, "route", c.Path(),
			"status", c.Response().Status, "bytes", c.Response().Size,
			"duration_ms", float64(time.Since(start).Microseconds()) / 1000, "ip", c.RealIP(),
		}
		if p, ok := principalOf(c); ok {
			attrs = append(attrs, "user_id", p.User.ID)
		}
		level := slog.LevelInfo
		if c.Response().Status >= 500 {
			level = slog.LevelError
		}
		l.Log(r.Context(), level, "request", attrs...)
		return nil
	}
}

// recoverPanics turns a panicking handler into a logged 500.
func (s *server) recoverPanics(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
					panic(r)
				}
				buf := make([]byte, 8<<10)
				buf = buf[:runtime.Stack(buf, false)]
				requestLogger(c, s.Log).Error("panic", "panic", fmt.Sprint(r), "stack", string(buf))
				err = apperr.Internal("handler", fmt.Errorf("panic: %v", r))
			}
		}()
		return next(c)
	}
}

// limitAuth applies the sign-in/sign-up rate limit per client IP.
func (s *server) limitAuth(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.AuthLimiter == nil {
			return next(c)
		}
		ok, retry, err := s.AuthLimiter.Allow(c.Request().Context(), "auth:"+c.RealIP())
		if err != nil {
			// Failing open keeps sign-in working when a shared limiter's backend is down.
			requestLogger(c, s.Log).Warn("rate limiter unavailable", "err", err)
			return next(c)
		}
		if !ok {
			return apperr.RateLimited(retry)
		}
		return next(c)
	}
}
