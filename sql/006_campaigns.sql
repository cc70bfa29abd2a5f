-- 006_campaigns: what turns the jobs table into scenarios.  A campaign
-- (rescue, engage, warmup) lives in the campaigns table whether it came
-- from the config or from `warmctl rescue`; the daemon's planner turns it
-- into jobs, and may do so again and again (every tick, every reload)
-- without ever doing work twice, because every planned job carries a
-- permanent key unique within its campaign.

-- Scenario tasks, run by the engine as a short chain of mailbox methods
-- in one session:
--   find          search a window of Inbox and Spam for letters matching a
--                 subject or body text (Unicode case folding)
--   rescue        find, then "not spam" what sits in Spam, optionally
--                 mark read and flag; records the placement
--   engage        find, rescue if needed, reply in the thread
--   warm_receive  a warm-up letter's recipient: find it by its token,
--                 rescue, open, flag, reply, follow a link as planned
ALTER TABLE jobs DROP CONSTRAINT jobs_task_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_task_check
	CHECK (task IN ('list_inbox', 'list_spam', 'not_spam', 'to_spam',
	    'flag', 'mark_read', 'click_link', 'send', 'reply',
	    'change_password', 'login', 'find', 'rescue', 'engage',
	    'warm_receive'));

-- The planner's key ("rescue:<account>", "send:<day>:<account>:<slot>"):
-- unlike idempotency_key it stays taken after the job has finished, so a
-- replan never repeats work that was done.  NULL for jobs from elsewhere.
ALTER TABLE jobs ADD COLUMN plan_key text;
-- The campaign day (in the campaign's time zone) the job belongs to; the
-- report groups by it.
ALTER TABLE jobs ADD COLUMN plan_day date;

CREATE UNIQUE INDEX jobs_plan_key_idx ON jobs (campaign_id, plan_key);

-- Reports read one campaign's jobs by day and task.
CREATE INDEX jobs_campaign_day_idx ON jobs (campaign_id, plan_day, task)
	WHERE campaign_id IS NOT NULL;

-- Where the campaign was defined: a config file (file:line) or the CLI.
-- A config campaign that disappears from the config is cancelled; a CLI
-- one lives until it is done or cancelled by hand.
ALTER TABLE campaigns ADD COLUMN source text NOT NULL DEFAULT 'cli'
	CHECK (source IN ('config', 'cli'));
ALTER TABLE campaigns ADD COLUMN origin text;	-- "file:line" or "warmctl"
-- Why a campaign stopped (cancelled, failed), for the operator.
ALTER TABLE campaigns ADD COLUMN reason text;
-- When the planner last looked at it, and the last day it planned.
ALTER TABLE campaigns ADD COLUMN planned_at timestamptz;
ALTER TABLE campaigns ADD COLUMN planned_day date;
