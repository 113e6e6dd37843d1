-- SCIM fidelity (issue 16, items 21-25).

-- userName uniqueness on a key folded in Go (Unicode case folding, RFC 7643
-- §4.1.1), not on the database's lower(). NULL for users made outside SCIM.
-- Rows written before this migration get lower(user_name) until their next
-- SCIM write stores the Go-folded key.
ALTER TABLE users ADD COLUMN user_name_key TEXT;
UPDATE users SET user_name_key = lower(user_name) WHERE user_name <> '';
DROP INDEX users_user_name;
CREATE UNIQUE INDEX users_user_name_key ON users (org_id, user_name_key);

-- Every SCIM email of a user as last written (a JSON array); NULL when SCIM
-- never wrote them, and the Drift email stands for them.
ALTER TABLE users ADD COLUMN scim_emails TEXT;

-- A team provisioned as a SCIM Group keeps the client's externalId, and each
-- member the display text the client gave it ('' shows the user's name).
ALTER TABLE teams ADD COLUMN external_id TEXT NOT NULL DEFAULT '';
ALTER TABLE team_members ADD COLUMN display TEXT NOT NULL DEFAULT '';

-- conversation_inactive: the updated_at of the quiet period already
-- announced. A conversation is due when it is older than the period and
-- this differs from its updated_at. Conversations that exist now count as
-- announced, so upgrading does not announce every old one at once.
ALTER TABLE conversations ADD COLUMN inactive_for BIGINT NOT NULL DEFAULT 0;
UPDATE conversations SET inactive_for = updated_at;
CREATE INDEX conversations_quiet ON conversations (updated_at) WHERE inactive_for <> updated_at;
