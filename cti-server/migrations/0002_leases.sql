-- Failover (issue 14): each session is owned by one server instance at a time, through a lease
-- in this table, renewed while the owner lives and fenced by a generation that every write of
-- the session names. Times here are milliseconds on the database's clock (never an instance's).

-- The instance that owns the session ('' when none: released, or a session from before leases).
ALTER TABLE sessions ADD COLUMN owner TEXT NOT NULL DEFAULT '';
-- Bumped at every change of owner; a write naming an older one is refused.
ALTER TABLE sessions ADD COLUMN generation BIGINT NOT NULL DEFAULT 0;
-- Until when the owner holds it; past this, any instance may take it.
ALTER TABLE sessions ADD COLUMN lease_until BIGINT NOT NULL DEFAULT 0;
-- An instance a browser of this agent reached, asking the owner to hand the session over.
ALTER TABLE sessions ADD COLUMN wanted_by TEXT NOT NULL DEFAULT '';

CREATE INDEX sessions_owner ON sessions (owner);

-- Every ownership, one row per generation: who, from when, until when it was last renewed,
-- and when it was let go. Operators read it; the failover test checks from it that no session
-- was ever owned by two instances at once. Rows older than a week are deleted.
CREATE TABLE lease_history (
    agent TEXT NOT NULL,
    generation BIGINT NOT NULL,
    owner TEXT NOT NULL,
    acquired_at BIGINT NOT NULL,
    held_until BIGINT NOT NULL,
    released_at BIGINT,
    PRIMARY KEY (agent, generation)
);
