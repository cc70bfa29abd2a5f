-- 004_sessions: what the session layer keeps about a mailbox between runs:
-- how it may log in, a browser session the operator imported, where it was
-- last seen from, and when warmd changed its password.

-- Login strategies to try, in order ("mobile,web,cookies"); NULL follows
-- the config's global order.  Per account because one mailbox may be
-- reachable only through a session imported from a browser while the rest
-- of the pool logs in with the mobile token flow.  Set with
-- `warmctl set-auth`; the CHECK keeps a typo in a hand-written UPDATE from
-- silently disabling every strategy.
ALTER TABLE accounts ADD COLUMN auth_methods text
	CHECK (auth_methods ~ '^(mobile|web|cookies)(,(mobile|web|cookies))*$');

-- A browser's Netscape cookie export (`warmctl import-session`), sealed like
-- password (AES-256-GCM, the account id as associated data): the cookies
-- are a live login, as secret as the password itself.
ALTER TABLE accounts ADD COLUMN imported_session bytea;
ALTER TABLE accounts ADD COLUMN imported_session_at timestamptz;

-- The address mail.ru saw at the last successful login.  A mailbox whose
-- exit address jumps between countries looks stolen; keeping the last one
-- lets the operator spot a proxy that changed under an account.
ALTER TABLE accounts ADD COLUMN exit_ip inet;

-- Set when warmd itself changed the password (change_password jobs).  The
-- new password replaces the sealed one but password_fp is left alone: it
-- fingerprints the account file's line, so re-importing the unchanged line
-- keeps the new password, and editing the line puts the file's back.
ALTER TABLE accounts ADD COLUMN password_changed_at timestamptz;
