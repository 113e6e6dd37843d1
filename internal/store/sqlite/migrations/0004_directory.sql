-- Directory and CRM: teams, booked meetings, accounts (ABM) and playbooks.
-- Users already exist (0001); their REST fields need no new columns.

CREATE TABLE teams (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id     BIGINT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    name       TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX teams_org ON teams (org_id);

CREATE TABLE team_members (
    team_id BIGINT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members (user_id);

-- Meetings are addressed by eventId. scheduler_id is a contact and
-- conversation_id a conversation; neither has a foreign key, as Drift keeps
-- a meeting after its contact or conversation is gone.
CREATE TABLE meetings (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id             BIGINT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    event_id           TEXT   NOT NULL,
    agent_id           BIGINT NOT NULL,
    status             TEXT   NOT NULL,
    meeting_source     TEXT   NOT NULL,
    scheduler_id       BIGINT NOT NULL,
    slug               TEXT   NOT NULL,
    slot_start         BIGINT NOT NULL,
    slot_end           BIGINT NOT NULL,
    scheduled_at       BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    meeting_type       TEXT   NOT NULL,
    conversation_id    BIGINT NOT NULL DEFAULT 0,
    end_user_time_zone TEXT   NOT NULL DEFAULT '',
    meeting_notes      TEXT   NOT NULL DEFAULT '',
    booked_by          BIGINT NOT NULL
);
CREATE UNIQUE INDEX meetings_event ON meetings (org_id, event_id);
CREATE INDEX meetings_slot ON meetings (org_id, slot_start);

-- An account's domain stays taken after a soft delete: its accountId
-- ("<orgId>_<domain>") still answers.
CREATE TABLE accounts (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id            BIGINT  NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    account_id        TEXT    NOT NULL,
    domain            TEXT    NOT NULL,
    owner_id          BIGINT  NOT NULL,
    name              TEXT    NOT NULL DEFAULT '',
    custom_properties TEXT    NOT NULL, -- JSON array
    targeted          INTEGER NOT NULL DEFAULT 0,
    deleted           INTEGER NOT NULL DEFAULT 0,
    created_at        BIGINT  NOT NULL,
    updated_at        BIGINT  NOT NULL
);
CREATE UNIQUE INDEX accounts_domain ON accounts (org_id, domain);
CREATE UNIQUE INDEX accounts_account_id ON accounts (account_id);

CREATE TABLE playbooks (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id            BIGINT  NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    name              TEXT    NOT NULL,
    meta              TEXT    NOT NULL, -- JSON object
    goals             TEXT    NOT NULL, -- JSON array of {id, message}
    report_type       TEXT    NOT NULL DEFAULT '',
    interaction_id    BIGINT  NOT NULL DEFAULT 0,
    enabled           INTEGER NOT NULL DEFAULT 1,
    landing_page      INTEGER NOT NULL DEFAULT 0,
    created_author_id BIGINT  NOT NULL,
    updated_author_id BIGINT  NOT NULL,
    created_at        BIGINT  NOT NULL,
    updated_at        BIGINT  NOT NULL
);
CREATE INDEX playbooks_org ON playbooks (org_id);
