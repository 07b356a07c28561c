-- Tokens name the generation of their user's tokens they were issued under; a password change or reset, a disable
-- and an explicit revocation move it on, so every earlier access and refresh token is refused on every node.

ALTER TABLE users ADD COLUMN token_generation BIGINT NOT NULL DEFAULT 0;
