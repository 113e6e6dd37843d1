-- A rotated signing secret keeps signing deliveries, beside the new one, for
-- a grace period (integration.SigningGrace) after signing_rotated_at.
ALTER TABLE apps ADD COLUMN previous_signing_secret TEXT NOT NULL DEFAULT ''; -- sealed with the secret key
ALTER TABLE apps ADD COLUMN signing_rotated_at BIGINT NOT NULL DEFAULT 0;
