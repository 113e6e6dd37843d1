-- Routing rules (issue 19): per org, in order, the first whose conditions
-- all hold sends the conversation to its team or agent.
CREATE TABLE routing_rules (
    org_id     BIGINT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    position   BIGINT NOT NULL, -- 0, 1, …: the order of evaluation
    name       TEXT   NOT NULL,
    conditions TEXT   NOT NULL, -- JSON array of routing.Condition
    team_id    BIGINT NOT NULL DEFAULT 0,
    user_id    BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, position)
);

-- The visitor's country (ISO 3166 alpha-2, '' when unknown) as the server
-- found it when the conversation started: routing rules read it when the
-- conversation is routed later (after an answer, a delay).
ALTER TABLE visitor_conversations ADD COLUMN country TEXT NOT NULL DEFAULT '';

-- Every routing decision counts each agent's open conversations, holding
-- the org's lock: from this index alone, not from the conversations' rows.
CREATE INDEX conversations_assignee_status ON conversations (org_id, assignee_id, status);
