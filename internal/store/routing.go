package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/derrors"

	"github.com/driftwood-chat/driftwood/internal/contact"
	"github.com/driftwood-chat/driftwood/internal/conversation"
	"github.com/driftwood-chat/driftwood/internal/playbook"
	"github.com/driftwood-chat/driftwood/internal/routing"
	"github.com/driftwood-chat/driftwood/internal/user"
)

// routingState loads what a routing decision of the org reads (see
// routingConfig and readLockedState) with every agent of the org locked,
// for the decisions that may touch any of them: draining the queue, the
// settings. route locks only the agents its decision can assign.
func (tx *Tx) routingState(ctx context.Context, orgID int64) (*routing.State, error) {
	st, err := tx.routingConfig(ctx, orgID)
	if err != nil {
		return nil, err
	}
	if err := tx.lockAgents(ctx, orgID, nil); err != nil {
		return nil, err
	}
	return st, tx.readLockedState(ctx, st, orgID, nil)
}

// routingConfig reads the org's teams and routing rules. Only an admin
// changes them, so they are read before any lock: a decision taken while a
// team is being changed sees it as it was a moment before.
func (tx *Tx) routingConfig(ctx context.Context, orgID int64) (*routing.State, error) {
	st := &routing.State{Agents: map[int64]*routing.Agent{}, Teams: map[int64]*routing.Team{}, LastAssigned: map[int64]int64{}}
	// One statement, each row tagged with what it is: a team (id) with a
	// member (user) or none, a rule (its position) to an agent or a team.
	err := scanRows(ctx, tx.q, `SELECT 'team', t.id, m.user_id, 0, CAST(NULL AS TEXT), CAST(NULL AS TEXT)
			FROM teams t LEFT JOIN team_members m ON m.team_id = t.id WHERE t.org_id = $1
		UNION ALL SELECT 'rule', position, user_id, team_id, name, conditions FROM routing_rules WHERE org_id = $1
		ORDER BY 1, 2`,
		[]any{orgID}, func(scan func(...any) error) error {
			var kind string
			var id, teamID int64
			var userID sql.NullInt64
			var name, conds sql.NullString
			if err := scan(&kind, &id, &userID, &teamID, &name, &conds); err != nil {
				return err
			}
			switch kind {
			case "team":
				t := st.Teams[id]
				if t == nil {
					t = &routing.Team{ID: id}
					st.Teams[id] = t
				}
				if userID.Valid {
					t.Members = append(t.Members, userID.Int64)
				}
			case "rule":
				rule := routing.Rule{Name: name.String, UserID: userID.Int64, TeamID: teamID}
				if err := json.Unmarshal([]byte(conds.String), &rule.Conditions); err != nil {
					return fmt.Errorf("store: routing rule %q: %w", rule.Name, err)
				}
				st.Rules = append(st.Rules, rule)
			}
			return nil
		})
	return st, err
}

// lockAgents locks the rows of the org's agents ids (nil: all its active
// agents), in id order, so that routing decisions that may assign the same
// agents are taken one at a time on every replica (no agent goes over
// capacity, a rotation's pointer moves one step at a time) and those on
// other agents side by side: a team's routed conversations do not wait
// for another team's commit.
// NO KEY UPDATE: rows this transaction inserted may hold a KEY SHARE lock
// on a user (a foreign key), which FOR UPDATE would wait for in every other
// such transaction. SQLite's one writer already serializes them.
func (tx *Tx) lockAgents(ctx context.Context, orgID int64, ids []int64) error {
	if tx.db.dialect.LockRows() == "" {
		return nil
	}
	args := []any{orgID, false, true}
	which := ""
	if ids != nil {
		if len(ids) == 0 {
			return nil
		}
		which = ` AND id IN (` + placeholders(4, len(ids)) + `)`
		for _, id := range ids {
			args = append(args, id)
		}
	}
	rows, err := tx.q.QueryContext(ctx, `SELECT id FROM users WHERE org_id = $1 AND bot = $2 AND active = $3`+which+
		` ORDER BY id FOR NO KEY UPDATE`, args...)
	if err != nil {
		return err
	}
	_, err = scanIDs(rows)
	return err
}

