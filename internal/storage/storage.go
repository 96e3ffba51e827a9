// Package storage keeps uploaded files as content-addressed blobs: a blob's
// key is the SHA-256 of its bytes, so identical content is stored once. Two
// backends implement Store, the local disk (the default) and S3-compatible
// object storage (for several nodes); both pass the same contract tests.
//
// Uploads are streamed: Put hashes the bytes while it writes them to a
// temporary file or object, and only a complete upload within the size limit
// is committed under its content address. A failed, cancelled or over-long
// upload leaves nothing behind.
package storage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
)

// Store is a blob store.
type Store interface {
	// Put streams r into the store. A stream longer than max bytes fails
	// with ErrTooLarge; any failure (a read error, a cancelled ctx) keeps
	// nothing.
	Put(ctx context.Context, r io.Reader, max int64) (Blob, error)
	// Open returns the blob under key for reading and seeking, or ErrNotFound.
	Open(ctx context.Context, key string) (Object, error)
	// Delete removes the blob under key; deleting a missing blob is not an error.
	Delete(ctx context.Context, key string) error
	// Ping reports whether the backend is reachable.
	Ping(ctx context.Context) error
}

// Blob describes a stored blob.
type Blob struct {
	Key         string // the lowercase hex SHA-256 of the content
	Size        int64
	ContentType string // sniffed from the first bytes, never taken from the client
	Existed     bool   // the same content was stored already
}

// Object is an open blob. Reads past a Seek fetch only the bytes asked for,
// so HTTP Range requests stay cheap on every backend.
type Object interface {
	io.ReadSeekCloser
	Size() int64
}

// Errors a Store returns.
var (
	ErrTooLarge = errors.New("storage: the content is larger than the limit")
	ErrNotFound = errors.New("storage: no such blob")
)

// sniffLen is how many leading bytes content sniffing looks at
// (http.DetectContentType's own window).
const sniffLen = 512

// ValidKey reports whether key is a content address: 64 lowercase hex
// digits. Anything else (path separators, dots) never reaches a backend.
func ValidKey(key string) bool {
	if len(key) != 2*sha256.Size {
		return false
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// intake wraps an upload stream: it hashes and counts what passes through,
// keeps the first bytes for sniffing, and fails with ErrTooLarge as soon as
// the stream exceeds the limit, so a backend stops writing at once.
type intake struct {
	r     io.Reader
	max   int64
	n     int64
	hash  hash.Hash
	head  []byte
	ended bool // the stream reached io.EOF
	over  bool // the stream went past max
}

func newIntake(r io.Reader, max int64) *intake {
	return &intake{r: r, max: max, hash: sha256.New(), head: make([]byte, 0, sniffLen)}
}

func (in *intake) Read(p []byte) (int, error) {
	// Read one byte past the limit at most, to tell "exactly max" from "more".
	if room := in.max + 1 - in.n; int64(len(p)) > room {
		p = p[:room]
	}
	n, err := in.r.Read(p)
	in.n += int64(n)
	if in.n > in.max {
		in.over = true
		return 0, ErrTooLarge
	}
	in.hash.Write(p[:n])
	if k := min(n, sniffLen-len(in.head)); k > 0 {
		in.head = append(in.head, p[:k]...)
	}
	if errors.Is(err, io.EOF) {
		in.ended = true
	}
	return n, err
}

// failed names why a backend's write failed: the limit when the stream
// went past it (whatever the backend wrapped that in), else err.
func (in *intake) failed(op string, err error) error {
	if in.over || errors.Is(err, ErrTooLarge) {
		return ErrTooLarge
	}
	return fmt.Errorf("storage: %s: %w", op, err)
}

// blob describes what went through; call it after the stream ended.
func (in *intake) blob() Blob {
	return Blob{Key: hex.EncodeToString(in.hash.Sum(nil)), Size: in.n, ContentType: http.DetectContentType(in.head)}
}

// check reports an upload that stopped early without an error of its own
// (a backend that quit reading), so it is never committed as complete.
func (in *intake) check() error {
	if !in.ended {
		return errors.New("storage: the upload ended before its stream did")
	}
	return nil
}
