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
};

enum expiry_event {
	EXPIRY_NONE = 0,
	EXPIRY_SOON,    /* *days: whole days left (0 on the last day) */
	EXPIRY_EXPIRED, /* *days: whole days since expiry (0 on the day it expired) */
};

/* Whether an event is due at `now` for the certificate in use; updates st
 * (resetting it when the thumbprint changed) when one is. */
enum expiry_event expiry_check(struct expiry_state *st, const char *thumbprint,
			       time_t not_after, time_t now, int warning_days, int *days);

/* Load state from path (missing file: empty state). 0 or -errno. */
int expiry_state_load(const char *path, struct expiry_state *st);
/* Save atomically. 0 or -errno. */
int expiry_state_save(const char *path, const struct expiry_state *st);

#endif
