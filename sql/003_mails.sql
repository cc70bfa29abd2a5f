-- 003_mails: letters found in the mailboxes and what warmd did with them
-- ("mails" in the original spec).  Listing jobs upsert on
-- (account_id, message_id), so seeing a letter again refreshes its row
-- instead of adding one.

CREATE TABLE mails (
	id		bigserial PRIMARY KEY,
	found_at	timestamptz NOT NULL DEFAULT now(),
	-- The listing job that found it; jobs are pruned, the letter stays.
	job_id		bigint REFERENCES jobs (id) ON DELETE SET NULL,
	account_id	uuid NOT NULL REFERENCES accounts (id),
	-- Provider thread id, e.g. 0:17238435541582434693:0 in
	-- https://e.mail.ru/inbox/0:17238435541582434693:0/
	mail_id		text NOT NULL,
	-- Provider id of the letter itself; when a listing gives only the
	-- thread, the writer uses the thread id here.
	message_id	text NOT NULL,
	folder		text NOT NULL
			CHECK (folder IN ('inbox', 'spam', 'sent', 'trash',
			    'archive', 'other')),
	status		text NOT NULL DEFAULT 'new'
			CHECK (status IN ('new', 'read')),
	flagged		boolean NOT NULL DEFAULT false,
	subject		text,
	sender		text,
	received_at	timestamptz,
	body		text,			-- only once the letter was opened
	-- Every action as {"action": "not_spam", "at": ..., "job_id": ...};
	-- the last one is denormalised for reports.
	actions		jsonb NOT NULL DEFAULT '[]',
	last_action	text,
	acted_at	timestamptz,
	updated_at	timestamptz NOT NULL DEFAULT now(),
	UNIQUE (account_id, message_id)
);

CREATE INDEX mails_thread_idx ON mails (account_id, mail_id);
CREATE INDEX mails_received_idx ON mails (received_at);

CREATE TRIGGER mails_touch BEFORE UPDATE ON mails
	FOR EACH ROW EXECUTE FUNCTION warmd_touch_updated_at();
