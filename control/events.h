/* The event log: JSON lines in STATE_DIR/events.jsonl and syslog, plus a
 * sink for live followers (`umedgectl events --follow`). Events happen at
 * control rates only; nothing here is on a packet path. */
#ifndef UMEDGE_CONTROL_EVENTS_H
#define UMEDGE_CONTROL_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "umedge/events.h"

typedef void (*events_sink_fn)(const json_t *event, void *ctx);

struct events_log {
	char path[1100];     /* STATE_DIR/events.jsonl */
	int fd;              /* append-only */
	bool use_syslog;
	/* /dev/log was there at syslog_seen_at (monotonic s): glibc retries
	 * socket()+connect() on every syslog() while it is missing */
	bool syslog_up;
	time_t syslog_seen_at;
	uint64_t counts[UMEDGE_EV_COUNT]; /* emitted by this process, per id */
	events_sink_fn sink; /* may be NULL */
	void *sink_ctx;
	time_t (*clock)(void);
};

/* Open (create 0640) STATE_DIR/events.jsonl for appending. 0 or -errno. */
int events_open(struct events_log *log, const char *state_dir, bool use_syslog);
void events_close(struct events_log *log);

const char *events_name(enum umedge_event_id id);
const char *events_severity(enum umedge_event_id id);

/* Record one event; fields is stolen (may be NULL). Never fails the caller:
 * a write error goes to syslog/stderr, the event still reaches the sink. */
void events_emit(struct events_log *log, enum umedge_event_id id, json_t *fields);

/* Build the fields object inline: events_emitf(log, id, "{s:s, s:i}", ...)
 * with jansson's json_pack format. */
void events_emitf(struct events_log *log, enum umedge_event_id id, const char *fmt, ...);

/* The last `max` events of the file as a JSON array (new reference), or
 * NULL on error. */
json_t *events_tail(const struct events_log *log, size_t max);

#endif
