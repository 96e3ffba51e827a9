package discovery_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/crn-dev/crn/internal/config"
	"github.com/crn-dev/crn/internal/discovery"
	"github.com/crn-dev/crn/internal/resource"
)

// Resources are indexed from their events, filtered by visibility, and
// dropped from results once deleted; a rebuild brings them back.
func TestResourcesAreSearchable(t *testing.T) {
	for name, configure := range backends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			cfg := config.Default()
			cfg.DataDir = t.TempDir()
			configure(&cfg)
			w := newWorld(t, cfg)
			rs := w.a.Resources
			guide, err := rs.Create(ctx, w.actors["alice"], resource.Input{Kind: ptr("guide"), Title: ptr("Onboarding checklist"),
				Description: ptr("Steps for **quarterly** invoicing"), Tags: ptr([]string{"billing"})}, nil)
			if err != nil {
				t.Fatal(err)
			}
			file, err := rs.Create(ctx, w.actors["alice"], resource.Input{Kind: ptr("file"), Title: ptr("Members price sheet"), Visibility: ptr("members")},
				&resource.Upload{Filename: "tariffs.csv", Body: strings.NewReader("a,b\n")})
			if err != nil {
				t.Fatal(err)
			}
			w.drain()
			gid, fid := fmt.Sprintf("resource-%d", guide.ID), fmt.Sprintf("resource-%d", file.ID)
			onlyResources := discovery.Params{Types: []string{"resource"}}
			if ids := w.find("guest", "quarterly", onlyResources); len(ids) != 1 || ids[0] != gid {
				t.Fatalf("guest finds %v", ids)
			}
			if ids := w.find("guest", "tariffs", onlyResources); len(ids) != 0 {
				t.Fatalf("a guest finds a members-only resource: %v", ids)
			}
			if ids := w.find("bob", "tariffs", onlyResources); len(ids) != 1 || ids[0] != fid {
				t.Fatalf("member finds %v", ids)
			}
			if ids := w.find("bob", "", discovery.Params{Types: []string{"resource"}, Tags: []string{"billing"}}); len(ids) != 1 || ids[0] != gid {
				t.Fatalf("by tag: %v", ids)
			}

			if _, err := rs.Update(ctx, w.actors["alice"], guide.ID, resource.Input{Title: ptr("Offboarding checklist")}); err != nil {
				t.Fatal(err)
			}
			if err := rs.Delete(ctx, w.actors["alice"], file.ID); err != nil {
				t.Fatal(err)
			}
			w.drain()
			if ids := w.find("bob", "offboarding", onlyResources); len(ids) != 1 {
				t.Fatalf("after rename: %v", ids)
			}
			if ids := w.find("bob", "tariffs", onlyResources); len(ids) != 0 {
				t.Fatalf("a deleted resource is found: %v", ids)
			}

			// Hidden by moderation (wired by internal/app): found by nobody,
			// the owner included, until shown again.
			if err := w.a.Moderation.HideResource(ctx, w.actors["admin"], guide.ID, "spam"); err != nil {
				t.Fatal(err)
			}
			w.drain()
			for _, who := range []string{"guest", "bob", "alice"} {
				if ids := w.find(who, "offboarding", onlyResources); len(ids) != 0 {
					t.Fatalf("%s finds a hidden resource: %v", who, ids)
				}
			}
			if err := w.a.Moderation.UnhideResource(ctx, w.actors["admin"], guide.ID, "fine"); err != nil {
				t.Fatal(err)
			}
			w.drain()
			if ids := w.find("guest", "offboarding", onlyResources); len(ids) != 1 {
				t.Fatalf("after unhide: %v", ids)
			}

			sum, err := w.a.Indexer.Reindex(ctx, nil)
			if err != nil || sum.Resources != 2 {
				t.Fatalf("reindex: %v %v", sum, err)
			}
			if ids := w.find("guest", "offboarding", onlyResources); len(ids) != 1 || ids[0] != gid {
				t.Fatalf("after reindex: %v", ids)
			}
		})
	}
}
