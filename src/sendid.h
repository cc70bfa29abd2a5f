/*
 * A letter's identity, derived from its job so every attempt (and the
 * planner that predicts it) agrees: the provider's 32-hex client send id
 * and the short token that goes into the body, where Sent is searched
 * for it after a crash and the recipient's warm_receive finds it.
 */
#ifndef WARMD_SENDID_H
#define WARMD_SENDID_H

/* From idempotency key idem_key when not NULL, else from the job id. */
void	 sendid_make(const char *idem_key, const char *job_id,
	    char send_id[33], char token[13]);

#endif
