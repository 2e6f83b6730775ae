-- What a session must not lose (issue 13). Portable SQL: the same file runs on SQLite and
-- PostgreSQL. Times are Unix seconds.

-- One row per agent session: who, on which device, the password's verifier (argon2id, so a
-- password login can take the session over without disturbing Neotel), and the core's snapshot
-- (the contact on screen, its draft, Task id, every write Neotel has not accepted).
CREATE TABLE sessions (
    agent TEXT PRIMARY KEY,
    device TEXT NOT NULL,
    verifier TEXT NOT NULL,
    snapshot TEXT NOT NULL,
    pending_writes BIGINT NOT NULL,
    started_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Session tokens, by their SHA-256 only: the store never holds a token a browser could use.
CREATE TABLE tokens (
    hash TEXT PRIMARY KEY,
    agent TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE INDEX tokens_agent ON tokens (agent);

-- Each agent's panel settings and language (F-CONFIG), kept across sessions.
CREATE TABLE agent_settings (
    agent TEXT PRIMARY KEY,
    settings TEXT NOT NULL
);
