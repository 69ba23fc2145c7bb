/* fuzz_config: libFuzzer target for the YAML configuration parser. Any
 * input must end in a config or a "name:line: what" error, never a crash,
 * leak or hang; accepted configs must also survive emit -> parse. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "umedge/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[CONFIG_ERR_MAX];
	struct config *c = NULL, *back = NULL;
	char *text = NULL;

	if (config_parse("fuzz.yaml", (const char *)data, size, &c, err, sizeof(err)) < 0)
		goto out;
	/* What we accept we must be able to write back and read again. */
	text = config_emit(c);
	if (!text)
		abort();
	if (config_parse("emitted.yaml", text, strlen(text), &back, err, sizeof(err)) < 0 ||
	    !config_equal(c, back))
		abort();
out:
	free(text);
	config_free(back);
	config_free(c);
	return 0;
}
