-- One instance of a durable consumer of the SQL store reads at a time: it holds the cursor's lease, renewed while
-- it reads; another instance (another node) takes the cursor over when the lease runs out or is released.

ALTER TABLE event_cursors ADD COLUMN owner VARCHAR(64);
ALTER TABLE event_cursors ADD COLUMN lease_until BIGINT NOT NULL DEFAULT 0;
