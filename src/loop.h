/*
 * The one event loop.  Wraps the libevent base with what libevent 2.1 lacks:
 * work deferred to the end of the current iteration (so an object several
 * callbacks may still point at is freed only after they have all run), a
 * monotonic clock, and a stop flag.
 */
#ifndef WARMD_LOOP_H
#define WARMD_LOOP_H

#include <stdint.h>

struct event;
struct event_base;

/* Create the event base; 0 on success. */
int	loop_init(void);
/* The event base (valid between loop_init and loop_free). */
struct event_base *loop_base(void);
/* Run iterations until loop_stop(); returns 0, or -1 on a libevent error. */
int	loop_run(void);
/* Make loop_run return after the current iteration. */
void	loop_stop(void);
/* Run fn(arg) after the current iteration's callbacks (FIFO order). */
void	loop_defer(void (*fn)(void *), void *arg);
/* Monotonic milliseconds. */
uint64_t loop_now_ms(void);
/* (Re)arm a timer event to fire after ms milliseconds. */
void	loop_timer_ms(struct event *ev, uint64_t ms);
/* Run deferred work now and free the base. */
void	loop_free(void);

#endif
