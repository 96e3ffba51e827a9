package forum

import (
	"encoding/base64"
	"encoding/json"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/crn-dev/crn/ent/predicate"
	"github.com/crn-dev/crn/ent/user"
	"github.com/crn-dev/crn/internal/apperr"
)

func userIDIs(id int) predicate.User { return user.ID(id) }

// checkText validates free text by length in characters; multiline allows newlines and tabs.
func checkText(field, v string, minLen, maxLen int, multiline bool, problems map[string]string) {
	if !utf8.ValidString(v) {
		problems[field] = "is not valid UTF-8"
		return
	}
	n := utf8.RuneCountInString(strings.TrimSpace(v))
	switch {
	case n < minLen && minLen == 1:
		problems[field] = "is required"
		return
	case n < minLen:
		problems[field] = "is too short (at least " + itoa(minLen) + " characters)"
		return
	case n > maxLen:
		problems[field] = "is too long (at most " + itoa(maxLen) + " characters)"
		return
	}
	for _, r := range v {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\t' || r == '\r')) {
			problems[field] = "contains control characters"
			return
		}
	}
}

var tagRE = regexp.MustCompile(`^[\p{L}\p{N}][\p{L}\p{N}_-]*$`)

// normalizeTags lowercases, trims and deduplicates tags, reporting bad ones.
func (s *Service) normalizeTags(in []string, problems map[string]string) []string {
	if len(in) > s.limits.TagsMax {
		problems["tags"] = "at most " + itoa(s.limits.TagsMax) + " tags"
		return nil
	}
	seen := map[string]bool{}
	var out []string
	for _, t := range in {
		t = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(t), "#")))
		if t == "" || utf8.RuneCountInString(t) > s.limits.TagMax || !tagRE.MatchString(t) {
			problems["tags"] = "tags are 1 to " + itoa(s.limits.TagMax) + " letters, digits, '-' or '_'"
			return nil
		}
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

var slugRE = regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`)

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// cursor is an opaque position in a listing. The sort it belongs to is
// inside, so a cursor from one listing cannot be replayed against another.
type cursor struct {
	Sort  string `json:"s"`
	Key   int64  `json:"k"`
	ID    int    `json:"i"`
	Since int64  `json:"p,omitempty"`
}

func (c cursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s, sort string) (cursor, error) {
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) > 256 || json.Unmarshal(b, &c) != nil || c.Sort != sort || c.ID <= 0 {
		return cursor{}, apperr.Invalid("invalid_cursor", "the cursor is malformed or belongs to another listing; start again without it")
	}
	return c, nil
}

func (s *Service) pageSize(limit int) int {
	switch {
	case limit <= 0:
		return s.limits.PageSize
	case limit > s.limits.PageMax:
		return s.limits.PageMax
	}
	return limit
}
