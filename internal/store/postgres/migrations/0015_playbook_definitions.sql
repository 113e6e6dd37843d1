-- Playbooks that run: each playbook's definition (targeting, priority,
-- steps; JSON playbook.Definition, '' for a listing-only playbook), its
-- version, and every version kept.

ALTER TABLE playbooks ADD COLUMN definition TEXT NOT NULL DEFAULT '';
ALTER TABLE playbooks ADD COLUMN version BIGINT NOT NULL DEFAULT 1;

CREATE TABLE playbook_versions (
    playbook_id BIGINT NOT NULL REFERENCES playbooks (id) ON DELETE CASCADE,
    version     BIGINT NOT NULL,
    org_id      BIGINT NOT NULL,
    definition  TEXT   NOT NULL, -- as playbooks.definition was at this version
    author_id   BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (playbook_id, version)
);
CREATE INDEX playbook_versions_org ON playbook_versions (org_id);
