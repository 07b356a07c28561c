-- Users of the users service. The secret is a bcrypt hash; it never leaves this table.

CREATE TABLE users (
    id          VARCHAR(36)  PRIMARY KEY,
    name        VARCHAR(1024) NOT NULL DEFAULT '',
    identity    VARCHAR(254) NOT NULL,
    secret      VARCHAR(100) NOT NULL,
    tags        TEXT         NOT NULL DEFAULT '[]',
    owner       VARCHAR(36)  NOT NULL DEFAULT '',
    metadata    TEXT         NOT NULL DEFAULT '{}',
    status      VARCHAR(16)  NOT NULL,
    role        VARCHAR(16)  NOT NULL,
    created_at  VARCHAR(40)  NOT NULL,
    updated_at  VARCHAR(40)  NOT NULL DEFAULT '',
    updated_by  VARCHAR(36)  NOT NULL DEFAULT '',
    revision    BIGINT       NOT NULL,
    CONSTRAINT users_identity_unique UNIQUE (identity)
);
