// Package testenv finds the real services integration tests talk to. `make
// test` starts them and names them in CRN_TEST_* variables. Locally a test
// whose service is not named is skipped; with CI=true it fails, because under
// CI a missing service is a broken setup, not a reason to test less.
package testenv

import (
	"os"
	"strconv"
	"testing"
)

// Variables naming the services.
const (
	RedisURL = "CRN_TEST_REDIS_URL"
	MeiliURL = "CRN_TEST_MEILI_URL"
	MeiliKey = "CRN_TEST_MEILI_KEY"
	MeiliBin = "CRN_TEST_MEILI_BIN" // the Meilisearch binary, for tests that run their own

	S3Endpoint  = "CRN_TEST_S3_ENDPOINT" // host:port of an S3-compatible server (a private MinIO under make test)
	S3AccessKey = "CRN_TEST_S3_ACCESS_KEY"
	S3SecretKey = "CRN_TEST_S3_SECRET_KEY"
)

// Get returns the value of the variable name, skipping t when it is unset
// (failing it under CI).
func Get(t testing.TB, name string) string {
	t.Helper()
	if v := os.Getenv(name); v != "" {
		return v
	}
	if InCI() {
		t.Fatalf("testenv: %s is not set but CI=true: run the tests with `make test`, which starts the services", name)
	}
	t.Skipf("testenv: %s not set (under CI=true this fails instead); run `make test` to test against the real service", name)
	return ""
}

// SkipIfShort skips a slow test under -short, except under CI, which
// always runs everything.
func SkipIfShort(t testing.TB, why string) {
	t.Helper()
	if testing.Short() && !InCI() {
		t.Skip(why + " (-short; never skipped under CI)")
	}
}

// InCI reports whether CI=true.
func InCI() bool {
	ci, _ := strconv.ParseBool(os.Getenv("CI"))
	return ci
}

// Chromium names the browser the web app's browser tests drive
// (CRN_TEST_CHROMIUM, set by `make test`; Debian's package `chromium`).
const Chromium = "CRN_TEST_CHROMIUM"
