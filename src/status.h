/*
 * What warmd reports about itself: /status (JSON for people and tests) and
 * /metrics (Prometheus text exposition).
 */
#ifndef WARMD_STATUS_H
#define WARMD_STATUS_H

struct evbuffer;

/* Render /status as JSON into out (arg unused). */
void	status_render_json(struct evbuffer *out, void *arg);
/* Render /metrics as Prometheus text into out (arg unused). */
void	status_render_metrics(struct evbuffer *out, void *arg);

#endif
