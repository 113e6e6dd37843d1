-- Meetings in chat: each user's meeting types and weekly working hours.
-- Offline email: the queue of emails to visitors who have not read an
-- agent's messages, and when each visitor session was last seen online.

CREATE TABLE meeting_availability (
    user_id       BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    org_id        BIGINT NOT NULL,
    time_zone     TEXT   NOT NULL,
    working_hours TEXT   NOT NULL, -- JSON []meeting.Hours
    meeting_types TEXT   NOT NULL, -- JSON []meeting.Type
    updated_at    BIGINT NOT NULL
);
CREATE INDEX meeting_availability_org ON meeting_availability (org_id);

CREATE TABLE offline_emails (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id          BIGINT NOT NULL,
    conversation_id BIGINT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    message_id      BIGINT NOT NULL,           -- the first agent message it waits on
    created_at      BIGINT NOT NULL,           -- that message's time
    due_at          BIGINT NOT NULL,
    claimed_until   BIGINT NOT NULL DEFAULT 0, -- a replica is sending it until then
    attempts        BIGINT NOT NULL DEFAULT 0,
    done_at         BIGINT NOT NULL DEFAULT 0, -- 0 while pending
    outcome         TEXT   NOT NULL DEFAULT '' -- sent, read, no_email, failed
);
-- One pending email per conversation: later agent messages join it.
CREATE UNIQUE INDEX offline_emails_pending ON offline_emails (conversation_id) WHERE done_at = 0;
CREATE INDEX offline_emails_due ON offline_emails (due_at) WHERE done_at = 0;
CREATE INDEX offline_emails_org ON offline_emails (org_id);

ALTER TABLE visitor_sessions ADD COLUMN last_seen_at BIGINT NOT NULL DEFAULT 0;
