// Package apperr is the error vocabulary of crn. Services return *Error values
// whose Kind says what went wrong in terms every transport understands; the
// HTTP API and the WebSocket map kinds to statuses and frames in one place each.
//
// An Error keeps the message a client may see apart from the internal cause,
// which is logged but never sent.
package apperr

import (
	"errors"
	"fmt"
	"time"
)

// Kind classifies an error for the transports.
type Kind string

// The kinds of error a service may return.
const (
	KindInvalid         Kind = "invalid"         // malformed input that can never succeed as sent
	KindUnprocessable   Kind = "unprocessable"   // well-formed input that breaks a rule (field validation)
	KindUnauthenticated Kind = "unauthenticated" // no or bad credentials
	KindForbidden       Kind = "forbidden"       // authenticated but not allowed
	KindNotFound        Kind = "not_found"       // no such thing, or the caller may not know it exists
	KindConflict        Kind = "conflict"        // clashes with existing state (duplicate, stale)
	KindTooLarge        Kind = "too_large"       // body or upload over the limit
	KindRateLimited     Kind = "rate_limited"    // too many requests; RetryAfter says when to retry
	KindUnavailable     Kind = "unavailable"     // a backend is down
	KindInternal        Kind = "internal"        // a bug or an unexpected failure
)

// Error is a classified error. Code is a stable machine-readable identifier
// such as "username_taken"; Message is safe to show to a client; Fields holds
// per-field problems for validation errors; Cause is for logs only.
type Error struct {
	Kind       Kind
	Code       string
	Message    string
	Fields     map[string]string
	RetryAfter time.Duration
	Cause      error
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Cause)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Unwrap returns the internal cause.
func (e *Error) Unwrap() error { return e.Cause }

// As returns the *Error inside err, or nil when err carries none.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// KindOf returns the kind of err; errors that carry no kind are internal.
func KindOf(err error) Kind {
	if e := As(err); e != nil {
		return e.Kind
	}
	return KindInternal
}

// Is reports whether err carries the given kind.
func Is(err error, k Kind) bool { return err != nil && KindOf(err) == k }

func newErr(k Kind, code, msg string) *Error { return &Error{Kind: k, Code: code, Message: msg} }

// Invalid reports malformed input.
func Invalid(code, msg string) *Error { return newErr(KindInvalid, code, msg) }

// Validation reports input that breaks field rules; fields maps a field name to what is wrong with it.
func Validation(fields map[string]string) *Error {
	e := newErr(KindUnprocessable, "validation_failed", "some fields are not valid")
	e.Fields = fields
	return e
}

// Unauthenticated reports missing or bad credentials.
func Unauthenticated(code, msg string) *Error { return newErr(KindUnauthenticated, code, msg) }

// Forbidden reports an action the caller may not take.
func Forbidden(code, msg string) *Error { return newErr(KindForbidden, code, msg) }

// NotFound reports a missing resource.
func NotFound(code, msg string) *Error { return newErr(KindNotFound, code, msg) }

// Conflict reports a clash with existing state.
func Conflict(code, msg string) *Error { return newErr(KindConflict, code, msg) }

// TooLarge reports input over a size limit.
func TooLarge(code, msg string) *Error { return newErr(KindTooLarge, code, msg) }

// RateLimited reports too many attempts; the caller may retry after d.
func RateLimited(d time.Duration) *Error {
	e := newErr(KindRateLimited, "rate_limited", "too many requests, try again later")
	e.RetryAfter = d
	return e
}

// Unavailable reports a backend that cannot be reached.
func Unavailable(code, msg string, cause error) *Error {
	e := newErr(KindUnavailable, code, msg)
	e.Cause = cause
	return e
}

// Internal wraps an unexpected failure; the cause is logged, never shown.
func Internal(op string, cause error) *Error {
	return &Error{Kind: KindInternal, Code: "internal", Message: "internal error", Cause: fmt.Errorf("%s: %w", op, cause)}
}

// WithCause returns a copy of e that records cause for the logs.
func (e *Error) WithCause(cause error) *Error {
	c := *e
	c.Cause = cause
	return &c
}
