package storage

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"testing"
)

// backend is a Store under test with a view of what it holds.
type backend struct {
	Store
	// blobs lists the committed keys; temps lists temporary files or
	// objects (including unfinished multipart uploads) still present.
	blobs func(t *testing.T) []string
	temps func(t *testing.T) []string
}

// testContract runs the storage contract against a fresh backend per subtest.
func testContract(t *testing.T, open func(t *testing.T) backend) {
	ctx := context.Background()

	t.Run("PutOpenRoundTrip", func(t *testing.T) {
		b := open(t)
		content := []byte("hello, crn\n")
		got, err := b.Put(ctx, bytes.NewReader(content), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(content)
		if got.Key != hex.EncodeToString(sum[:]) || got.Size != int64(len(content)) || got.Existed {
			t.Fatalf("blob: %+v", got)
		}
		if got.ContentType != "text/plain; charset=utf-8" {
			t.Fatalf("content type %q", got.ContentType)
		}
		if data := readAll(t, b, got.Key); !bytes.Equal(data, content) {
			t.Fatalf("read %q", data)
		}
		assertKeys(t, b.blobs(t), got.Key)
		assertKeys(t, b.temps(t))
	})

	t.Run("ContentTypeIsSniffed", func(t *testing.T) {
		b := open(t)
		png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0}, 64)...)
		got, err := b.Put(ctx, bytes.NewReader(png), 1<<20)
		if err != nil || got.ContentType != "image/png" {
			t.Fatalf("png: %+v %v", got, err)
		}
		got, err = b.Put(ctx, strings.NewReader("<svg xmlns='http://www.w3.org/2000/svg'></svg>"), 1<<20)
		if err != nil || strings.HasPrefix(got.ContentType, "image/") {
			t.Fatalf("svg must not sniff as an image: %+v %v", got, err)
		}
	})

	t.Run("IdenticalContentIsStoredOnce", func(t *testing.T) {
		b := open(t)
		first, err := b.Put(ctx, strings.NewReader("same bytes"), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		second, err := b.Put(ctx, strings.NewReader("same bytes"), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		if second.Key != first.Key || !second.Existed {
			t.Fatalf("second put: %+v", second)
		}
		assertKeys(t, b.blobs(t), first.Key)
		assertKeys(t, b.temps(t))
	})

	t.Run("OverTheLimitKeepsNothing", func(t *testing.T) {
		b := open(t)
		_, err := b.Put(ctx, bytes.NewReader(make([]byte, 101)), 100)
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("want ErrTooLarge, got %v", err)
		}
		assertKeys(t, b.blobs(t))
		assertKeys(t, b.temps(t))
		// Exactly at the limit is fine.
		if _, err := b.Put(ctx, bytes.NewReader(make([]byte, 100)), 100); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("OverTheLimitPastOnePartKeepsNothing", func(t *testing.T) {
		b := open(t)
		// Larger than an S3 part, so the upload is multipart when it fails.
		_, err := b.Put(ctx, io.LimitReader(zeros{}, s3PartSize+1<<20), s3PartSize+1<<19)
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("want ErrTooLarge, got %v", err)
		}
		assertKeys(t, b.blobs(t))
		assertKeys(t, b.temps(t))
	})

	t.Run("BrokenStreamKeepsNothing", func(t *testing.T) {
		b := open(t)
		cut := errors.New("client went away")
		r := io.MultiReader(bytes.NewReader(make([]byte, s3PartSize+10)), errReader{cut})
		_, err := b.Put(ctx, r, 1<<30)
		if err == nil || errors.Is(err, ErrTooLarge) {
			t.Fatalf("want the stream's error, got %v", err)
		}
		assertKeys(t, b.blobs(t))
		assertKeys(t, b.temps(t))
	})

	t.Run("CancelledContextKeepsNothing", func(t *testing.T) {
		b := open(t)
		cctx, cancel := context.WithCancel(ctx)
		r := io.MultiReader(strings.NewReader("partial"), cancelReader{cancel}, strings.NewReader("rest"))
		if _, err := b.Put(cctx, r, 1<<20); err == nil {
			t.Fatal("a cancelled put succeeded")
		}
		assertKeys(t, b.blobs(t))
		assertKeys(t, b.temps(t))
	})

	t.Run("EmptyBlob", func(t *testing.T) {
		b := open(t)
		got, err := b.Put(ctx, strings.NewReader(""), 10)
		if err != nil || got.Size != 0 {
			t.Fatalf("%+v %v", got, err)
		}
		if data := readAll(t, b, got.Key); len(data) != 0 {
			t.Fatalf("read %q", data)
		}
	})

	t.Run("SeekReadsRanges", func(t *testing.T) {
		b := open(t)
		content := make([]byte, 300_000)
		for i := range content {
			content[i] = byte(i * 7)
		}
		got, err := b.Put(ctx, bytes.NewReader(content), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		o, err := b.Open(ctx, got.Key)
		if err != nil {
			t.Fatal(err)
		}
		defer o.Close()
		if o.Size() != int64(len(content)) {
			t.Fatalf("size %d", o.Size())
		}
		if end, err := o.Seek(0, io.SeekEnd); err != nil || end != int64(len(content)) {
			t.Fatalf("seek end: %d %v", end, err)
		}
		for _, r := range [][2]int{{1000, 2000}, {0, 10}, {299_990, 300_000}, {150_000, 150_001}} {
			if _, err := o.Seek(int64(r[0]), io.SeekStart); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, r[1]-r[0])
			if _, err := io.ReadFull(o, buf); err != nil {
				t.Fatalf("range %v: %v", r, err)
			}
			if !bytes.Equal(buf, content[r[0]:r[1]]) {
				t.Fatalf("range %v: wrong bytes", r)
			}
		}
	})

	t.Run("MissingAndMalformedKeys", func(t *testing.T) {
		b := open(t)
		for _, key := range []string{strings.Repeat("ab", 32), "../../etc/passwd", "", strings.Repeat("AB", 32)} {
			if _, err := b.Open(ctx, key); !errors.Is(err, ErrNotFound) {
				t.Errorf("open %q: want ErrNotFound, got %v", key, err)
			}
			if err := b.Delete(ctx, key); err != nil {
				t.Errorf("delete %q: %v", key, err)
			}
		}
	})

	t.Run("Delete", func(t *testing.T) {
		b := open(t)
		got, err := b.Put(ctx, strings.NewReader("to be removed"), 100)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Delete(ctx, got.Key); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Open(ctx, got.Key); !errors.Is(err, ErrNotFound) {
			t.Fatalf("open after delete: %v", err)
		}
		assertKeys(t, b.blobs(t))
	})

	t.Run("ConcurrentPuts", func(t *testing.T) {
		b := open(t)
		var wg sync.WaitGroup
		keys := make([]string, 8)
		errs := make([]error, 8)
		for i := range keys {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Half the writers share content with another writer.
				got, err := b.Put(ctx, strings.NewReader(fmt.Sprintf("content %d", i/2)), 100)
				keys[i], errs[i] = got.Key, err
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("put %d: %v", i, err)
			}
			if data := readAll(t, b, keys[i]); string(data) != fmt.Sprintf("content %d", i/2) {
				t.Fatalf("put %d reads %q", i, data)
			}
		}
		assertKeys(t, b.blobs(t), keys[0], keys[2], keys[4], keys[6])
		assertKeys(t, b.temps(t))
	})

	t.Run("Ping", func(t *testing.T) {
		if err := open(t).Ping(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

func readAll(t *testing.T, s Store, key string) []byte {
	t.Helper()
	o, err := s.Open(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	data, err := io.ReadAll(o)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func assertKeys(t *testing.T, got []string, want ...string) {
	t.Helper()
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("stored %v, want %v", got, want)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// cancelReader cancels the upload's context when the stream reaches it.
type cancelReader struct{ cancel context.CancelFunc }

func (r cancelReader) Read([]byte) (int, error) { r.cancel(); return 0, io.EOF }
