package webui

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"strings"
	"testing"

	"github.com/crn-dev/crn/web"
)

// The vendored third-party files are exactly what scripts/vendor-web.sh
// fetched: each matches the SHA-256 its manifest records, and nothing else
// sits in the vendor directories.
func TestVendoredFilesMatchTheirManifest(t *testing.T) {
	for _, dir := range []fs.FS{mustSub(t, web.Static(), "vendor"), os.DirFS("testdata/vendor")} {
		manifest, err := fs.ReadFile(dir, "VENDOR.txt")
		if err != nil {
			t.Fatal(err)
		}
		listed := map[string]bool{"VENDOR.txt": true}
		sc := bufio.NewScanner(bytes.NewReader(manifest))
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			f := strings.Fields(line)
			if len(f) != 4 {
				t.Fatalf("manifest line %q: want name version file sha256", line)
			}
			b, err := fs.ReadFile(dir, f[2])
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(b)
			if got := hex.EncodeToString(sum[:]); got != f[3] {
				t.Errorf("%s (%s %s): sha256 %s, manifest says %s", f[2], f[0], f[1], got, f[3])
			}
			listed[f[2]] = true
		}
		entries, err := fs.ReadDir(dir, ".")
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if !listed[e.Name()] {
				t.Errorf("%s is in a vendor directory but not in its manifest", e.Name())
			}
		}
	}
}

func mustSub(t *testing.T, f fs.FS, dir string) fs.FS {
	s, err := fs.Sub(f, dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
