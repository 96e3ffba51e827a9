package storage

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"testing"
)

// benchStores returns the backends to measure: disk always, S3 (the MinIO
// of make test) when configured.
func benchStores(b *testing.B) map[string]Store {
	d, err := NewDisk(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	stores := map[string]Store{"disk": d}
	if s := newBenchS3(b); s != nil {
		stores["s3"] = s
	}
	return stores
}

// uniqueReader yields size bytes that differ per call (a counter in the
// first bytes), so every Put stores new content instead of deduplicating.
func uniqueReader(size int64, n uint64) io.Reader {
	var head [8]byte
	binary.BigEndian.PutUint64(head[:], n)
	return io.MultiReader(io.LimitReader(constReader(head[:]), 8), io.LimitReader(zeros{}, size-8))
}

type constReader []byte

func (c constReader) Read(p []byte) (int, error) { return copy(p, c), nil }

// BenchmarkPut streams uploads of new content: hashing, the temporary
// write and the commit under the content address.
func BenchmarkPut(b *testing.B) {
	ctx := context.Background()
	var salt [8]byte
	_, _ = rand.Read(salt[:])
	for name, s := range benchStores(b) {
		for _, size := range []int64{64 << 10, 1 << 20, 16 << 20} {
			b.Run(fmt.Sprintf("%s/%dKiB", name, size>>10), func(b *testing.B) {
				b.SetBytes(size)
				n := binary.BigEndian.Uint64(salt[:])
				for b.Loop() {
					n++
					if _, err := s.Put(ctx, uniqueReader(size, n), size); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkRangeRead reads 64 KiB at a random offset of a 16 MiB blob, as a
// Range request does: open, seek, read.
func BenchmarkRangeRead(b *testing.B) {
	ctx := context.Background()
	const size, chunk = 16 << 20, 64 << 10
	for name, s := range benchStores(b) {
		blob, err := s.Put(ctx, uniqueReader(size, 1), size)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(chunk)
			buf := make([]byte, chunk)
			var off [8]byte
			for b.Loop() {
				_, _ = rand.Read(off[:])
				o, err := s.Open(ctx, blob.Key)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := o.Seek(int64(binary.BigEndian.Uint64(off[:])%(size-chunk)), io.SeekStart); err != nil {
					b.Fatal(err)
				}
				if _, err := io.ReadFull(o, buf); err != nil {
					b.Fatal(err)
				}
				_ = o.Close()
			}
		})
	}
}
