/* umedgectl's human output: tables and key/value blocks from result JSON. */
#ifndef UMEDGE_CTL_FORMAT_H
#define UMEDGE_CTL_FORMAT_H

#include <stdio.h>

#include <jansson.h>

/* Print the result of cmd (e.g. "dialplan.list") for people. */
void ctl_format_result(FILE *f, const char *cmd, const json_t *result);

/* One event as a log line: "TIME SEVERITY Id key=value ...". */
void ctl_format_event(FILE *f, const json_t *event);

#endif
