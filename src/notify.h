/*
 * Service manager notifications (sd_notify): READY, RELOADING, STOPPING and
 * a STATUS line.  A no-op when not started by systemd or built without it.
 */
#ifndef WARMD_NOTIFY_H
#define WARMD_NOTIFY_H

/* Tell the service manager start-up is complete. */
void	notify_ready(void);
/* Tell it a reload began (READY follows when it ends). */
void	notify_reloading(void);
/* Tell it shutdown began. */
void	notify_stopping(void);
/* Set the one-line status shown by `systemctl status`. */
void	notify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
