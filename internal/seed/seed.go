// Package seed builds a realistic demo community for demos and benchmarks.
// It is deterministic (a fixed random seed) and idempotent: running it again
// adds nothing that is already there. Each domain adds its part as it lands.
package seed

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/internal/account"
	"github.com/crn-dev/crn/internal/apperr"
)

// DemoPassword is the password of every demo account.
const DemoPassword = "crn-demo-password"

// Customers is how many demo customers Demo creates.
const Customers = 100

// Summary counts what a seed run created and what it found already there.
type Summary struct {
	UsersCreated, UsersExisting int
}

func (s Summary) String() string {
	return fmt.Sprintf("users: %d created, %d already present", s.UsersCreated, s.UsersExisting)
}

// Accounts is what the seed needs of the account service.
type Accounts interface {
	CreateUser(ctx context.Context, in account.NewUser) (*ent.User, error)
	ByUsername(ctx context.Context, username string) (*ent.User, error)
	LinkCRM(ctx context.Context, userID int, l account.CRMLink) (*ent.User, error)
}

// Demo creates the demo community: staff accounts (admin, moderator,
// product) and Customers customers, half with Chinese names, each linked to
// a CRM record with company, plan and ARR.
func Demo(ctx context.Context, accounts Accounts, progress func(done, total int)) (Summary, error) {
	people := demoPeople()
	var sum Summary
	for i, p := range people {
		if progress != nil {
			progress(i, len(people))
		}
		if _, err := accounts.ByUsername(ctx, p.Username); err == nil {
			sum.UsersExisting++
			continue
		} else if !apperr.Is(err, apperr.KindNotFound) {
			return sum, err
		}
		u, err := accounts.CreateUser(ctx, p.NewUser)
		if err != nil {
			return sum, fmt.Errorf("seed user %s: %w", p.Username, err)
		}
		if p.crm != nil {
			ext := p.externalID
			if _, err := accounts.LinkCRM(ctx, u.ID, account.CRMLink{ExternalID: &ext, Attributes: p.crm}); err != nil {
				return sum, fmt.Errorf("seed crm %s: %w", p.Username, err)
			}
		}
		sum.UsersCreated++
	}
	if progress != nil {
		progress(len(people), len(people))
	}
	return sum, nil
}

// demoPeople is every demo account, staff first, always the same.
func demoPeople() []person {
	rng := rand.New(rand.NewPCG(2026, 11))
	people := staff()
	for i := range Customers {
		people = append(people, customer(rng, i))
	}
	return people
}

type person struct {
	account.NewUser
	externalID string
	crm        map[string]any
}

func staff() []person {
	mk := func(username, name, role string) person {
		return person{NewUser: account.NewUser{
			Username: username, Email: username + "@demo.crn.example", Password: DemoPassword,
			DisplayName: name, Role: role, Locale: "en",
		}}
	}
	return []person{
		mk("admin", "Community Admin", account.RoleAdmin),
		mk("moderator", "Mo Derator", account.RoleModerator),
		mk("product", "Pat Product", account.RoleStaff),
	}
}

var (
	familyZH = []string{"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭"}
	givenZH  = []string{"伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "晓东", "子涵"}
	pinyin   = map[string]string{"王": "wang", "李": "li", "张": "zhang", "刘": "liu", "陈": "chen", "杨": "yang", "黄": "huang", "赵": "zhao", "吴": "wu", "周": "zhou", "徐": "xu", "孙": "sun", "马": "ma", "朱": "zhu", "胡": "hu", "郭": "guo"}
	firstEN  = []string{"Alice", "Ben", "Chloe", "David", "Emma", "Felix", "Grace", "Hugo", "Iris", "Jack", "Kate", "Liam", "Maya", "Noah", "Olivia", "Paul", "Quinn", "Rosa", "Sam", "Tara"}
	lastEN   = []string{"Smith", "Jones", "Taylor", "Brown", "Wilson", "Evans", "Thomas", "Roberts", "Walker", "Wright", "Hall", "Green", "Baker", "Clarke", "Lewis"}
	company  = []string{"Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark Industries", "Wayne Enterprises", "Tyrell", "Soylent", "Cyberdyne", "阿里巴巴", "华为", "腾讯", "小米", "字节跳动", "美团"}
	plans    = []struct {
		name     string
		arrFloor int
	}{{"free", 0}, {"starter", 1200}, {"pro", 12000}, {"enterprise", 120000}}
)

func customer(rng *rand.Rand, i int) person {
	var p person
	if i%2 == 0 {
		fam := familyZH[rng.IntN(len(familyZH))]
		given := givenZH[rng.IntN(len(givenZH))]
		p.DisplayName = fam + given
		p.Username = fmt.Sprintf("%s%03d", pinyin[fam], i)
		p.Locale = "zh-CN"
	} else {
		first, last := firstEN[rng.IntN(len(firstEN))], lastEN[rng.IntN(len(lastEN))]
		p.DisplayName = first + " " + last
		p.Username = fmt.Sprintf("%s.%s%03d", lowerASCII(first), lowerASCII(last), i)
		p.Locale = "en"
	}
	p.Email = p.Username + "@customers.demo.crn.example"
	p.Password = DemoPassword
	p.Role = account.RoleMember
	plan := plans[rng.IntN(len(plans))]
	p.externalID = fmt.Sprintf("CRM-%05d", 10000+i)
	p.crm = map[string]any{
		"company": company[rng.IntN(len(company))],
		"plan":    plan.name,
		"arr":     plan.arrFloor + rng.IntN(plan.arrFloor+1),
		"region":  []string{"APAC", "EMEA", "AMER"}[rng.IntN(3)],
	}
	return p
}

func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
