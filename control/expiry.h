/* Expiry warnings for the certificate in use (design point 5): from
 * warning_days before not_after one CertificateExpiringSoon per UTC day, and
 * one CertificateExpired per UTC day after it, until the certificate changes.
 * State is persisted so a restart neither repeats nor skips a day. */
#ifndef UMEDGE_EXPIRY_H
#define UMEDGE_EXPIRY_H

#include <stdint.h>
#include <time.h>

#include "certstore.h"

struct expiry_state {
	char thumbprint[CERTSTORE_THUMB_HEX]; /* certificate the state is about */
	int64_t last_day;                     /* UTC day number (t / 86400) of the last event, -1 none */
	int last_event;                       /* enum expiry_event of that event */
};

enum expiry_event {
	EXPIRY_NONE = 0,
	EXPIRY_SOON,    /* *days: whole days left (0 on the last day) */
	EXPIRY_EXPIRED, /* *days: whole days since expiry (0 on the day it expired) */
};

/* Whether an event is due at `now` for the certificate in use. st is reset
 * whenever thumbprint differs from st->thumbprint, and st->last_day is set
 * to today's UTC day when an event is returned (the caller then saves st).
 * SOON when 0 < not_after - now <= warning_days days; EXPIRED from
 * not_after on. At most one event per UTC day per certificate, except that
 * the day a certificate expires may carry both its last SOON and the
 * EXPIRED of the moment it expired: an operator must hear of the expiry
 * when it happens, not the next day. */
enum expiry_event expiry_check(struct expiry_state *st, const char *thumbprint,
			       time_t not_after, time_t now, int warning_days, int *days);

/* Load state from path. A missing, oversize or corrupt file gives the empty
 * state and 0 (costs at most one repeated event); -errno only when the file
 * exists but cannot be read, and st is then empty too. */
int expiry_state_load(const char *path, struct expiry_state *st);
/* Save atomically. 0 or -errno. */
int expiry_state_save(const char *path, const struct expiry_state *st);

#endif
