package group

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/crn-dev/crn/ent/forum"
	"github.com/crn-dev/crn/ent/group"
	"github.com/crn-dev/crn/ent/predicate"
	"github.com/crn-dev/crn/internal/apperr"
)

var slugRE = regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`)

func checkText(field, v string, maxLen int, required, multiline bool, problems map[string]string) {
	if !utf8.ValidString(v) {
		problems[field] = "is not valid UTF-8"
		return
	}
	n := utf8.RuneCountInString(strings.TrimSpace(v))
	switch {
	case n == 0 && required:
		problems[field] = "is required"
		return
	case n > maxLen:
		problems[field] = fmt.Sprintf("is too long (at most %d characters)", maxLen)
		return
	}
	for _, r := range v {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\t' || r == '\r')) {
			problems[field] = "contains control characters"
			return
		}
	}
}

func checkInput(in Input, creating bool) map[string]string {
	problems := map[string]string{}
	if creating && in.Name == nil {
		problems["name"] = "is required"
	}
	if in.Name != nil {
		checkText("name", *in.Name, NameMax, true, false, problems)
	}
	if in.Slug != nil && (len(*in.Slug) > 64 || !slugRE.MatchString(*in.Slug)) {
		problems["slug"] = "must be 1 to 64 lowercase letters, digits and single dashes"
	}
	if in.Description != nil {
		checkText("description", *in.Description, DescriptionMax, false, true, problems)
	}
	if in.AvatarURL != nil && *in.AvatarURL != "" {
		u, err := url.Parse(*in.AvatarURL)
		if len(*in.AvatarURL) > AvatarURLMax || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			problems["avatar_url"] = fmt.Sprintf("must be an http or https URL of at most %d bytes", AvatarURLMax)
		}
	}
	if in.Visibility != nil && group.VisibilityValidator(group.Visibility(*in.Visibility)) != nil {
		problems["visibility"] = "must be public, restricted or private"
	}
	return problems
}

// slugify derives a URL slug from a name; names in other scripts fall back to "group".
func slugify(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
	}
	s := strings.Trim(b.String(), "-")
	if len(s) > 50 {
		s = strings.Trim(s[:50], "-")
	}
	if s == "" {
		s = "group"
	}
	return s
}

func slugTaken() error {
	e := apperr.Conflict("slug_taken", "another group has that slug")
	e.Fields = map[string]string{"slug": "is already used"}
	return e
}

// forumInGroup selects a group's live forums.
func forumInGroup(groupID int) predicate.Forum {
	return forum.And(forum.GroupID(groupID), forum.DeletedAtIsNil())
}
