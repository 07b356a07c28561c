-- Policies of the users service: what a user (subject) may do with a group (object).

CREATE TABLE user_policies (
    subject    VARCHAR(36)  NOT NULL,
    object     VARCHAR(36)  NOT NULL,
    actions    TEXT         NOT NULL,
    owner_id   VARCHAR(36)  NOT NULL,
    created_at VARCHAR(40)  NOT NULL,
    updated_at VARCHAR(40)  NOT NULL DEFAULT '',
    updated_by VARCHAR(36)  NOT NULL DEFAULT '',
    PRIMARY KEY (subject, object)
);

CREATE INDEX user_policies_object ON user_policies (object);
