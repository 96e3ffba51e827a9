package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crn-dev/crn/internal/database"
	"github.com/crn-dev/crn/internal/database/dbtest"
	"github.com/crn-dev/crn/internal/testenv"
)

// xmllint finds Debian's xmllint, installing libxml2-utils when it is
// missing (as the Makefile installs docker-compose). Locally a failed
// install skips; under CI it fails.
func xmllint(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("xmllint"); err == nil {
		return p
	}
	t.Log("installing xmllint (apt-get install libxml2-utils)")
	install := exec.Command("sh", "-c", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libxml2-utils")
	if out, err := install.CombinedOutput(); err != nil {
		if testenv.InCI() {
			t.Fatalf("installing xmllint: %v\n%s", err, out)
		}
		t.Skipf("xmllint is missing and could not be installed: %v", err)
	}
	p, err := exec.LookPath("xmllint")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestExportsValidateAgainstTheirSchemas(t *testing.T) {
	lint := xmllint(t)
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		f := bridged(t, db)
		// Names that need escaping, and every kind of tie.
		f.db.Client.User.UpdateOneID(f.users["a1"]).SetDisplayName(`Ann <"&'> 安`).ExecX(context.Background())
		for k := range numKinds {
			f.tie("a2", "b2", k, 2, 0)
		}
		for _, format := range []string{FormatGraphML, FormatGEXF} {
			var b bytes.Buffer
			if err := f.s.Export(context.Background(), f.viewer("staff"), format, 0, &b); err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(t.TempDir(), "export."+format)
			if err := os.WriteFile(file, b.Bytes(), 0o600); err != nil {
				t.Fatal(err)
			}
			xsd := map[string]string{FormatGraphML: "graphml.xsd", FormatGEXF: "gexf.xsd"}[format]
			out, err := exec.Command(lint, "--noout", "--nonet", "--schema", filepath.Join("testdata", "xsd", xsd), file).CombinedOutput()
			if err != nil {
				t.Fatalf("%s does not validate: %v\n%s\n%s", format, err, out, b.String())
			}
			if !strings.Contains(b.String(), "Ann &lt;&#34;&amp;&#39;&gt; 安") {
				t.Fatalf("%s: display name not escaped as expected:\n%s", format, b.String())
			}
			// 7 customers with ties (loner and staff have none), 9 ties.
			if n := strings.Count(b.String(), "<node "); n != 7 {
				t.Fatalf("%s: %d nodes", format, n)
			}
			if n := strings.Count(b.String(), "<edge "); n != 9 {
				t.Fatalf("%s: %d edges", format, n)
			}
		}
		var b bytes.Buffer
		if err := f.s.Export(context.Background(), f.viewer("staff"), FormatJSON, 0, &b); err != nil {
			t.Fatal(err)
		}
		var net Network
		if err := json.Unmarshal(b.Bytes(), &net); err != nil || len(net.Nodes) != 7 || len(net.Edges) != 9 {
			t.Fatalf("json export: %v %d nodes %d edges", err, len(net.Nodes), len(net.Edges))
		}
	})
}
