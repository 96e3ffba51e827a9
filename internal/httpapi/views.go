package httpapi

import (
	"time"

	"github.com/crn-dev/crn/ent"
)

// PublicUser is what anyone may see of an account.
type PublicUser struct {
	ID          int        `json:"id"`
	Username    string     `json:"username"`
	DisplayName string     `json:"display_name"`
	Bio         string     `json:"bio"`
	AvatarURL   string     `json:"avatar_url"`
	Role        string     `json:"role"`
	TrustLevel  int        `json:"trust_level"`
	CreatedAt   time.Time  `json:"created_at"`
	LastSeenAt  *time.Time `json:"last_seen_at"`
}

// Me is what a user sees of their own account: the public part plus
// private settings. CRM attributes are company data and are not shown here.
type Me struct {
	PublicUser
	Email  string `json:"email"`
	Locale string `json:"locale"`
	Status string `json:"status"`
	// GraphOptOut: the user is left out of others' relationship-graph results.
	GraphOptOut bool `json:"graph_opt_out"`
}

func publicUser(u *ent.User) PublicUser {
	return PublicUser{
		ID: u.ID, Username: u.Username, DisplayName: u.DisplayName, Bio: u.Bio, AvatarURL: u.AvatarURL,
		Role: string(u.Role), TrustLevel: u.TrustLevel, CreatedAt: u.CreatedAt.UTC(), LastSeenAt: utc(u.LastSeenAt),
	}
}

func me(u *ent.User) Me {
	return Me{PublicUser: publicUser(u), Email: u.Email, Locale: u.Locale, Status: string(u.Status), GraphOptOut: u.GraphOptOut}
}

// Token describes a session or API token without its secret.
type Token struct {
	ID         int        `json:"id"`
	Kind       string     `json:"kind"`
	Name       string     `json:"name"`
	UserAgent  string     `json:"user_agent"`
	IP         string     `json:"ip"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	Current    bool       `json:"current"`
}

func token(t *ent.AuthToken, currentID int) Token {
	return Token{
		ID: t.ID, Kind: string(t.Kind), Name: t.Name, UserAgent: t.UserAgent, IP: t.IP,
		CreatedAt: t.CreatedAt.UTC(), ExpiresAt: utc(t.ExpiresAt), LastUsedAt: utc(t.LastUsedAt), Current: t.ID == currentID,
	}
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
