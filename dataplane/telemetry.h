/* DPDK telemetry commands under /umedge/ (dpdk-telemetry.py, or the
 * telemetry socket of the EAL runtime folder). */
#ifndef UMEDGE_DP_TELEMETRY_H
#define UMEDGE_DP_TELEMETRY_H

#include "ctl.h"
#include "dp.h"

int telemetry_register(const struct dp *dp, const struct ctl *ctl);

#endif
