-- Server-side browser sessions, and login attempts counted before their password is checked.
--
-- auth.session: one row per logged-in browser. The cookie holds a random session id (256
-- bits, signed by Flask); only its SHA-256 is stored here, so a copy of this table logs nobody
-- in. Logout deletes the row; a password change and disabling the account delete all rows of
-- the login (soxsvo.access.sessions): a cookie captured before then is worth nothing after.
CREATE TABLE auth.session (
    session_hash text PRIMARY KEY CHECK (session_hash ~ '^[0-9a-f]{64}$'),
    login        text NOT NULL REFERENCES auth.account ON DELETE CASCADE,
    created      timestamptz NOT NULL DEFAULT now(),
    last_seen    timestamptz NOT NULL DEFAULT now(),
    expires      timestamptz NOT NULL,
    CHECK (expires > created)
);
CREATE INDEX session_login ON auth.session (login);
CREATE INDEX session_expires ON auth.session (expires);
REVOKE ALL ON auth.session FROM PUBLIC;
REVOKE ALL ON auth.session FROM soxsvo_reader;
COMMENT ON TABLE auth.session IS
    'Logged-in browser sessions (SHA-256 of the cookie''s session id); deleted on logout, '
    'password change and when the account is disabled.';

-- success IS NULL: the attempt is counted but its password is still being checked (the hash
-- runs outside any database transaction). Until its verdict it counts as a failure, so that
-- concurrent guesses cannot all pass the throttle before the first one is recorded.
ALTER TABLE auth.login_attempt ALTER COLUMN success DROP NOT NULL;
COMMENT ON COLUMN auth.login_attempt.success IS
    'true: right password; false: wrong; NULL: being checked (counts as a failure).';
