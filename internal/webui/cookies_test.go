package webui

import (
	"testing"

	"github.com/crn-dev/crn/internal/httpapi"
)

// The pages and the API share one session: the cookie and header names
// must stay the same on both sides.
func TestSessionNamesMatchTheAPI(t *testing.T) {
	if sessionCookie != httpapi.SessionCookie || csrfCookie != httpapi.CSRFCookie || csrfHeader != httpapi.CSRFHeader {
		t.Fatalf("webui uses %s/%s/%s, the API %s/%s/%s", sessionCookie, csrfCookie, csrfHeader,
			httpapi.SessionCookie, httpapi.CSRFCookie, httpapi.CSRFHeader)
	}
}
