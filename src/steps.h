/*
 * Scenario jobs as chains of mailbox methods.  A rescue, engage or
 * warm_receive job is one row in the jobs table but several actions in
 * one session: find the letter, then act on what was found ("select":
 * "listed").  Each step is skipped once an earlier one did not succeed,
 * and the steps' results fold into one result for the row.
 */
#ifndef WARMD_STEPS_H
#define WARMD_STEPS_H

#include <stddef.h>

#include <jansson.h>

#include "action.h"

/* The most steps one scenario job expands into. */
#define STEPS_MAX	6

/* Whether task is a scenario task (rescue, engage, warm_receive). */
int	 steps_is_scenario(const char *task);
/* Whether a scenario task may send a letter (its retries check Sent). */
int	 steps_sends(const char *task);

/*
 * Decode a scenario job's payload (borrowed) into up to STEPS_MAX actions
 * in acts; the count, or -1 with a reason naming the field.
 */
int	 steps_expand(const char *task, json_t *payload, struct action *acts,
	    char *why, size_t len);

/* Fold one step's result into the job's result object (created by the caller). */
void	 steps_record(json_t *result, const struct action *a,
	    const struct act_result *r);

#endif
