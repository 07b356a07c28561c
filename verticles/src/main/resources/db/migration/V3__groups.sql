-- Groups of the users service: a hierarchy up to five levels, kept as a materialised path of ids.

CREATE TABLE user_groups (
    id          VARCHAR(36)   PRIMARY KEY,
    name        VARCHAR(1024) NOT NULL,
    description VARCHAR(1024) NOT NULL DEFAULT '',
    owner_id    VARCHAR(36)   NOT NULL,
    parent_id   VARCHAR(36)   NOT NULL DEFAULT '',
    metadata    TEXT          NOT NULL DEFAULT '{}',
    status      VARCHAR(16)   NOT NULL,
    path        VARCHAR(200)  NOT NULL,
    level       INTEGER       NOT NULL,
    created_at  VARCHAR(40)   NOT NULL,
    updated_at  VARCHAR(40)   NOT NULL DEFAULT '',
    updated_by  VARCHAR(36)   NOT NULL DEFAULT '',
    revision    BIGINT        NOT NULL,
    CONSTRAINT user_groups_name_unique UNIQUE (owner_id, parent_id, name)
);

CREATE INDEX user_groups_path ON user_groups (path);
