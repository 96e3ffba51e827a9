package storage

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3Options locate a bucket on an S3-compatible service (AWS S3, MinIO,
// Ceph, Garage, R2...).
type S3Options struct {
	Endpoint  string // host[:port], without scheme
	Bucket    string
	AccessKey string
	SecretKey string
	Region    string // empty lets the client discover it
	UseSSL    bool
	// Prefix is prepended to every object name, so several communities (or
	// test runs) can share a bucket.
	Prefix string
}

// s3PartSize is the part size of streamed uploads. An upload of unknown
// length is sent in parts, each buffered in memory while it is sent, so this
// is the memory one upload takes (and 10,000 parts of it, 50 GB, the largest
// object). 5 MiB is S3's minimum part size.
const s3PartSize = 5 << 20

// S3 keeps blobs as objects named <prefix>blobs/<first two hex digits>/<key>.
// An upload is streamed to <prefix>tmp/<random>, then copied server-side
// under its content address and the temporary object removed.
type S3 struct {
	c      *minio.Client
	bucket string
	prefix string
	region string
}

// NewS3 returns a store on the bucket. It checks the options but makes no
// request: call EnsureBucket to create the bucket when it is missing.
func NewS3(o S3Options) (*S3, error) {
	if o.Endpoint == "" || o.Bucket == "" {
		return nil, errors.New("storage: s3: the endpoint and the bucket are required")
	}
	endpoint := o.Endpoint
	for _, scheme := range []string{"https://", "http://"} {
		if strings.HasPrefix(endpoint, scheme) {
			endpoint = strings.TrimPrefix(endpoint, scheme)
			o.UseSSL = scheme == "https://"
		}
	}
	c, err := minio.New(strings.TrimRight(endpoint, "/"), &minio.Options{
		Creds:  credentials.NewStaticV4(o.AccessKey, o.SecretKey, ""),
		Secure: o.UseSSL,
		Region: o.Region,
	})
	if err != nil {
		return nil, fmt.Errorf("storage: s3: %w", err)
	}
	return &S3{c: c, bucket: o.Bucket, prefix: o.Prefix, region: o.Region}, nil
}

// EnsureBucket creates the bucket when it does not exist.
func (s *S3) EnsureBucket(ctx context.Context) error {
	ok, err := s.c.BucketExists(ctx, s.bucket)
	if err != nil {
		return fmt.Errorf("storage: s3: bucket %s: %w", s.bucket, err)
	}
	if ok {
		return nil
	}
	err = s.c.MakeBucket(ctx, s.bucket, minio.MakeBucketOptions{Region: s.region})
	if err != nil && minio.ToErrorResponse(err).Code != "BucketAlreadyOwnedByYou" {
		return fmt.Errorf("storage: s3: create bucket %s: %w", s.bucket, err)
	}
	return nil
}

func (s *S3) name(key string) string { return s.prefix + "blobs/" + key[:2] + "/" + key }

// Put implements Store.
func (s *S3) Put(ctx context.Context, r io.Reader, max int64) (Blob, error) {
	var rnd [16]byte
	_, _ = rand.Read(rnd[:])
	tmp := s.prefix + "tmp/" + hex.EncodeToString(rnd[:])
	in := newIntake(ctxReader{ctx, r}, max)
	_, err := s.c.PutObject(ctx, s.bucket, tmp, in, -1, minio.PutObjectOptions{
		PartSize: s3PartSize, ContentType: "application/octet-stream",
	})
	if err == nil {
		err = in.check()
	}
	// Whatever happens next, the temporary object goes; with a context of
	// its own, since ctx may be what failed.
	defer s.removeTemp(tmp)
	if err != nil {
		return Blob{}, in.failed("s3 put", err)
	}
	b := in.blob()
	dst := s.name(b.Key)
	_, err = s.c.StatObject(ctx, s.bucket, dst, minio.StatObjectOptions{})
	switch {
	case err == nil:
		b.Existed = true
		return b, nil
	case !notFound(err):
		return Blob{}, fmt.Errorf("storage: s3 put: %w", err)
	}
	// ComposeObject copies server-side, in parts past S3's 5 GiB copy limit.
	if _, err := s.c.ComposeObject(ctx,
		minio.CopyDestOptions{Bucket: s.bucket, Object: dst},
		minio.CopySrcOptions{Bucket: s.bucket, Object: tmp}); err != nil {
		return Blob{}, fmt.Errorf("storage: s3 put: commit: %w", err)
	}
	return b, nil
}

func (s *S3) removeTemp(name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = s.c.RemoveObject(ctx, s.bucket, name, minio.RemoveObjectOptions{})
	// A failed streamed upload may leave an unfinished multipart upload.
	_ = s.c.RemoveIncompleteUpload(ctx, s.bucket, name)
}

// Open implements Store. The object is read lazily: every Seek followed by
// a Read is one ranged GET, so a Range request never fetches the whole blob.
func (s *S3) Open(ctx context.Context, key string) (Object, error) {
	if !ValidKey(key) {
		return nil, ErrNotFound
	}
	info, err := s.c.StatObject(ctx, s.bucket, s.name(key), minio.StatObjectOptions{})
	if notFound(err) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("storage: s3 open: %w", err)
	}
	o, err := s.c.GetObject(ctx, s.bucket, s.name(key), minio.GetObjectOptions{})
	if err != nil {
		return nil, fmt.Errorf("storage: s3 open: %w", err)
	}
	return s3Object{Object: o, size: info.Size}, nil
}

type s3Object struct {
	*minio.Object
	size int64
}

func (o s3Object) Size() int64 { return o.size }

// Delete implements Store.
func (s *S3) Delete(ctx context.Context, key string) error {
	if !ValidKey(key) {
		return nil
	}
	if err := s.c.RemoveObject(ctx, s.bucket, s.name(key), minio.RemoveObjectOptions{}); err != nil && !notFound(err) {
		return fmt.Errorf("storage: s3 delete: %w", err)
	}
	return nil
}

// Ping implements Store: the service must answer with these keys, and the
// bucket exist (it is created if it went missing, or was never created
// because the service was down when crn started).
func (s *S3) Ping(ctx context.Context) error { return s.EnsureBucket(ctx) }

func notFound(err error) bool {
	if err == nil {
		return false
	}
	r := minio.ToErrorResponse(err)
	return r.StatusCode == http.StatusNotFound || r.Code == "NoSuchKey"
}
