package store

import (
	"context"

	"github.com/driftwood-chat/driftwood/internal/derrors"
)

// resetTables are emptied, in order, for an org by ResetOrg. Tables of
// other domains join this list as they arrive.
var resetTables = []string{
	"visitor_conversations", "visitor_sessions", // the widget's visitors start afresh
	"search_entries", // the search index (FTS5's own tables follow by trigger)
	"playbook_runs", "routing_queue", "routing_pointers", "routing_rules",
	"conversation_reads", // the agents' read markers
	"attachments", "messages", "conversations",
	"meetings", "accounts", "playbook_versions", "playbooks", "teams", // team_members cascade
	"timeline_events", "contacts", "contact_attributes",
	"user_sessions", "user_invites", "canned_replies",
	"meeting_availability", "offline_emails",
}

// ResetOrg empties the org's data in one transaction: contacts, teams,
// meetings, accounts, playbooks and every user but the org's own bot. Tokens, apps,
// the bot user and the event log (delivery history) are kept.
func (db *DB) ResetOrg(ctx context.Context, orgID int64) (err error) {
	defer derrors.Wrap(&err, "store.ResetOrg(%d)", orgID)
	return db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		for _, t := range resetTables {
			if _, err := tx.q.ExecContext(ctx, `DELETE FROM `+t+` WHERE org_id = $1`, orgID); err != nil {
				return err
			}
		}
		// The org's first bot is the one InsertOrg made; bots added later go.
		_, err := tx.q.ExecContext(ctx, `DELETE FROM users WHERE org_id = $1
			AND id <> (SELECT MIN(id) FROM users WHERE org_id = $1 AND bot = $2)`, orgID, true)
		return err
	})
}
