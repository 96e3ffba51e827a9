package config

import (
	"flag"
	"os"
	"strings"
	"testing"
	"time"
)

func load(t *testing.T, args []string, env map[string]string) (Config, error) {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(new(strings.Builder))
	return Load(fs, args, func(k string) string { return env[k] })
}

func TestDefaultsNeedNothing(t *testing.T) {
	c, err := load(t, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":8080" || c.DataDir != "data" || c.DatabaseURL != "" || !c.MigrateOnStart || c.BodyLimit != 1<<20 {
		t.Fatalf("unexpected defaults: %+v", c)
	}
	if c.SessionTTL != 720*time.Hour || c.AuthRatePerMin != 10 || c.CookieSecure {
		t.Fatalf("unexpected defaults: %+v", c)
	}
}

func TestFlagBeatsEnvBeatsDefault(t *testing.T) {
	env := map[string]string{"CRN_ADDR": ":9000", "CRN_DATA_DIR": "/var/crn", "CRN_BODY_LIMIT": "2MB"}
	c, err := load(t, []string{"--addr", "127.0.0.1:7000"}, env)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:7000" {
		t.Errorf("flag should win, got %q", c.Addr)
	}
	if c.DataDir != "/var/crn" || c.BodyLimit != 2<<20 {
		t.Errorf("env should apply: %+v", c)
	}
}

func TestCookieSecureFollowsPublicURL(t *testing.T) {
	c, err := load(t, nil, map[string]string{"CRN_PUBLIC_URL": "https://community.example.com/"})
	if err != nil {
		t.Fatal(err)
	}
	if !c.CookieSecure || c.PublicURL != "https://community.example.com" {
		t.Fatalf("auto cookie-secure with https public URL: %+v", c)
	}
	c, err = load(t, []string{"--cookie-secure=false"}, map[string]string{"CRN_PUBLIC_URL": "https://x.example"})
	if err != nil || c.CookieSecure {
		t.Fatalf("explicit false must win: %v %+v", err, c)
	}
}

func TestBadValuesAreReportedTogether(t *testing.T) {
	_, err := load(t, nil, map[string]string{
		"CRN_BODY_LIMIT": "lots", "CRN_AUTH_RATE": "0", "CRN_LOG_LEVEL": "loud",
		"CRN_TRUSTED_PROXIES": "10.0.0.0/99", "CRN_SESSION_TTL": "-1h", "CRN_PUBLIC_URL": "ftp://x",
	})
	if err == nil {
		t.Fatal("want error")
	}
	for _, env := range []string{"CRN_BODY_LIMIT", "CRN_AUTH_RATE", "CRN_LOG_LEVEL", "CRN_TRUSTED_PROXIES", "CRN_SESSION_TTL", "CRN_PUBLIC_URL"} {
		if !strings.Contains(err.Error(), env) {
			t.Errorf("error does not name %s: %v", env, err)
		}
	}
}

func TestTrustedProxies(t *testing.T) {
	c, err := load(t, nil, map[string]string{"CRN_TRUSTED_PROXIES": "10.0.0.0/8, 127.0.0.1,::1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.TrustedProxies) != 3 || c.TrustedProxies[1].String() != "127.0.0.1/32" || c.TrustedProxies[2].String() != "::1/128" {
		t.Fatalf("proxies: %v", c.TrustedProxies)
	}
}

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]int64{"512": 512, "64KB": 64 << 10, "1mb": 1 << 20, "2G": 2 << 30} {
		got, err := ParseBytes(in)
		if err != nil || got != want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "MB", "-1KB", "1.5MB"} {
		if _, err := ParseBytes(in); err == nil {
			t.Errorf("ParseBytes(%q) should fail", in)
		}
	}
}

// Every setting must be documented in the README's configuration table.
func TestREADMEListsEverySetting(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range Settings() {
		if !strings.Contains(string(b), "`"+s.Env+"`") || !strings.Contains(string(b), "`--"+s.Flag+"`") {
			t.Errorf("README.md does not document %s / --%s", s.Env, s.Flag)
		}
	}
}

func TestStorageSettings(t *testing.T) {
	c, err := load(t, nil, map[string]string{"CRN_DATA_DIR": "/srv/crn"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Storage != "disk" || c.UploadRoot() != "/srv/crn/uploads" || c.UploadMaxBytes != 100<<20 || !c.S3.UseSSL || c.ResourcesForum != "resources" {
		t.Fatalf("defaults: %+v", c)
	}
	c, err = load(t, nil, map[string]string{"CRN_STORAGE": "S3", "CRN_S3_ENDPOINT": "minio:9000", "CRN_S3_BUCKET": "crn", "CRN_UPLOAD_MAX_BYTES": "2GB", "CRN_S3_USE_SSL": "false"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Storage != "s3" || c.S3.Bucket != "crn" || c.UploadMaxBytes != 2<<30 || c.S3.UseSSL {
		t.Fatalf("s3: %+v", c)
	}
	_, err = load(t, nil, map[string]string{"CRN_STORAGE": "s3"})
	if err == nil || !strings.Contains(err.Error(), "CRN_S3_BUCKET") {
		t.Fatalf("s3 without a bucket: %v", err)
	}
	_, err = load(t, nil, map[string]string{"CRN_STORAGE": "ftp", "CRN_UPLOAD_MAX_BYTES": "0"})
	if err == nil || !strings.Contains(err.Error(), "CRN_STORAGE") || !strings.Contains(err.Error(), "CRN_UPLOAD_MAX_BYTES") {
		t.Fatalf("bad values: %v", err)
	}
}

func TestMetricsToken(t *testing.T) {
	c, err := load(t, nil, map[string]string{"CRN_METRICS_TOKEN": "0123456789abcdef0123"})
	if err != nil || c.MetricsToken != "0123456789abcdef0123" {
		t.Fatalf("token: %v %q", err, c.MetricsToken)
	}
	if c, err := load(t, nil, nil); err != nil || c.MetricsToken != "" {
		t.Fatalf("default token: %v %q", err, c.MetricsToken)
	}
	for _, bad := range []string{"short", "has a space in it somewhere"} {
		if _, err := load(t, nil, map[string]string{"CRN_METRICS_TOKEN": bad}); err == nil || !strings.Contains(err.Error(), "CRN_METRICS_TOKEN") {
			t.Errorf("token %q: err %v, want CRN_METRICS_TOKEN refused", bad, err)
		}
	}
}
