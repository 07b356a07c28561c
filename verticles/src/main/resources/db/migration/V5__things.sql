-- Things, channels and their connections (the things service).
-- A thing's key is never stored in clear: key_cipher is the key sealed with the server key (AES-GCM) so the owner
-- can read it back, key_hash a keyed hash (HMAC-SHA256) that finds a thing by its key.

CREATE TABLE things (
    id          VARCHAR(36)   PRIMARY KEY,
    name        VARCHAR(1024) NOT NULL DEFAULT '',
    identity    VARCHAR(254),
    key_hash    VARCHAR(64)   NOT NULL,
    key_cipher  VARCHAR(1024) NOT NULL,
    tags        TEXT          NOT NULL DEFAULT '[]',
    owner       VARCHAR(36)   NOT NULL,
    metadata    TEXT          NOT NULL DEFAULT '{}',
    status      VARCHAR(16)   NOT NULL,
    created_at  VARCHAR(40)   NOT NULL,
    updated_at  VARCHAR(40)   NOT NULL DEFAULT '',
    updated_by  VARCHAR(36)   NOT NULL DEFAULT '',
    revision    BIGINT        NOT NULL,
    CONSTRAINT things_key_unique UNIQUE (key_hash),
    -- NULL identities (none given) never collide.
    CONSTRAINT things_identity_unique UNIQUE (owner, identity)
);

CREATE INDEX things_owner ON things (owner, created_at);

CREATE TABLE channels (
    id          VARCHAR(36)   PRIMARY KEY,
    name        VARCHAR(1024) NOT NULL,
    description VARCHAR(1024) NOT NULL DEFAULT '',
    owner       VARCHAR(36)   NOT NULL,
    parent_id   VARCHAR(36)   NOT NULL DEFAULT '',
    metadata    TEXT          NOT NULL DEFAULT '{}',
    status      VARCHAR(16)   NOT NULL,
    path        VARCHAR(200)  NOT NULL,
    level       INTEGER       NOT NULL,
    created_at  VARCHAR(40)   NOT NULL,
    updated_at  VARCHAR(40)   NOT NULL DEFAULT '',
    updated_by  VARCHAR(36)   NOT NULL DEFAULT '',
    revision    BIGINT        NOT NULL,
    CONSTRAINT channels_name_unique UNIQUE (owner, parent_id, name)
);

CREATE INDEX channels_owner ON channels (owner, created_at);

-- A connection lets a thing (subject) use a channel (object): m_read to subscribe, m_write to publish.
CREATE TABLE connections (
    thing_id    VARCHAR(36)  NOT NULL,
    channel_id  VARCHAR(36)  NOT NULL,
    actions     TEXT         NOT NULL,
    owner       VARCHAR(36)  NOT NULL,
    created_at  VARCHAR(40)  NOT NULL,
    updated_at  VARCHAR(40)  NOT NULL DEFAULT '',
    updated_by  VARCHAR(36)  NOT NULL DEFAULT '',
    revision    BIGINT       NOT NULL,
    PRIMARY KEY (thing_id, channel_id)
);

CREATE INDEX connections_channel ON connections (channel_id);
