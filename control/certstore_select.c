/* What to put in use after a scan (design "Certificates" points 3 and 5). */
#include "certstore.h"

enum certstore_action certstore_select(const struct certstore *s, const char *current_thumb,
				       enum certstore_trigger trigger,
				       const struct certstore_candidate **chosen)
{
	const struct certstore_candidate *best = certstore_best(s);
	const struct certstore_candidate *cur = certstore_find(s, current_thumb);

	if (best) {
		*chosen = best;
		return CERTSTORE_USE;
	}
	/* The one in use merely expired: a self-signed replacement would not
	 * be trusted by the gateways either, so it stays, with daily events. */
	if (trigger == CERTSTORE_TRIGGER_CLOCK && cur && cur->expired_only) {
		*chosen = cur;
		return CERTSTORE_KEEP_CURRENT;
	}
	/* Generation only when someone looked at the store: start-up, a change
	 * of the store or trust folder, or `cert reload`. */
	if (trigger == CERTSTORE_TRIGGER_STARTUP || trigger == CERTSTORE_TRIGGER_STORE_CHANGED) {
		*chosen = NULL;
		return CERTSTORE_GENERATE;
	}
	*chosen = cur; /* may be NULL: it left the store; keep what the dataplane has */
	return CERTSTORE_KEEP_CURRENT;
}
