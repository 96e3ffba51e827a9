package account

import (
	"strings"
	"testing"
)

func TestHashAndVerify(t *testing.T) {
	p := HashParams{MemoryKiB: 64, Time: 1, Threads: 1}
	h, err := hashPassword(p, "pässwörd 密码")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("not a PHC argon2id string: %s", h)
	}
	h2, _ := hashPassword(p, "pässwörd 密码")
	if h == h2 {
		t.Fatal("two hashes of one password must differ (salt)")
	}
	if ok, err := verifyPassword(h, "pässwörd 密码"); !ok || err != nil {
		t.Fatalf("verify: %v %v", ok, err)
	}
	if ok, _ := verifyPassword(h, "password"); ok {
		t.Fatal("wrong password verified")
	}
	for _, bad := range []string{"", "$argon2i$v=19$m=64,t=1,p=1$AAAA$AAAA", "$argon2id$v=19$m=x$AA$AA", "$argon2id$v=19$m=64,t=1,p=1$!!$AAAA"} {
		if _, err := verifyPassword(bad, "x"); err == nil {
			t.Errorf("malformed hash %q accepted", bad)
		}
	}
}

func TestCSRFBoundToSession(t *testing.T) {
	a, b := CSRFToken("crn_one"), CSRFToken("crn_two")
	if a == b || !CheckCSRF("crn_one", a) || CheckCSRF("crn_two", a) || CheckCSRF("crn_one", "") {
		t.Fatal("CSRF token must be bound to its session")
	}
}
