package seed

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/forum"
)

// Follows is what the seed needs of the graph service.
type Follows interface {
	Follow(ctx context.Context, a authz.Actor, username string, on bool) error
	Following(ctx context.Context, followerID, followeeID int) (bool, error)
}

// Demo graph shape: four clusters of customers (two per language), one hub
// in each that the others follow and mention, and three bridges who talk in
// two clusters, so the graph endpoints have structure to show.
const (
	demoClusters       = 4
	demoClusterThreads = 20
)

// DemoGraph adds the follows and the clustered conversations that give the
// demo relationship graph its shape. It does nothing when the first hub is
// followed already.
func DemoGraph(ctx context.Context, accounts Accounts, forums Forums, follows Follows, clock *Clock) (int, error) {
	people := demoPeople()
	var cast []*ent.User
	var actors []authz.Actor
	for _, p := range people[len(staff()):] {
		u, err := accounts.ByUsername(ctx, p.Username)
		if err != nil {
			return 0, fmt.Errorf("seed graph: run the user seed first: %w", err)
		}
		a, err := forums.Actor(ctx, u)
		if err != nil {
			return 0, err
		}
		cast, actors = append(cast, u), append(actors, a)
	}
	// Clusters: English customers split in two, Chinese customers in two.
	var en, zh []int
	for i, u := range cast {
		if u.Locale == "en" {
			en = append(en, i)
		} else {
			zh = append(zh, i)
		}
	}
	clusters := [][]int{en[:len(en)/2], en[len(en)/2:], zh[:len(zh)/2], zh[len(zh)/2:]}
	hub := func(c int) int { return clusters[c][0] }
	if ok, err := follows.Following(ctx, cast[clusters[0][1]].ID, cast[hub(0)].ID); err != nil || ok {
		return 0, err
	}
	// Bridges: the last member of cluster 0 also talks in cluster 1, the last
	// of cluster 2 in cluster 3, and one of cluster 1 in cluster 2 (across
	// languages).
	bridges := map[int][]int{1: {clusters[0][len(clusters[0])-1]}, 3: {clusters[2][len(clusters[2])-1]}, 2: {clusters[1][len(clusters[1])-1]}}

	admin, err := accounts.ByUsername(ctx, "admin")
	if err != nil {
		return 0, err
	}
	adminActor, err := forums.Actor(ctx, admin)
	if err != nil {
		return 0, err
	}
	all, err := forums.Forums(ctx, adminActor)
	if err != nil {
		return 0, err
	}
	bySlug := map[string]*ent.Forum{}
	for _, f := range all {
		bySlug[f.Slug] = f
	}
	forumOf := []string{"product-help", "integrations", "zh", "zh"}
	rng := rand.New(rand.NewPCG(2026, 7))
	made := 0
	follow := func(a, b int) error {
		if a == b {
			return nil
		}
		made++
		return follows.Follow(ctx, actors[a], cast[b].Username, true)
	}
	for c, members := range clusters {
		for _, m := range members {
			if err := follow(m, hub(c)); err != nil {
				return made, err
			}
			for range 4 {
				if err := follow(m, members[rng.IntN(len(members))]); err != nil {
					return made, err
				}
			}
		}
		for _, b := range bridges[c] {
			if err := follow(b, hub(c)); err != nil {
				return made, err
			}
		}
		f := bySlug[forumOf[c]]
		if f == nil {
			return made, fmt.Errorf("seed graph: forum %s missing; run the community seed first", forumOf[c])
		}
		talkers := append(append([]int{}, members...), bridges[c]...)
		for t := range demoClusterThreads {
			if err := clusterThread(ctx, forums, rng, clock, f.ID, cast, actors, talkers, hub(c), c, t); err != nil {
				return made, err
			}
		}
	}
	return made, nil
}

// clusterThread is one conversation among a cluster: members reply to each
// other, ask the hub, and react to what helped.
func clusterThread(ctx context.Context, forums Forums, rng *rand.Rand, clock *Clock, forumID int, cast []*ent.User, actors []authz.Actor, talkers []int, hub, c, t int) error {
	zh := cast[hub].Locale != "en"
	title, replies := topicsEN, repliesEN
	if zh {
		title, replies = topicsZH, repliesZH
	}
	author := talkers[rng.IntN(len(talkers))]
	clock.advance(time.Duration(30+rng.IntN(120)) * time.Minute)
	tv, first, err := forums.CreateTopic(ctx, actors[author], forumID, forum.TopicInput{
		Title: fmt.Sprintf("%s (group %d, #%d)", title[rng.IntN(len(title))], c+1, t+1),
		Body:  fmt.Sprintf("@%s %s", cast[hub].Username, replies[rng.IntN(len(replies))]), Kind: "question",
	})
	if err != nil {
		return fmt.Errorf("seed graph topic: %w", err)
	}
	posts := []*ent.Post{first}
	for i := range 4 + rng.IntN(6) {
		who := talkers[rng.IntN(len(talkers))]
		if i%3 == 0 {
			who = hub // the hub answers often
		}
		clock.advance(time.Duration(1+rng.IntN(40)) * time.Minute)
		p, err := forums.CreatePost(ctx, actors[who], tv.ID, forum.PostInput{
			Body: replies[rng.IntN(len(replies))], ReplyTo: posts[rng.IntN(len(posts))].ID,
		})
		if apperr.Is(err, apperr.KindForbidden) {
			continue
		}
		if err != nil {
			return fmt.Errorf("seed graph reply: %w", err)
		}
		posts = append(posts, p)
	}
	for _, p := range posts[1:] {
		for range 1 + rng.IntN(3) {
			who := talkers[rng.IntN(len(talkers))]
			if cast[who].ID == p.UserID {
				continue
			}
			if _, err := forums.React(ctx, actors[who], p.ID, forum.ReactionKinds[rng.IntN(len(forum.ReactionKinds))], true); err != nil {
				return fmt.Errorf("seed graph reaction: %w", err)
			}
		}
	}
	if len(posts) > 1 {
		if _, err := forums.AcceptAnswer(ctx, actors[author], tv.ID, posts[1+rng.IntN(len(posts)-1)].ID); err != nil &&
			!apperr.Is(err, apperr.KindForbidden) {
			return fmt.Errorf("seed graph accept: %w", err)
		}
	}
	return nil
}
