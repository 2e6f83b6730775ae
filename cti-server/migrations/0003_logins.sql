-- The login gate's memory (issue 29), shared by every instance and kept across restarts, so a
-- restart or a second server does not reset it. Times are milliseconds on the database's clock.

-- One bucket of failed logins per account (the user name in lower case) that failed lately:
-- when it will have leaked empty, and when it was last charged. Empty buckets are deleted.
CREATE TABLE login_buckets (
    account TEXT PRIMARY KEY,
    empty_at BIGINT NOT NULL,
    last_at BIGINT NOT NULL
);

-- The devices and addresses each account logged in from, as keyed hashes only (HMAC-SHA256 of
-- account, device and address under login_secret): the table names no address. Forgotten 90
-- days after their last login.
CREATE TABLE login_known (
    pair TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    last_login BIGINT NOT NULL
);

-- The key of those hashes (one row), made by the first instance that needs it.
CREATE TABLE login_secret (
    id BIGINT PRIMARY KEY,
    secret TEXT NOT NULL
);