// readLockedState reads into st, after lockAgents(domain), what changes
// with each decision: the agents with their open conversations, the
// round-robin pointers and the queue, oldest first. Only the domain's
// agents' conversations are counted (nil: everyone's), the others read as
// having none: a decision assigns only in its domain (route checks it), and
// counting all of an org's open conversations was most of a decision's cost.
func (tx *Tx) readLockedState(ctx context.Context, st *routing.State, orgID int64, domain []int64) error {
	st.Agents, st.LastAssigned, st.Queue = map[int64]*routing.Agent{}, map[int64]int64{}, nil
	args := []any{orgID, false, true, conversation.Open}
	count := `(SELECT COUNT(*) FROM conversations c WHERE c.org_id = u.org_id AND c.assignee_id = u.id AND c.status = $4)`
	if domain != nil {
		count = `CASE WHEN u.id IN (` + placeholders(5, max(len(domain), 1)) + `) THEN ` + count + ` ELSE 0 END`
		for _, id := range domain {
			args = append(args, id)
		}
		if len(domain) == 0 {
			args = append(args, 0) // no agent has id 0
		}
	}
	// One statement, each row tagged with what it is: every round trip made
	// holding the lock is one that the next decision waits for.
	err := scanRows(ctx, tx.q, `SELECT 'agent', u.id, u.capacity, `+count+`, u.availability, CAST(NULL AS TEXT)
		FROM users u WHERE u.org_id = $1 AND u.bot = $2 AND u.active = $3
		UNION ALL SELECT 'pointer', team_id, user_id, 0, NULL, NULL FROM routing_pointers WHERE org_id = $1
		UNION ALL SELECT 'queue', conversation_id, since, 0, request, reason FROM routing_queue WHERE org_id = $1
		ORDER BY 1, 3, 2`,
		args, func(scan func(...any) error) error {
			var kind string
			var id, n, open int64
			var text, reason sql.NullString
			if err := scan(&kind, &id, &n, &open, &text, &reason); err != nil {
				return err
			}
			switch kind {
			case "agent":
				st.Agents[id] = &routing.Agent{ID: id, Capacity: int(n), Open: int(open), Available: text.String == user.Available}
			case "pointer":
				st.LastAssigned[id] = n
			case "queue": // id is the conversation, n its time in the queue
				w := routing.Waiting{Reason: reason.String}
				if err := json.Unmarshal([]byte(text.String), &w.Request); err != nil {
					return err
				}
				st.Queue = append(st.Queue, w)
			}
			return nil
		})
	st.MarkInactive()
	return err
}

// scanRows runs a query and calls each for every row.
func scanRows(ctx context.Context, q queryer, query string, args []any, each func(scan func(...any) error) error) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := each(rows.Scan); err != nil {
			return err
		}
	}
	return rows.Err()
}

// route routes c, locked by tx, as req asks: it assigns an agent
// (conversation_participant_added) or queues the conversation.
func (tx *Tx) route(ctx context.Context, c *conversation.Conversation, req routing.Request) (routing.Decision, error) {
	req.ConversationID, req.Since = c.ID, tx.now
	st, err := tx.routingConfig(ctx, c.OrgID)
	if err != nil {
		return routing.Decision{}, err
	}
	domain := st.Domain(req)
	if err := tx.lockAgents(ctx, c.OrgID, domain); err != nil {
		return routing.Decision{}, err
	}
	if err := tx.readLockedState(ctx, st, c.OrgID, domain); err != nil {
		return routing.Decision{}, err
	}
	queued := st.Position(c.ID) > 0 // a new conversation is not: no DELETE from the queue
	d := st.Assign(req)
	if domain != nil && d.UserID != 0 && !slices.Contains(domain, d.UserID) {
		// An agent the rules named left after they were read: another
		// rule's agents decide, and they were not locked. Lock them all.
		if err := tx.lockAgents(ctx, c.OrgID, nil); err != nil {
			return routing.Decision{}, err
		}
		if err := tx.readLockedState(ctx, st, c.OrgID, nil); err != nil {
			return routing.Decision{}, err
		}
		d = st.Assign(req)
	}
	if d.Queued {
		b, err := json.Marshal(req)
		if err != nil {
			return d, err
		}
		res, err := tx.q.ExecContext(ctx, `INSERT INTO routing_queue (conversation_id, org_id, request, reason, since) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (conversation_id) DO NOTHING`, c.ID, c.OrgID, string(b), strings.TrimPrefix(d.Description, "queue: "), tx.now)
		if err != nil {
			return d, err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return d, err // it was waiting already
		}
		return d, tx.AppendEvent(ctx, routing.QueueMovedEvent(c.OrgID, []int64{c.ID}))
	}
	left, err := tx.applyAssignment(ctx, c, d, queued)
	if err != nil || !left {
		return d, err
	}
	return d, tx.AppendEvent(ctx, routing.QueueMovedEvent(c.OrgID, []int64{c.ID}))
}

