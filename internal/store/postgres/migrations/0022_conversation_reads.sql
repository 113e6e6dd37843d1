-- Per-agent read state (issue 18: the inbox's unread counts): the last
-- message each user has read in each conversation. A conversation has
-- unread messages for a user when a message by someone else is newer.
CREATE TABLE conversation_reads (
    user_id         BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    conversation_id BIGINT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    org_id          BIGINT NOT NULL,
    last_message_id BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, user_id)
);
CREATE INDEX conversation_reads_org ON conversation_reads (org_id);
CREATE INDEX conversation_reads_user ON conversation_reads (user_id);
