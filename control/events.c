#include "events.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"

#define EVENTS_TAIL_READ_MAX (4u << 20) /* how much of the file `events` scans */

static const char *const event_names[UMEDGE_EV_COUNT] = {
#define EV_NAME(name, sev) #name,
	UMEDGE_EVENT_IDS(EV_NAME)
#undef EV_NAME
};

static const char *const event_sevs[UMEDGE_EV_COUNT] = {
#define EV_SEV(name, sev) sev,
	UMEDGE_EVENT_IDS(EV_SEV)
#undef EV_SEV
};

const char *events_name(enum umedge_event_id id)
{
	return (unsigned)id < UMEDGE_EV_COUNT ? event_names[id] : "Unknown";
}

const char *events_severity(enum umedge_event_id id)
{
	return (unsigned)id < UMEDGE_EV_COUNT ? event_sevs[id] : "info";
}

int events_open(struct events_log *log, const char *state_dir, bool use_syslog)
{
	int rc;

	log->fd = -1;
	if (snprintf(log->path, sizeof(log->path), "%s/events.jsonl", state_dir) >=
	    (int)sizeof(log->path))
		return -ENAMETOOLONG;
	rc = fsutil_mkdir_p(state_dir, 0750);
	if (rc < 0)
		return rc;
	log->fd = open(log->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (log->fd < 0)
		return -errno;
	log->use_syslog = use_syslog;
	log->syslog_up = false;
	log->syslog_seen_at = 0;
	if (use_syslog)
		openlog("umedge-control", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	return 0;
}

void events_close(struct events_log *log)
{
	if (log->fd >= 0)
		close(log->fd);
	log->fd = -1;
	if (log->use_syslog)
		closelog();
}

static void iso_time_ms(char *buf, size_t len)
{
	struct timeval tv;
	struct tm tm;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (int)(tv.tv_usec / 1000));
}

/* Whether syslog() can deliver: /dev/log looked at again once a minute,
 * so that a syslog daemon started later is picked up. */
static bool syslog_ready(struct events_log *log)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (log->syslog_seen_at == 0 || now.tv_sec - log->syslog_seen_at >= 60) {
		log->syslog_up = access(_PATH_LOG, W_OK) == 0;
		log->syslog_seen_at = now.tv_sec > 0 ? now.tv_sec : 1;
	}
	return log->syslog_up;
}

static int syslog_prio(const char *sev)
{
	if (strcmp(sev, "error") == 0)
		return LOG_ERR;
	if (strcmp(sev, "warning") == 0)
		return LOG_WARNING;
	return LOG_INFO;
}

void events_emit(struct events_log *log, enum umedge_event_id id, json_t *fields)
{
	char ts[64];
	json_t *ev;
	char *line = NULL, *fl = NULL;
	size_t len;

	if ((unsigned)id < UMEDGE_EV_COUNT)
		log->counts[id]++;
	iso_time_ms(ts, sizeof(ts));
	if (!fields)
		fields = json_object();
	ev = json_pack("{s:s, s:s, s:s, s:o}", "time", ts, "id", events_name(id), "severity",
		       events_severity(id), "fields", fields);
	if (!ev)
		return;
	line = json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!line)
		goto out;
	len = strlen(line);
	line[len] = '\n';
	/* One write() per line on an O_APPEND fd keeps lines whole. */
	if (log->fd >= 0 && write(log->fd, line, len + 1) != (ssize_t)(len + 1))
		fprintf(stderr, "umedge-control: cannot append to %s: %s\n", log->path,
			strerror(errno));
	line[len] = '\0';
	if (log->use_syslog && syslog_ready(log)) {
		fl = json_dumps(json_object_get(ev, "fields"), JSON_COMPACT | JSON_PRESERVE_ORDER);
		syslog(syslog_prio(events_severity(id)), "%s %s", events_name(id), fl ? fl : "{}");
	}
	if (log->sink)
		log->sink(ev, log->sink_ctx);
out:
	free(fl);
	free(line);
	json_decref(ev);
}

void events_emitf(struct events_log *log, enum umedge_event_id id, const char *fmt, ...)
{
	json_error_t jerr;
	json_t *fields;
	va_list ap;

	va_start(ap, fmt);
	fields = json_vpack_ex(&jerr, 0, fmt, ap);
	va_end(ap);
	if (!fields) {
		/* A programming error in a format string: say so, keep the event. */
		fields = json_pack("{s:s}", "pack_error", jerr.text);
	}
	events_emit(log, id, fields);
}

json_t *events_tail(const struct events_log *log, size_t max)
{
	json_t *arr = json_array();
	char *buf = NULL, *start, *p;
	size_t len = 0;
	size_t skip = 0, lines = 0;
	int fd = -1;
	struct stat st;

	if (!arr)
		return NULL;
	fd = open(log->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		goto out;
	if (fstat(fd, &st) < 0)
		goto out;
	/* Only the end of a long log matters; read its last few MiB. */
	if ((size_t)st.st_size > EVENTS_TAIL_READ_MAX)
		skip = (size_t)st.st_size - EVENTS_TAIL_READ_MAX;
	buf = malloc((size_t)st.st_size - skip + 1);
	if (!buf)
		goto out;
	{
		ssize_t n = pread(fd, buf, (size_t)st.st_size - skip, (off_t)skip);
		if (n < 0)
			goto out;
		len = (size_t)n;
	}
	buf[len] = '\0';
	start = buf;
	if (skip > 0) {
		p = strchr(start, '\n');
		start = p ? p + 1 : buf + len;
	}
	for (p = start; *p; p++)
		if (*p == '\n')
			lines++;
	for (p = start; *p && lines > max;) {
		if (*p++ == '\n')
			lines--;
	}
	while (*p) {
		char *nl = strchr(p, '\n');
		json_t *ev;

		if (!nl)
			break;
		ev = json_loadb(p, (size_t)(nl - p), 0, NULL);
		if (ev)
			json_array_append_new(arr, ev);
		p = nl + 1;
	}
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return arr;
}