// applyAssignment writes decision d for c, locked by tx: its assignee, the
// rotation's pointer, and c out of the queue if queued. left reports that c
// was still waiting in the queue.
func (tx *Tx) applyAssignment(ctx context.Context, c *conversation.Conversation, d routing.Decision, queued bool) (left bool, err error) {
	evs := c.AssignTo(d.UserID, tx.now)
	if err := tx.saveConversation(ctx, c); err != nil {
		return false, err
	}
	if err := tx.appendEvents(ctx, evs); err != nil {
		return false, err
	}
	if d.RoundRobin {
		if _, err := tx.q.ExecContext(ctx, `INSERT INTO routing_pointers (org_id, team_id, user_id) VALUES ($1, $2, $3)
			ON CONFLICT (org_id, team_id) DO UPDATE SET user_id = excluded.user_id`, c.OrgID, d.TeamID, d.UserID); err != nil {
			return false, err
		}
	}
	if !queued {
		return false, nil
	}
	res, err := tx.q.ExecContext(ctx, `DELETE FROM routing_queue WHERE conversation_id = $1`, c.ID)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// drainQueue assigns the org's queued conversations that can now be
// taken (capacity freed, an agent back), oldest first. Conversations that
// left the queue's concern (closed, assigned by hand) leave it; one that
// another transaction holds is left for the next drain.
func (tx *Tx) drainQueue(ctx context.Context, orgID int64) error {
	// Every agent locked before the queue is read: a decision that queued a
	// conversation while holding some of them has committed by then (and
	// its conversation is drained here), and one that comes after sees the
	// capacity this transaction frees. Read first, the queue could miss a
	// conversation queued a moment later beside a freed place.
	if err := tx.lockAgents(ctx, orgID, nil); err != nil {
		return err
	}
	var moved []int64 // the conversations that left the queue, for QueueMoved
	if err := scanRows(ctx, tx.q, `DELETE FROM routing_queue WHERE org_id = $1 AND conversation_id IN
		(SELECT id FROM conversations WHERE org_id = $1 AND (status <> $2 OR assignee_id <> 0)) RETURNING conversation_id`,
		[]any{orgID, conversation.Open}, func(scan func(...any) error) error {
			var id int64
			err := scan(&id)
			moved = append(moved, id)
			return err
		}); err != nil {
		return err
	}
	var n int
	if err := tx.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM routing_queue WHERE org_id = $1`, orgID).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		st, err := tx.routingConfig(ctx, orgID)
		if err != nil {
			return err
		}
		if err := tx.readLockedState(ctx, st, orgID, nil); err != nil {
			return err
		}
		for _, d := range st.Drain() {
			cs, err := queryConversations(ctx, tx.q, `WHERE id = $1 AND org_id = $2`+tx.db.dialect.SkipLocked(), d.ConversationID, orgID)
			if err != nil {
				return err
			}
			if len(cs) == 0 {
				continue // busy elsewhere: it stays queued for the next drain
			}
			left, err := tx.applyAssignment(ctx, cs[0], d, true)
			if err != nil {
				return err
			}
			if left {
				moved = append(moved, d.ConversationID)
			}
		}
	}
	if len(moved) == 0 {
		return nil
	}
	slices.Sort(moved)
	return tx.AppendEvent(ctx, routing.QueueMovedEvent(orgID, moved))
}

var _ routing.Store = (*DB)(nil)

// RoutingSettings implements routing.Store.
func (db *DB) RoutingSettings(ctx context.Context, orgID int64) (_ *routing.Settings, err error) {
	defer derrors.Wrap(&err, "store.RoutingSettings(%d)", orgID)
	var out *routing.Settings
	err = db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		out, err = tx.routingSettings(ctx, orgID)
		return err
	})
	return out, err
}

func (tx *Tx) routingSettings(ctx context.Context, orgID int64) (*routing.Settings, error) {
	st, err := tx.routingState(ctx, orgID)
	if err != nil {
		return nil, err
	}
	out := &routing.Settings{Rules: []routing.Rule{}, Agents: []routing.AgentLoad{}, Queue: []routing.Queued{}, QueueLength: len(st.Queue)}
	for _, rule := range st.Rules {
		if rule.Conditions == nil {
			rule.Conditions = []routing.Condition{}
		}
		out.Rules = append(out.Rules, rule)
	}
	if out.RouteNewConversations, err = tx.routesNew(ctx, orgID); err != nil {
		return nil, err
	}
	ids := slices.Sorted(maps.Keys(st.Agents))
	for _, id := range ids {
		a := st.Agents[id]
		out.Agents = append(out.Agents, routing.AgentLoad{UserID: id, Available: a.Available, Capacity: a.Capacity, Open: a.Open})
	}
	for i, w := range st.Queue {
		if i == routing.MaxQueueShown {
			break
		}
		out.Queue = append(out.Queue, routing.Queued{ConversationID: w.ConversationID, Position: i + 1, Since: w.Since, Reason: w.Reason})
	}
	return out, nil
}

func (tx *Tx) routesNew(ctx context.Context, orgID int64) (bool, error) {
	var on bool
	err := tx.q.QueryRowContext(ctx, `SELECT route_new_conversations FROM orgs WHERE id = $1`, orgID).Scan(&on)
	return on, err
}

// UpdateRouting implements routing.Store.
func (db *DB) UpdateRouting(ctx context.Context, orgID int64, p routing.Patch) (_ *routing.Settings, err error) {
	defer derrors.Wrap(&err, "store.UpdateRouting(%d)", orgID)
	caps, err := p.Validate()
	if err != nil {
		return nil, err
	}
	var out *routing.Settings
	err = db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		st, err := tx.routingState(ctx, orgID)
		if err != nil {
			return err
		}
		if p.RouteNewConversations != nil {
			if _, err := tx.q.ExecContext(ctx, `UPDATE orgs SET route_new_conversations = $1 WHERE id = $2`, *p.RouteNewConversations, orgID); err != nil {
				return err
			}
		}
		for _, id := range slices.Sorted(maps.Keys(caps)) {
			if st.Agents[id] == nil {
				return apperr.Invalidf("capacities", "capacities names a user who is not an agent of this org")
			}
			if _, err := tx.q.ExecContext(ctx, `UPDATE users SET capacity = $1 WHERE id = $2 AND org_id = $3`, caps[id], id, orgID); err != nil {
				return err
			}
		}
		if p.Rules != nil {
			if err := tx.replaceRoutingRules(ctx, orgID, st, *p.Rules); err != nil {
				return err
			}
		}
		if err := tx.drainQueue(ctx, orgID); err != nil {
			return err
		}
		out, err = tx.routingSettings(ctx, orgID)
		return err
	})
	return out, err
}

// replaceRoutingRules replaces the org's routing rules with rules (valid),
// whose teams and agents must be st's (another org's read as missing).
func (tx *Tx) replaceRoutingRules(ctx context.Context, orgID int64, st *routing.State, rules []routing.Rule) error {
	for i, rule := range rules {
		if rule.UserID != 0 && st.Agents[rule.UserID] == nil {
			return apperr.Invalidf(fmt.Sprintf("rules[%d].userId", i), "rules[%d].userId %d is not an active agent of this org", i, rule.UserID)
		}
		if rule.TeamID != 0 && st.Teams[rule.TeamID] == nil {
			return apperr.Invalidf(fmt.Sprintf("rules[%d].teamId", i), "rules[%d].teamId %d is not a team of this org", i, rule.TeamID)
		}
	}
	if _, err := tx.q.ExecContext(ctx, `DELETE FROM routing_rules WHERE org_id = $1`, orgID); err != nil {
		return err
	}
	for i, rule := range rules {
		conds := rule.Conditions
		if conds == nil {
			conds = []routing.Condition{}
		}
		b, err := json.Marshal(conds)
		if err != nil {
			return err
		}
		if _, err := tx.q.ExecContext(ctx, `INSERT INTO routing_rules (org_id, position, name, conditions, team_id, user_id)
			VALUES ($1, $2, $3, $4, $5, $6)`, orgID, i, rule.Name, string(b), rule.TeamID, rule.UserID); err != nil {
			return err
		}
	}
	return nil
}

// routingRequest is what routing reads of c, of contact ct, sent to
// target: the contact's attributes, their account's (the account of their
// email's domain) and its owner, and the visitor's country as the server
// found it when the conversation started.
func (tx *Tx) routingRequest(ctx context.Context, c *conversation.Conversation, ct *contact.Contact, target routing.Target) (routing.Request, error) {
	req := routing.Request{Target: target, Contact: playbook.TextAttributes(ct.Attributes)}
	if at := strings.LastIndexByte(ct.Email(), '@'); at >= 0 {
		as, err := queryAccounts(ctx, tx.q, `WHERE org_id = $1 AND domain = $2 AND deleted = $3 ORDER BY account_id LIMIT 1`,
			c.OrgID, strings.ToLower(ct.Email()[at+1:]), false)
		if err != nil {
			return req, err
		}
		if len(as) > 0 {
			req.Account, req.AccountOwnerID = as[0].Attributes(), as[0].OwnerID
		}
	}
	if country, ok := tx.countries[c.ID]; ok {
		req.Country = country // started in this transaction
		return req, nil
	}
	err := tx.q.QueryRowContext(ctx, `SELECT country FROM visitor_conversations WHERE conversation_id = $1`, c.ID).Scan(&req.Country)
	if errors.Is(err, sql.ErrNoRows) {
		err = nil // not a widget visitor's: no country known
	}
	return req, err
}
