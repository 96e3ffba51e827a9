package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/field"
)

// Blob is one stored file content, addressed by its SHA-256: identical
// uploads share a blob. The bytes live in the storage backend under the hash.
type Blob struct {
	ent.Schema
}

// Fields of the Blob.
func (Blob) Fields() []ent.Field {
	return []ent.Field{
		field.String("sha256").MinLen(64).MaxLen(64).Unique().Immutable(),
		field.Int64("size").Min(0).Immutable(),
		// Sniffed from the content, never taken from the uploader.
		field.String("content_type").MaxLen(255).Immutable(),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}
