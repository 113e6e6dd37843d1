-- Playbooks that run and routing (issue 19): each conversation's playbook
-- run, agents' capacity, round-robin pointers and the queue.

-- A playbook running in a conversation: its JSON playbook.Run (version,
-- step, answers); status and wake_at repeated as columns for the timer's
-- query.
CREATE TABLE playbook_runs (
    conversation_id BIGINT PRIMARY KEY REFERENCES conversations (id) ON DELETE CASCADE,
    org_id          BIGINT NOT NULL,
    playbook_id     BIGINT NOT NULL,
    status          TEXT   NOT NULL,
    wake_at         BIGINT NOT NULL DEFAULT 0, -- a delay's end; 0 when none
    run             TEXT   NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX playbook_runs_org ON playbook_runs (org_id);
CREATE INDEX playbook_runs_wake ON playbook_runs (status, wake_at);

-- The most open conversations a user takes at once; 0 is no limit.
ALTER TABLE users ADD COLUMN capacity BIGINT NOT NULL DEFAULT 0;

-- Round robin: by team (0: every agent of the org), the user who got the
-- rotation's last conversation.
CREATE TABLE routing_pointers (
    org_id  BIGINT NOT NULL,
    team_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    PRIMARY KEY (org_id, team_id)
);

-- Conversations nobody could take, served oldest first: the JSON
-- routing.Request and why it waits.
CREATE TABLE routing_queue (
    conversation_id BIGINT PRIMARY KEY REFERENCES conversations (id) ON DELETE CASCADE,
    org_id          BIGINT NOT NULL,
    request         TEXT   NOT NULL,
    reason          TEXT   NOT NULL,
    since           BIGINT NOT NULL
);
CREATE INDEX routing_queue_org ON routing_queue (org_id, since, conversation_id);

-- Whether a visitor's conversation that no playbook greeted goes through
-- routing (off: it waits unassigned, as before).
ALTER TABLE orgs ADD COLUMN route_new_conversations INTEGER NOT NULL DEFAULT 0;
