/* Expiry events with an injected clock: the daily cadence, the countdown,
 * certificate changes, and persistence across restarts. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "expiry.h"
#include "fsutil.h"

#define DAY 86400L
#define WARN 30
#define THUMB_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define THUMB_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

/* The certificate expires 2027-03-01T12:00:00Z, mid-day on purpose. */
static const time_t NOT_AFTER = (time_t)1803902400;

static char dir[] = "/tmp/umedge-expiry-test-XXXXXX";
static char state_path[128];

static void setup(void)
{
	strcpy(dir, "/tmp/umedge-expiry-test-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(state_path, sizeof(state_path), "%s/expiry.json", dir);
}

static void teardown(void)
{
	unlink(state_path);
	rmdir(dir);
}

TestSuite(expiry, .init = setup, .fini = teardown);

static struct expiry_state empty_state(void)
{
	struct expiry_state st;

	memset(&st, 0, sizeof(st));
	st.last_day = -1;
	return st;
}

static enum expiry_event at(struct expiry_state *st, time_t now, int *days)
{
	*days = -99;
	return expiry_check(st, THUMB_A, NOT_AFTER, now, WARN, days);
}

Test(expiry, nothing_before_the_window)
{
	struct expiry_state st = empty_state();
	int days;

	cr_assert_eq(at(&st, NOT_AFTER - 400 * DAY, &days), EXPIRY_NONE);
	cr_assert_eq(at(&st, NOT_AFTER - WARN * DAY - 1, &days), EXPIRY_NONE);
	cr_assert_eq(days, -99, "days untouched without an event");
	cr_assert_eq(st.last_day, -1);
}

Test(expiry, first_soon_exactly_at_warning_days)
{
	struct expiry_state st = empty_state();
	int days;

	cr_assert_eq(at(&st, NOT_AFTER - WARN * DAY, &days), EXPIRY_SOON);
	cr_assert_eq(days, WARN);
	cr_assert_str_eq(st.thumbprint, THUMB_A);
	cr_assert_eq(st.last_day, (NOT_AFTER - WARN * DAY) / DAY);
}

Test(expiry, once_per_utc_day)
{
	struct expiry_state st = empty_state();
	time_t t = NOT_AFTER - 10 * DAY; /* 12:00 UTC */
	int days;

	cr_assert_eq(at(&st, t, &days), EXPIRY_SOON);
	cr_assert_eq(at(&st, t + 60, &days), EXPIRY_NONE);
	cr_assert_eq(at(&st, t + 11 * 3600 + 3599, &days), EXPIRY_NONE, "23:59:59 same day");
	cr_assert_eq(at(&st, t + 12 * 3600, &days), EXPIRY_SOON, "00:00:00 next UTC day");
	cr_assert_eq(days, 9);
	cr_assert_eq(at(&st, t + 13 * 3600, &days), EXPIRY_NONE);
}

Test(expiry, days_left_count_down_to_zero)
{
	struct expiry_state st = empty_state();
	int days;

	/* Checked hourly for the whole window: exactly one event per day. */
	int events = 0, expect = WARN;

	for (time_t t = NOT_AFTER - WARN * DAY; t < NOT_AFTER; t += 3600) {
		enum expiry_event ev = at(&st, t, &days);

		if (ev == EXPIRY_NONE)
			continue;
		cr_assert_eq(ev, EXPIRY_SOON);
		cr_assert_eq(days, (int)((NOT_AFTER - t) / DAY));
		cr_assert_leq(days, expect, "never counts up");
		expect = days;
		events++;
	}
	/* The window spans 31 UTC days (it starts and ends at noon). */
	cr_assert_eq(events, WARN + 1);
	cr_assert_eq(expect, 0, "the last day says 0 days left");
}

Test(expiry, expired_daily_from_expiry_day)
{
	struct expiry_state st = empty_state();
	int days;

	cr_assert_eq(at(&st, NOT_AFTER - 3600, &days), EXPIRY_SOON);
	cr_assert_eq(days, 0);
	/* Same UTC day, but the expiry itself must be heard when it happens. */
	cr_assert_eq(at(&st, NOT_AFTER, &days), EXPIRY_EXPIRED);
	cr_assert_eq(days, 0);
	cr_assert_eq(at(&st, NOT_AFTER + 60, &days), EXPIRY_NONE, "and only once");

	st = empty_state();
	cr_assert_eq(at(&st, NOT_AFTER, &days), EXPIRY_EXPIRED);
	cr_assert_eq(days, 0);
	cr_assert_eq(at(&st, NOT_AFTER + 3600, &days), EXPIRY_NONE);
	for (int d = 1; d <= 5; d++) {
		cr_assert_eq(at(&st, NOT_AFTER + d * DAY, &days), EXPIRY_EXPIRED);
		cr_assert_eq(days, d);
		cr_assert_eq(at(&st, NOT_AFTER + d * DAY + 60, &days), EXPIRY_NONE);
	}
}

Test(expiry, thumbprint_change_resets)
{
	struct expiry_state st = empty_state();
	time_t t = NOT_AFTER - 5 * DAY;
	int days = -1;

	cr_assert_eq(at(&st, t, &days), EXPIRY_SOON);
	/* A new certificate the same day, also in its window: its own event. */
	cr_assert_eq(expiry_check(&st, THUMB_B, NOT_AFTER + DAY, t + 60, WARN, &days), EXPIRY_SOON);
	cr_assert_eq(days, 5);
	cr_assert_str_eq(st.thumbprint, THUMB_B);
	/* A new certificate far from expiry: quiet, and state follows it. */
	cr_assert_eq(expiry_check(&st, THUMB_A, NOT_AFTER + 365 * DAY, t + 120, WARN, &days),
		     EXPIRY_NONE);
	cr_assert_str_eq(st.thumbprint, THUMB_A);
	cr_assert_eq(st.last_day, -1);
}

Test(expiry, overlong_thumbprint_does_not_repeat)
{
	struct expiry_state st = empty_state();
	const char *longid = THUMB_A "ffff";
	int days;

	cr_assert_eq(expiry_check(&st, longid, NOT_AFTER, NOT_AFTER - DAY, WARN, &days), EXPIRY_SOON);
	cr_assert_eq(expiry_check(&st, longid, NOT_AFTER, NOT_AFTER - DAY + 60, WARN, &days),
		     EXPIRY_NONE);
}

Test(expiry, warning_days_zero_means_only_expired)
{
	struct expiry_state st = empty_state();
	int days;

	cr_assert_eq(expiry_check(&st, THUMB_A, NOT_AFTER, NOT_AFTER - 60, 0, &days), EXPIRY_NONE);
	cr_assert_eq(expiry_check(&st, THUMB_A, NOT_AFTER, NOT_AFTER, 0, &days), EXPIRY_EXPIRED);
}

Test(expiry, before_1970_days_floor)
{
	struct expiry_state st = empty_state();
	int days;

	/* Day numbers floor: 1969-12-30T23:00 is day -2, not day -1 (nor 0). */
	cr_assert_eq(expiry_check(&st, THUMB_A, -3 * DAY, -DAY - 3600, WARN, &days),
		     EXPIRY_EXPIRED);
	cr_assert_eq(st.last_day, -2);
	cr_assert_eq(expiry_check(&st, THUMB_A, -3 * DAY, -DAY - 1800, WARN, &days), EXPIRY_NONE);
	cr_assert_eq(expiry_check(&st, THUMB_A, -3 * DAY, -DAY + 3600, WARN, &days),
		     EXPIRY_EXPIRED);
	cr_assert_eq(st.last_day, -1);
	cr_assert_eq(expiry_check(&st, THUMB_A, -3 * DAY, 3600, WARN, &days), EXPIRY_EXPIRED);
	cr_assert_eq(st.last_day, 0);
	cr_assert_eq(days, 3);
}

Test(expiry, state_round_trip)
{
	struct expiry_state st = empty_state(), back;

	strcpy(st.thumbprint, THUMB_A);
	st.last_day = 20876;
	cr_assert_eq(expiry_state_save(state_path, &st), 0);
	cr_assert_eq(expiry_state_load(state_path, &back), 0);
	cr_assert_str_eq(back.thumbprint, THUMB_A);
	cr_assert_eq(back.last_day, 20876);

	char *text = NULL;
	size_t len = 0;

	cr_assert_eq(fsutil_read_file(state_path, 4096, &text, &len), 0);
	cr_assert_str_eq(text, "{\"thumbprint_sha1\":\"" THUMB_A "\",\"last_day\":20876,\"last_event\":\"expired\"}\n");
	free(text);
}

Test(expiry, missing_state_is_empty)
{
	struct expiry_state st;

	memset(&st, 0x55, sizeof(st));
	cr_assert_eq(expiry_state_load(state_path, &st), 0);
	cr_assert_str_empty(st.thumbprint);
	cr_assert_eq(st.last_day, -1);
}

Test(expiry, restart_same_day_does_not_repeat)
{
	struct expiry_state st = empty_state(), st2;
	time_t t = NOT_AFTER - 3 * DAY;
	int days;

	cr_assert_eq(at(&st, t, &days), EXPIRY_SOON);
	cr_assert_eq(expiry_state_save(state_path, &st), 0);
	/* The daemon restarts an hour later. */
	cr_assert_eq(expiry_state_load(state_path, &st2), 0);
	cr_assert_eq(at(&st2, t + 3600, &days), EXPIRY_NONE);
	cr_assert_eq(at(&st2, t + DAY, &days), EXPIRY_SOON);
	cr_assert_eq(days, 2);
}

Test(expiry, restart_after_skipped_days_gives_that_days_event)
{
	struct expiry_state st = empty_state(), st2;
	time_t t = NOT_AFTER - 3 * DAY;
	int days;

	cr_assert_eq(at(&st, t, &days), EXPIRY_SOON);
	cr_assert_eq(expiry_state_save(state_path, &st), 0);
	/* Down for two days, back after expiry day +1: one event, for today. */
	cr_assert_eq(expiry_state_load(state_path, &st2), 0);
	cr_assert_eq(at(&st2, NOT_AFTER + DAY + 60, &days), EXPIRY_EXPIRED);
	cr_assert_eq(days, 1);
	cr_assert_eq(at(&st2, NOT_AFTER + DAY + 120, &days), EXPIRY_NONE);
}

Test(expiry, corrupt_state_is_empty)
{
	static const char *const bad[] = {
		"",
		"{",
		"not json",
		"[]",
		"{\"thumbprint_sha1\":\"" THUMB_A "\"}",
		"{\"thumbprint_sha1\":42,\"last_day\":1}",
		"{\"thumbprint_sha1\":\"xyz\",\"last_day\":1}",
		"{\"thumbprint_sha1\":\"" THUMB_A "\",\"last_day\":\"1\"}",
		"{\"thumbprint_sha1\":\"" THUMB_A "\",\"last_day\":-5}",
		"{\"thumbprint_sha1\":\"" THUMB_A "\",\"last_day\":1,\"last_day\":2}",
		"\x00\xff\xfe garbage",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct expiry_state st;
		size_t n = i == sizeof(bad) / sizeof(bad[0]) - 1 ? 12 : strlen(bad[i]);

		cr_assert_eq(fsutil_write_atomic(state_path, bad[i], n, 0644), 0);
		memset(&st, 0x55, sizeof(st));
		cr_assert_eq(expiry_state_load(state_path, &st), 0, "case %zu", i);
		cr_assert_str_empty(st.thumbprint, "case %zu", i);
		cr_assert_eq(st.last_day, -1, "case %zu", i);
	}
}

Test(expiry, oversize_state_is_empty)
{
	struct expiry_state st;
	size_t n = 100000;
	char *big = malloc(n);

	memset(big, ' ', n);
	cr_assert_eq(fsutil_write_atomic(state_path, big, n, 0644), 0);
	cr_assert_eq(expiry_state_load(state_path, &st), 0);
	cr_assert_eq(st.last_day, -1);
	free(big);
}

Test(expiry, save_into_missing_folder_fails_cleanly)
{
	struct expiry_state st = empty_state();

	cr_assert_lt(expiry_state_save("/nonexistent/umedge/expiry.json", &st), 0);
}

Test(expiry, expired_after_soon_survives_restart)
{
	struct expiry_state st = empty_state(), back;
	int days;

	cr_assert_eq(at(&st, NOT_AFTER - 3600, &days), EXPIRY_SOON);
	cr_assert_eq(expiry_state_save(state_path, &st), 0);
	cr_assert_eq(expiry_state_load(state_path, &back), 0);
	cr_assert_eq(back.last_event, EXPIRY_SOON);
	cr_assert_eq(at(&back, NOT_AFTER + 10, &days), EXPIRY_EXPIRED);
	cr_assert_eq(expiry_state_save(state_path, &back), 0);
	cr_assert_eq(expiry_state_load(state_path, &st), 0);
	cr_assert_eq(at(&st, NOT_AFTER + 20, &days), EXPIRY_NONE, "no repeat after a restart");
}
