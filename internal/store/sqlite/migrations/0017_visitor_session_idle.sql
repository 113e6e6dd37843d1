-- Visitor sessions expire after a configurable idle time
-- (--visitor-session-ttl): last_used_at slides with use, and sessions idle
-- past the limit are deleted.
ALTER TABLE visitor_sessions ADD COLUMN last_used_at BIGINT NOT NULL DEFAULT 0;
UPDATE visitor_sessions SET last_used_at = created_at;
CREATE INDEX visitor_sessions_last_used ON visitor_sessions (last_used_at);
