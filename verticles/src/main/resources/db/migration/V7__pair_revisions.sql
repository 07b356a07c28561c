-- Revisions that survive the removal of a pair (a connection, a user policy): a pair created again continues its
-- count, so a consumer ordering by revision never takes a re-created pair for a stale duplicate.

CREATE TABLE pair_revisions (
    relation VARCHAR(16) NOT NULL,
    subject  VARCHAR(36) NOT NULL,
    object   VARCHAR(36) NOT NULL,
    revision BIGINT      NOT NULL,
    PRIMARY KEY (relation, subject, object)
);

CREATE INDEX pair_revisions_object ON pair_revisions (relation, object);

-- User policies get the revision every other entity has; existing ones start at 1.
ALTER TABLE user_policies ADD COLUMN revision BIGINT NOT NULL DEFAULT 1;
