-- Where a message came from (Drift's message context): a JSON object with
-- the visitor's ip and userAgent, NULL when nothing is known.
ALTER TABLE messages ADD COLUMN context TEXT;
