package storage

import (
	"os"
	"path/filepath"
	"testing"
)

func TestDiskContract(t *testing.T) {
	testContract(t, func(t *testing.T) backend {
		d, err := NewDisk(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return backend{
			Store: d,
			blobs: func(t *testing.T) []string {
				var keys []string
				err := filepath.WalkDir(filepath.Join(d.Root(), "blobs"), func(p string, e os.DirEntry, err error) error {
					if err == nil && !e.IsDir() {
						keys = append(keys, e.Name())
					}
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
				return keys
			},
			temps: func(t *testing.T) []string { return dirNames(t, filepath.Join(d.Root(), "tmp")) },
		}
	})
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestDiskRemovesLeftoverTempFilesOnOpen(t *testing.T) {
	dir := t.TempDir()
	if _, err := NewDisk(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tmp", "upload-crashed"), []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := NewDisk(dir); err != nil {
		t.Fatal(err)
	}
	if names := dirNames(t, filepath.Join(dir, "tmp")); len(names) != 0 {
		t.Fatalf("left over: %v", names)
	}
}
