-- Bootstrap configurations: what a device that knows only its external id and key fetches at first start.
-- Secrets are never stored in clear: the external key as a keyed hash (to check it) and sealed (so the owner reads
-- it back); the thing key and the client's private key sealed (AES-GCM under subkeys of the bootstrap server key).

CREATE TABLE bootstrap_configs (
    thing_id            VARCHAR(36)   PRIMARY KEY,
    owner               VARCHAR(36)   NOT NULL,
    name                VARCHAR(1024) NOT NULL DEFAULT '',
    external_id         VARCHAR(256)  NOT NULL,
    external_key_hash   VARCHAR(64)   NOT NULL,
    external_key_cipher VARCHAR(1024) NOT NULL,
    thing_key_cipher    VARCHAR(2048) NOT NULL,
    content             TEXT          NOT NULL DEFAULT '',
    client_cert         TEXT          NOT NULL DEFAULT '',
    client_key_cipher   TEXT          NOT NULL DEFAULT '',
    ca_cert             TEXT          NOT NULL DEFAULT '',
    state               INTEGER       NOT NULL DEFAULT 0,
    created_at          VARCHAR(40)   NOT NULL,
    revision            BIGINT        NOT NULL,
    CONSTRAINT bootstrap_external_id_unique UNIQUE (external_id)
);

CREATE INDEX bootstrap_configs_owner ON bootstrap_configs (owner, created_at);

-- The channels of each config, in the order given.
CREATE TABLE bootstrap_config_channels (
    thing_id   VARCHAR(36) NOT NULL,
    channel_id VARCHAR(36) NOT NULL,
    position   INTEGER     NOT NULL,
    PRIMARY KEY (thing_id, channel_id)
);

CREATE INDEX bootstrap_config_channels_channel ON bootstrap_config_channels (channel_id);

-- Name and metadata of the channels configs name, kept current from the things stream (revision = the channel's).
CREATE TABLE bootstrap_channels (
    id       VARCHAR(36)   PRIMARY KEY,
    name     VARCHAR(1024) NOT NULL DEFAULT '',
    metadata TEXT          NOT NULL DEFAULT '{}',
    revision BIGINT        NOT NULL
);

-- The last revision of each things-stream entity (thing, channel, connection) the consumer applied: an event not
-- newer than it is a stale duplicate and changes nothing.
CREATE TABLE bootstrap_applied (
    entity   VARCHAR(100) PRIMARY KEY,
    revision BIGINT       NOT NULL
);
