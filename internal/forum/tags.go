package forum

import (
	"context"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/predicate"
	"github.com/crn-dev/crn/ent/tag"
	"github.com/crn-dev/crn/ent/topic"
	"github.com/crn-dev/crn/internal/apperr"
)

// NormalizeTags lowercases, trims and deduplicates tags under the forum's
// limits; it fails with a validation error naming field.
func (s *Service) NormalizeTags(field string, in []string) ([]string, error) {
	problems := map[string]string{}
	out := s.normalizeTags(in, problems)
	if msg, bad := problems["tags"]; bad {
		return nil, apperr.Validation(map[string]string{field: msg})
	}
	return out, nil
}

// SetTopicTags replaces a topic's tags inside tx, keeping the tags' topic
// counts right. Names must come from NormalizeTags. It is for services that
// decide authorization themselves (feedback areas are set by staff); it
// records no event, the caller records its own.
func SetTopicTags(ctx context.Context, tx *ent.Tx, topicID int, names []string) error {
	old, err := tx.Topic.Query().Where(topicIDIs(topicID)).QueryTags().IDs(ctx)
	if err != nil {
		return err
	}
	if len(old) > 0 {
		if err := tx.Tag.Update().Where(tag.IDIn(old...)).AddTopicCount(-1).Exec(ctx); err != nil {
			return err
		}
	}
	ids, err := ensureTags(ctx, tx, names)
	if err != nil {
		return err
	}
	return tx.Topic.UpdateOneID(topicID).ClearTags().AddTagIDs(ids...).Exec(ctx)
}

func topicIDIs(id int) predicate.Topic { return topic.ID(id) }
