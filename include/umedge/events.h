/* Event identifiers: the operator's vocabulary in events.jsonl, syslog and
 * `umedgectl events`. Shared so the dataplane can report through control. */
#ifndef UMEDGE_EVENTS_H
#define UMEDGE_EVENTS_H

#define UMEDGE_EVENT_IDS(X)                          \
	X(CertificateSelected, "info")               \
	X(CertificateChanged, "info")                \
	X(SelfSignedCertificateGenerated, "warning") \
	X(CertificateExpiringSoon, "warning")        \
	X(CertificateExpired, "error")               \
	X(CertificateRejected, "warning")            \
	X(SecurityModeChanged, "info")               \
	X(DialPlanAssociationChanged, "info")        \
	X(ConfigChanged, "info")                     \
	X(ConfigRejected, "error")                   \
	X(ControlStarted, "info")                    \
	X(DataplaneConnected, "info")                \
	X(DataplaneDisconnected, "warning")          \
	X(MetricsUnavailable, "warning")             \
	/* raised by the dataplane, written by control */ \
	X(TlsPeerRejected, "warning")                \
	X(MediaSessionIdle, "warning")               \
	X(SipUnknownGateway, "warning")              \
	X(SipNoDialPlan, "warning")                  \
	X(VoipSecurityMismatch, "warning")          \
	X(CallStarted, "info")                       \
	X(CallEnded, "info")                         \
	X(CallMediaTimeout, "warning")

enum umedge_event_id {
#define UMEDGE_EVENT_ENUM(name, sev) UMEDGE_EV_##name,
	UMEDGE_EVENT_IDS(UMEDGE_EVENT_ENUM)
#undef UMEDGE_EVENT_ENUM
	UMEDGE_EV_COUNT
};

#endif
