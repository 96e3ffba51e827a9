package forum

import (
	"context"
	"hash/fnv"
	"strings"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/hook"
)

// BodyHash is what the duplicate-post check compares: a 64-bit FNV-1a hash
// of the text with case folded and every run of spacing made one space, so
// "Same  TEXT" and "same text" hash alike. Posts store it (body_hash), kept
// by a hook on every write of the source.
func BodyHash(source string) int64 {
	h := fnv.New64a()
	for i, w := range strings.Fields(strings.ToLower(source)) {
		if i > 0 {
			h.Write([]byte{' '})
		}
		h.Write([]byte(w))
	}
	return int64(h.Sum64())
}

// hashBodies sets body_hash whenever a mutation sets a post's source:
// creates, edits and bulk writes alike, whoever makes them.
func hashBodies(next ent.Mutator) ent.Mutator {
	return hook.PostFunc(func(ctx context.Context, m *ent.PostMutation) (ent.Value, error) {
		if src, ok := m.Source(); ok {
			m.SetBodyHash(BodyHash(src))
		}
		return next.Mutate(ctx, m)
	})
}
