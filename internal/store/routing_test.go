package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/account"
	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/scim"
	"github.com/driftwood-chat/driftwood/internal/team"

	"github.com/driftwood-chat/driftwood/internal/conversation"
	"github.com/driftwood-chat/driftwood/internal/routing"
	"github.com/driftwood-chat/driftwood/internal/store"
	"github.com/driftwood-chat/driftwood/internal/store/postgres"
	"github.com/driftwood-chat/driftwood/internal/store/sqlite"
	"github.com/driftwood-chat/driftwood/internal/store/storetest"
	"github.com/driftwood-chat/driftwood/internal/user"
)

// replicas opens the same new database twice, as two servers would.
func replicas(t *testing.T, b storetest.Backend) (*store.DB, *store.DB) {
	t.Helper()
	dsn := b.DSN(t)
	open := func() *store.DB {
		var db *store.DB
		var err error
		if b.Name == "sqlite" {
			db, err = sqlite.Open(dsn[len("sqlite:"):])
		} else {
			db, err = postgres.Open(context.Background(), dsn)
		}
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	one := open()
	if _, err := one.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return one, open()
}

// awayAll sets the org's people away, so that only the agents a test
// creates take chats.
func awayAll(t *testing.T, db *store.DB, orgID int64) {
	t.Helper()
	us, err := db.ListUsers(context.Background(), orgID)
	if err != nil {
		t.Fatal(err)
	}
	away := user.Offline
	for _, u := range us {
		if !u.Bot {
			if _, err := db.UpdateUser(context.Background(), orgID, u.ID, user.Patch{Availability: &away}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// assignedOnce checks that each assigned conversation of the org was
// assigned once (one conversation_participant_added naming one of agents
// each) and returns how many are assigned.
func assignedOnce(t *testing.T, db *store.DB, orgID int64, agents []int64) int {
	t.Helper()
	var added, assigned int
	w, _ := db.Pools()
	rows, err := w.Query(`SELECT data FROM events WHERE org_id = $1 AND type = 'conversation_participant_added'`, orgID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var data string
		var p struct{ AddedParticipants []int64 }
		if err := rows.Scan(&data); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(data), &p); err != nil {
			t.Fatal(err)
		}
		for _, id := range p.AddedParticipants {
			if slices.Contains(agents, id) {
				added++
			}
		}
	}
	rows.Close()
	if err := w.QueryRow(`SELECT COUNT(*) FROM conversations WHERE org_id = $1 AND assignee_id <> 0`, orgID).Scan(&assigned); err != nil {
		t.Fatal(err)
	}
	if added != assigned {
		t.Fatalf("%d participant_added events for %d assigned conversations", added, assigned)
	}
	return assigned
}

// startVisitors starts n visitors' conversations at once, visitor i on
// replica dbs[i%len(dbs)] from country(i), and returns each conversation's
// country by id.
func startVisitors(t *testing.T, dbs []*store.DB, orgID int64, n int, country func(i int) string) map[int64]string {
	t.Helper()
	ctx := context.Background()
	var wg sync.WaitGroup
	var mu sync.Mutex
	countries := map[int64]string{}
	errs := make(chan error, n)
	for i := range n {
		db := dbs[i%len(dbs)]
		wg.Go(func() {
			s, err := db.CreateVisitorSession(ctx, orgID, fmt.Sprintf("visitor-%d", i))
			if err != nil {
				errs <- err
				return
			}
			c, _, err := db.StartVisitorConversation(ctx, orgID, s, conversation.Start{Body: "hello", Country: country(i)})
			if err == nil {
				mu.Lock()
				countries[c.ID] = country(i)
				mu.Unlock()
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return countries
}

// Concurrent visitors on two replicas: no conversation is assigned twice,
// no agent goes over capacity, the rest wait in the queue oldest first,
// and the queue drains as conversations close.
func TestRouting_TwoReplicasConcurrentVisitors(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		a, bb := replicas(t, b)
		o, err := a.CreateOrg(ctx, "Routing")
		if err != nil {
			t.Fatal(err)
		}
		awayAll(t, a, o.ID) // only these agents take chats
		const agents, capacity, visitors = 3, 2, 10
		caps := map[string]int{}
		for i := range agents {
			u := &user.User{OrgID: o.ID, Name: fmt.Sprintf("Agent %d", i), Email: fmt.Sprintf("agent%d@x.example", i), Role: "agent"}
			if err := a.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
			caps[fmt.Sprint(u.ID)] = capacity
		}
		on := true
		if _, err := a.UpdateRouting(ctx, o.ID, routing.Patch{RouteNewConversations: &on, Capacities: caps}); err != nil {
			t.Fatal(err)
		}
		startVisitors(t, []*store.DB{a, bb}, o.ID, visitors, func(int) string { return "" })
		st, err := bb.RoutingSettings(ctx, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		open := 0
		for _, l := range st.Agents {
			if l.Open > capacity {
				t.Fatalf("agent %d has %d open conversations, capacity %d", l.UserID, l.Open, capacity)
			}
			open += l.Open
		}
		if open != agents*capacity || st.QueueLength != visitors-agents*capacity {
			t.Fatalf("%d assigned and %d queued, want %d and %d: %+v", open, st.QueueLength, agents*capacity, visitors-agents*capacity, st)
		}
		// Each conversation was assigned once: one participant_added of an
		// agent each (the bot joins the queued ones too, to tell them).
		ids := make([]int64, 0, len(caps))
		for id := range caps {
			n, _ := strconv.ParseInt(id, 10, 64)
			ids = append(ids, n)
		}
		if n := assignedOnce(t, a, o.ID, ids); n != agents*capacity {
			t.Fatalf("%d conversations assigned, want %d", n, agents*capacity)
		}
		// A close frees a place: the oldest queued conversation takes it.
		first := st.Queue[0].ConversationID
		cs, err := a.ListConversations(ctx, o.ID, conversation.ListQuery{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		var closing int64
		for _, c := range cs {
			if c.AssigneeID != 0 {
				closing = c.ID
				break
			}
		}
		if _, err := bb.SetConversationStatus(ctx, o.ID, closing, conversation.Closed); err != nil {
			t.Fatal(err)
		}
		after, err := a.RoutingSettings(ctx, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if after.QueueLength != st.QueueLength-1 || after.Queue[0].ConversationID == first {
			t.Fatalf("after a close the queue is %+v, was %+v", after.Queue, st.Queue)
		}
		c, err := a.GetConversation(ctx, o.ID, first)
		if err != nil || c.AssigneeID == 0 {
			t.Fatalf("the oldest queued conversation was not assigned: %+v %v", c, err)
		}
	})
}

// Routing rules to two teams that share an agent, with concurrent visitors
// on two replicas: each decision locks only its team's agents, and still
// no agent goes over capacity, no conversation is assigned twice, and each
// goes to its rule's team.
func TestRouting_TwoReplicasOverlappingTeams(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		a, bb := replicas(t, b)
		o, err := a.CreateOrg(ctx, "Overlap")
		if err != nil {
			t.Fatal(err)
		}
		awayAll(t, a, o.ID)
		const capacity, visitors = 2, 16
		var agents []int64
		caps := map[string]int{}
		for i := range 3 {
			u := &user.User{OrgID: o.ID, Name: fmt.Sprintf("Agent %d", i), Email: fmt.Sprintf("agent%d@overlap.example", i), Role: "agent"}
			if err := a.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
			agents = append(agents, u.ID)
			caps[fmt.Sprint(u.ID)] = capacity
		}
		germany, france := agents[:2], agents[1:] // agents[1] is in both
		var rules []routing.Rule
		for country, members := range map[string][]int64{"DE": germany, "FR": france} {
			tm, err := a.CreateTeam(ctx, o.ID, team.Fields{Name: ptr(country), Members: &members})
			if err != nil {
				t.Fatal(err)
			}
			rules = append(rules, routing.Rule{Name: country, TeamID: tm.ID,
				Conditions: []routing.Condition{{Source: "country", Op: "equals", Value: country}}})
		}
		on := true
		if _, err := a.UpdateRouting(ctx, o.ID, routing.Patch{RouteNewConversations: &on, Capacities: caps, Rules: &rules}); err != nil {
			t.Fatal(err)
		}
		countries := startVisitors(t, []*store.DB{a, bb}, o.ID, visitors, func(i int) string { return []string{"DE", "FR"}[i/2%2] })
		// Both countries want more than their team can take: every place
		// is taken, whichever team took the shared agent's.
		if n := assignedOnce(t, a, o.ID, agents); n != len(agents)*capacity {
			t.Fatalf("%d conversations assigned, want %d", n, len(agents)*capacity)
		}
		cs, err := a.ListConversations(ctx, o.ID, conversation.ListQuery{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		open := map[int64]int{}
		for _, c := range cs {
			if c.AssigneeID == 0 {
				continue
			}
			open[c.AssigneeID]++
			if team := map[string][]int64{"DE": germany, "FR": france}[countries[c.ID]]; !slices.Contains(team, c.AssigneeID) {
				t.Errorf("conversation %d from %s went to agent %d, not of its team %v", c.ID, countries[c.ID], c.AssigneeID, team)
			}
		}
		for id, n := range open {
			if n > capacity {
				t.Errorf("agent %d has %d open conversations, capacity %d", id, n, capacity)
			}
		}
	})
}

// Routing rules are stored in order and read by routing: the first that
// holds wins (an account attribute, a country kept with the conversation),
// a rule of a team round robins fairly in it, a rule whose agent was
// deactivated is passed over, and a refused list writes nothing.
func TestRouting_Rules(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		db := storetest.Open(t, b)
		o, err := db.CreateOrg(ctx, "Rules")
		if err != nil {
			t.Fatal(err)
		}
		awayAll(t, db, o.ID)
		agent := func(name string) int64 {
			u := &user.User{OrgID: o.ID, Name: name, Email: name + "@rules.example", Role: "agent"}
			if err := db.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
			return u.ID
		}
		owner, fallback := agent("owner"), agent("fallback")
		emea := []int64{agent("e1"), agent("e2"), agent("e3")}
		tm, err := db.CreateTeam(ctx, o.ID, team.Fields{Name: ptr("EMEA"), Members: &emea})
		if err != nil {
			t.Fatal(err)
		}
		employees := []account.Property{{Label: "Employees", Name: "employees", Value: json.Number("5000"), Type: account.TypeNumber}}
		if _, err := db.CreateAccount(ctx, o.ID, account.Fields{OwnerID: &owner, Name: ptr("Big"), Domain: ptr("big.example"), CustomProperties: &employees}); err != nil {
			t.Fatal(err)
		}
		rules := []routing.Rule{
			{Name: "Big", Conditions: []routing.Condition{{Source: "account", Attribute: "employees", Op: "gt", Value: "1000"}}, UserID: owner},
			{Name: "Europe", Conditions: []routing.Condition{{Source: "country", Op: "in", Value: "DE,FR"}}, TeamID: tm.ID},
			{Name: "Rest", UserID: fallback},
		}
		on := true
		if _, err := db.UpdateRouting(ctx, o.ID, routing.Patch{RouteNewConversations: &on, Rules: &rules}); err != nil {
			t.Fatal(err)
		}
		// A refused list (its last rule names a missing team) leaves the
		// stored one as it was.
		bad := append(slices.Clone(rules), routing.Rule{Name: "Gone", TeamID: tm.ID + 1000})
		if _, err := db.UpdateRouting(ctx, o.ID, routing.Patch{Rules: &bad}); apperr.CodeOf(err) != apperr.Invalid || !strings.Contains(err.Error(), "rules[3].teamId") {
			t.Fatalf("a rule of a missing team: %v", err)
		}
		start := func(i int, country, email string) int64 {
			t.Helper()
			s, err := db.CreateVisitorSession(ctx, o.ID, fmt.Sprintf("rules-%d", i))
			if err != nil {
				t.Fatal(err)
			}
			c, _, err := db.StartVisitorConversation(ctx, o.ID, s, conversation.Start{Body: "hello", Email: email, Visitor: email != "", Country: country})
			if err != nil {
				t.Fatal(err)
			}
			if c, err = db.GetConversation(ctx, o.ID, c.ID); err != nil {
				t.Fatal(err)
			}
			return c.AssigneeID
		}
		if got := start(0, "DE", "ceo@big.example"); got != owner {
			t.Fatalf("a big account from DE went to %d, want the first rule's %d", got, owner)
		}
		// Nine visitors from FR over the three EMEA agents: three each.
		counts := map[int64]int{}
		for i := 1; i <= 9; i++ {
			counts[start(i, "FR", "")]++
		}
		for _, id := range emea {
			if counts[id] != 3 {
				t.Fatalf("EMEA's round robin: %v, want 3 each of %v", counts, emea)
			}
		}
		if got := start(10, "", ""); got != fallback {
			t.Fatalf("a visitor of unknown country went to %d, want the catch-all's %d", got, fallback)
		}
		// The owner is deactivated: the Big rule is inactive and passed over.
		if _, err := db.UpdateSCIMUser(ctx, o.ID, owner, func(r *scim.Record) error { r.Active = false; return nil }); err != nil {
			t.Fatal(err)
		}
		st, err := db.RoutingSettings(ctx, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Rules) != 3 || !st.Rules[0].Inactive || st.Rules[1].Inactive || st.Rules[2].Name != "Rest" {
			t.Fatalf("the stored rules after the owner left: %+v", st.Rules)
		}
		if got := start(11, "", "cto@big.example"); got != fallback {
			t.Fatalf("a big account without its owner went to %d, want the catch-all's %d", got, fallback)
		}
	})
}

func ptr[T any](v T) *T { return &v }
