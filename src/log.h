/*
 * Logging: levels, stderr (journald-friendly) and an optional file, and a
 * per-object prefix so every line about one account or connection can be
 * grepped.  Nothing secret may be passed here: callers log account ids and
 * emails, never passwords, cookies, tokens or proxy credentials.
 */
#ifndef WARMD_LOG_H
#define WARMD_LOG_H

#include <stdarg.h>

enum log_level {
	LL_ERROR = 0,
	LL_WARN,
	LL_INFO,
	LL_DEBUG,
};

/* Parse "error|warn|info|debug"; returns -1 on an unknown name. */
int	log_level_parse(const char *name);
/* Name of a level. */
const char *log_level_name(enum log_level lvl);

/* Set the program name used when logging to a terminal. */
void	log_init(const char *progname);
/* Set the minimum level written. */
void	log_set_level(enum log_level lvl);
/* Current minimum level. */
enum log_level log_get_level(void);
/* Also append to path (NULL = stderr only); 0 on success, -1 with errno. */
int	log_set_file(const char *path);
/* Reopen the log file (after rotation, on SIGUSR1); 0 on success. */
int	log_reopen(void);
/* Close the log file. */
void	log_close(void);

/* Write one line at lvl; prefix (may be NULL) is put in brackets first. */
void	log_msg(enum log_level lvl, const char *prefix, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* va_list form of log_msg. */
void	log_vmsg(enum log_level lvl, const char *prefix, const char *fmt,
	    va_list ap);

#define log_error(...)	log_msg(LL_ERROR, NULL, __VA_ARGS__)
#define log_warn(...)	log_msg(LL_WARN, NULL, __VA_ARGS__)
#define log_info(...)	log_msg(LL_INFO, NULL, __VA_ARGS__)
#define log_debug(...)	log_msg(LL_DEBUG, NULL, __VA_ARGS__)

#endif
