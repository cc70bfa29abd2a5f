-- 005_queue: what turns the jobs table into a queue shared by many warmd
-- processes on many hosts.
--
-- The unit of claiming is the account, not the job: a mailbox must never
-- be logged into by two processes at once, and all of an account's due
-- jobs run in one session (one login, many actions).  So the lease lives
-- on a row per account, here, rather than on accounts itself: a lease is
-- renewed every few seconds and accounts rows are read everywhere; a
-- narrow table keeps those updates HOT and out of accounts' updated_at.
--
-- Claim: lock lease rows FOR UPDATE SKIP LOCKED, set owner/until; then the
-- account's due jobs become running with the same owner and until.  Every
-- comparison uses the database clock.  The jobs lease columns mirror the
-- account lease so an operator reading jobs sees who holds what.

CREATE TABLE account_leases (
	account_id	uuid PRIMARY KEY REFERENCES accounts (id)
			ON DELETE CASCADE,
	owner		text,		-- worker id "host:pid:start", or NULL
	until		timestamptz,	-- free once past, whoever the owner
	claimed_at	timestamptz
);

INSERT INTO account_leases (account_id) SELECT id FROM accounts;

-- Every account gets its lease row when it is created, whoever creates
-- it (warmctl import, a hand-written INSERT), so the claim never has to
-- insert.
CREATE FUNCTION warmd_account_lease_row() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO account_leases (account_id) VALUES (NEW.id)
		ON CONFLICT DO NOTHING;
	RETURN NULL;
END;
$$;

CREATE TRIGGER accounts_lease_row AFTER INSERT ON accounts
	FOR EACH ROW EXECUTE FUNCTION warmd_account_lease_row();

-- Set when a send or reply is claimed: from then on its letter may have
-- left, even if the worker dies before it can say so.  An attempt that
-- finds it set looks in Sent for the job's token before sending again.
ALTER TABLE jobs ADD COLUMN effect_at timestamptz;

-- The claim walks ready jobs oldest first, whatever their account.
CREATE INDEX jobs_due_idx ON jobs (run_after) WHERE status = 'new';

-- Renewal and release look up a worker's running jobs.
CREATE INDEX jobs_owner_idx ON jobs (lease_owner) WHERE status = 'running';

-- The reaper fails queued jobs whose deadline passed.
CREATE INDEX jobs_deadline_idx ON jobs (deadline)
	WHERE status = 'new' AND deadline IS NOT NULL;

-- Daily caps when Redis is away: done jobs of an account today, by task.
CREATE INDEX jobs_account_finished_idx ON jobs (account_id, finished_at)
	WHERE status = 'done';
