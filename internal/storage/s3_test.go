package storage

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/crn-dev/crn/internal/testenv"
)

// newBenchS3 is newTestS3 for benchmarks, or nil when no S3 server is
// configured.
func newBenchS3(b *testing.B) *S3 {
	if os.Getenv(testenv.S3Endpoint) == "" && !testenv.InCI() {
		return nil
	}
	return newTestS3(b)
}

// newTestS3 connects to the S3 server make test runs (a private MinIO) with
// a bucket of its own, emptied and removed when t ends.
func newTestS3(t testing.TB) *S3 {
	t.Helper()
	endpoint := testenv.Get(t, testenv.S3Endpoint)
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	ctx := context.Background()
	s, err := NewS3(S3Options{
		Endpoint: endpoint, Bucket: "crn-test-" + hex.EncodeToString(rnd[:]),
		AccessKey: testenv.Get(t, testenv.S3AccessKey), SecretKey: testenv.Get(t, testenv.S3SecretKey),
		Prefix: "community/",
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.EnsureBucket(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for o := range s.c.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Recursive: true}) {
			if o.Err == nil {
				_ = s.c.RemoveObject(ctx, s.bucket, o.Key, minio.RemoveObjectOptions{})
			}
		}
		if err := s.c.RemoveBucket(ctx, s.bucket); err != nil {
			t.Errorf("remove bucket: %v", err)
		}
	})
	return s
}

func (s *S3) list(t testing.TB, prefix string) []string {
	t.Helper()
	var names []string
	for o := range s.c.ListObjects(context.Background(), s.bucket, minio.ListObjectsOptions{Prefix: s.prefix + prefix, Recursive: true}) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		names = append(names, path.Base(o.Key))
	}
	return names
}

func TestS3Contract(t *testing.T) {
	testContract(t, func(t *testing.T) backend {
		s := newTestS3(t)
		return backend{
			Store: s,
			blobs: func(t *testing.T) []string { return s.list(t, "blobs/") },
			temps: func(t *testing.T) []string {
				names := s.list(t, "tmp/")
				for u := range s.c.ListIncompleteUploads(context.Background(), s.bucket, s.prefix, true) {
					if u.Err != nil {
						t.Fatal(u.Err)
					}
					names = append(names, "incomplete:"+u.Key)
				}
				return names
			},
		}
	})
}

func TestS3RefusesAMissingEndpoint(t *testing.T) {
	if _, err := NewS3(S3Options{Bucket: "x"}); err == nil || !strings.Contains(err.Error(), "endpoint") {
		t.Fatalf("want an error naming the endpoint, got %v", err)
	}
}
