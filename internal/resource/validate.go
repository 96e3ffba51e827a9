package resource

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/crn-dev/crn/internal/apperr"
)

// checkText validates free text by length in characters; multiline allows
// newlines and tabs.
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
		problems[field] = "is too short (at least " + strconv.Itoa(minLen) + " characters)"
		return
	case n > maxLen:
		problems[field] = "is too long (at most " + strconv.Itoa(maxLen) + " characters)"
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
		problems["tags"] = "at most " + strconv.Itoa(s.limits.TagsMax) + " tags"
		return nil
	}
	seen := map[string]bool{}
	out := []string{}
	for _, t := range in {
		t = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(t), "#")))
		if t == "" || utf8.RuneCountInString(t) > s.limits.TagMax || !tagRE.MatchString(t) {
			problems["tags"] = "tags are 1 to " + strconv.Itoa(s.limits.TagMax) + " letters, digits, '-' or '_'"
			return nil
		}
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

// checkURL accepts absolute http and https URLs only: javascript:, data:,
// ftp: and relative links are refused.
func (s *Service) checkURL(raw string, problems map[string]string) string {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	switch {
	case raw == "":
		problems["url"] = "is required for a link"
	case len(raw) > s.limits.URLMax:
		problems["url"] = "is too long (at most " + strconv.Itoa(s.limits.URLMax) + " bytes)"
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil:
		problems["url"] = "must be an absolute http or https URL without credentials"
	case strings.ContainsFunc(raw, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }):
		problems["url"] = "must not contain spaces or control characters"
	default:
		return u.String()
	}
	return ""
}

// cleanFilename reduces a client's file name to a safe base name: no
// directories (either separator), no leading dots, no control characters,
// valid UTF-8, at most max bytes. The name is only a label (contents are
// stored by hash), but it ends up in Content-Disposition headers.
func cleanFilename(name string, max int) string {
	name = strings.ToValidUTF8(name, "_")
	name = path.Base(strings.ReplaceAll(name, `\`, "/"))
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '"' {
			return -1
		}
		return r
	}, name)
	name = strings.TrimLeft(strings.TrimSpace(name), ".")
	for len(name) > max {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	if name == "" || name == "/" {
		return "file"
	}
	return name
}

// cursor is an opaque position in a listing; the sort it belongs to is
// inside, so a cursor from one listing cannot be replayed against another.
type cursor struct {
	Sort string `json:"s"`
	Key  int64  `json:"k"`
	ID   int    `json:"i"`
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
