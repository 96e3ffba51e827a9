package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Disk keeps blobs as files under a root directory:
// blobs/<first two hex digits>/<key>, written first to tmp/ and renamed into
// place once complete (a rename within one file system is atomic, so a reader
// never sees half a blob).
type Disk struct {
	root string
}

// NewDisk opens (creating it when missing) a disk store rooted at dir. A
// crashed process may have left temporary files behind; they are removed.
func NewDisk(dir string) (*Disk, error) {
	root, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("storage: disk: %w", err)
	}
	d := &Disk{root: root}
	for _, sub := range []string{d.tmpDir(), filepath.Join(root, "blobs")} {
		if err := os.MkdirAll(sub, 0o750); err != nil {
			return nil, fmt.Errorf("storage: disk: %w", err)
		}
	}
	leftovers, err := os.ReadDir(d.tmpDir())
	if err != nil {
		return nil, fmt.Errorf("storage: disk: %w", err)
	}
	for _, f := range leftovers {
		_ = os.Remove(filepath.Join(d.tmpDir(), f.Name()))
	}
	return d, nil
}

// Root returns the directory the store lives in.
func (d *Disk) Root() string { return d.root }

func (d *Disk) tmpDir() string { return filepath.Join(d.root, "tmp") }

func (d *Disk) path(key string) string { return filepath.Join(d.root, "blobs", key[:2], key) }

// Put implements Store.
func (d *Disk) Put(ctx context.Context, r io.Reader, max int64) (_ Blob, err error) {
	f, err := os.CreateTemp(d.tmpDir(), "upload-*")
	if err != nil {
		return Blob{}, fmt.Errorf("storage: disk put: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	in := newIntake(ctxReader{ctx, r}, max)
	if _, err := io.Copy(f, in); err != nil {
		return Blob{}, in.failed("disk put", err)
	}
	if err := in.check(); err != nil {
		return Blob{}, err
	}
	if err := f.Sync(); err != nil {
		return Blob{}, fmt.Errorf("storage: disk put: %w", err)
	}
	if err := f.Close(); err != nil {
		return Blob{}, fmt.Errorf("storage: disk put: %w", err)
	}
	b := in.blob()
	dst := d.path(b.Key)
	if _, err := os.Stat(dst); err == nil {
		b.Existed = true
		return b, nil // the deferred cleanup drops the duplicate
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return Blob{}, fmt.Errorf("storage: disk put: %w", err)
	}
	// A concurrent upload of the same content may rename over us: same
	// bytes, so either file is right.
	if err := os.Rename(f.Name(), dst); err != nil {
		return Blob{}, fmt.Errorf("storage: disk put: %w", err)
	}
	committed = true
	// The rename is durable once its directory is synced; the caller
	// commits a row pointing here next.
	if dir, err := os.Open(filepath.Dir(dst)); err == nil {
		err = dir.Sync()
		_ = dir.Close()
		if err != nil {
			return Blob{}, fmt.Errorf("storage: disk put: sync directory: %w", err)
		}
	}
	return b, nil
}

// Open implements Store.
func (d *Disk) Open(_ context.Context, key string) (Object, error) {
	if !ValidKey(key) {
		return nil, ErrNotFound
	}
	f, err := os.Open(d.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("storage: disk open: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("storage: disk open: %w", err)
	}
	return diskObject{File: f, size: st.Size()}, nil
}

type diskObject struct {
	*os.File
	size int64
}

func (o diskObject) Size() int64 { return o.size }

// Delete implements Store.
func (d *Disk) Delete(_ context.Context, key string) error {
	if !ValidKey(key) {
		return nil
	}
	if err := os.Remove(d.path(key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("storage: disk delete: %w", err)
	}
	return nil
}

// Ping implements Store: the root must still be a writable directory.
func (d *Disk) Ping(context.Context) error {
	f, err := os.CreateTemp(d.tmpDir(), "ping-*")
	if err != nil {
		return fmt.Errorf("storage: disk: %w", err)
	}
	_ = f.Close()
	return os.Remove(f.Name())
}

// ctxReader stops a stream once ctx is done, so a cancelled request stops
// an upload even while the client keeps sending.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
