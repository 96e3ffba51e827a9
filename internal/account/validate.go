package account

import (
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/language"
)

// Length limits of account fields, in characters.
const (
	UsernameMinLen    = 3
	UsernameMaxLen    = 30
	EmailMaxLen       = 254
	DisplayNameMaxLen = 100
	BioMaxLen         = 2000
	AvatarURLMaxLen   = 2048
	PasswordMaxLen    = 256
	TokenNameMaxLen   = 100
)

var usernameRE = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9])?$`)

// reserved usernames would collide with routes or impersonate the system.
var reserved = map[string]bool{"me": true, "system": true, "anonymous": true, "guest": true, "api": true, "admin-api": true}

// usernameKey is the case-folded form that carries uniqueness.
func usernameKey(u string) string { return strings.ToLower(u) }

// emailKey is the case-folded form of an address that carries uniqueness.
func emailKey(e string) string { return strings.ToLower(e) }

func checkUsername(u string, problems map[string]string) {
	switch {
	case u == "":
		problems["username"] = "is required"
	case len(u) < UsernameMinLen || len(u) > UsernameMaxLen:
		problems["username"] = "must be 3 to 30 characters"
	case !usernameRE.MatchString(u):
		problems["username"] = "may contain only letters, digits, '_', '.' and '-', and must start and end with a letter or digit"
	case strings.Contains(u, "..") || strings.Contains(u, "__") || strings.Contains(u, "--"):
		problems["username"] = "may not repeat '.', '_' or '-'"
	case reserved[usernameKey(u)]:
		problems["username"] = "is reserved"
	}
}

func checkEmail(e string, problems map[string]string) {
	switch {
	case e == "":
		problems["email"] = "is required"
	case len(e) > EmailMaxLen:
		problems["email"] = "is too long"
	default:
		a, err := mail.ParseAddress(e)
		if err != nil || a.Address != e || !strings.Contains(e[strings.LastIndexByte(e, '@'):], ".") {
			problems["email"] = "is not a valid email address"
		}
	}
}

func checkPasswordRules(p string, minLen int, field string, problems map[string]string) {
	n := utf8.RuneCountInString(p)
	switch {
	case p == "":
		problems[field] = "is required"
	case n < minLen:
		problems[field] = "is too short"
	case len(p) > PasswordMaxLen:
		problems[field] = "is too long"
	}
}

// checkText validates free text: length in characters and no control
// characters other than newlines and tabs where multiline is allowed.
func checkText(field, v string, maxLen int, multiline bool, problems map[string]string) {
	if !utf8.ValidString(v) {
		problems[field] = "is not valid UTF-8"
		return
	}
	if utf8.RuneCountInString(v) > maxLen {
		problems[field] = "is too long"
		return
	}
	for _, r := range v {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\t' || r == '\r')) {
			problems[field] = "contains control characters"
			return
		}
	}
}

func checkAvatarURL(v string, problems map[string]string) {
	if v == "" {
		return
	}
	if len(v) > AvatarURLMaxLen {
		problems["avatar_url"] = "is too long"
		return
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		problems["avatar_url"] = "must be an absolute http or https URL"
	}
}

// normalizeLocale returns the canonical BCP 47 tag for v.
func normalizeLocale(v string, problems map[string]string) string {
	t, err := language.Parse(v)
	if err != nil || len(v) > 35 {
		problems["locale"] = "is not a valid language tag such as en or zh-CN"
		return v
	}
	return t.String()
}
