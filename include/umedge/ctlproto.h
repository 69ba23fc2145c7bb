/* The control protocol: JSON lines over the control Unix socket.
 *
 * Every message is one JSON object on one line (no embedded newlines),
 * at most CTLPROTO_LINE_MAX bytes including the newline.
 *
 * CLI (umedgectl) -> control, one request per line:
 *     {"cmd": "status"}
 *     {"cmd": "dialplan.add", "args": {"name": "x", "voip_security": "secured"}}
 *   control answers each request with exactly one line:
 *     {"ok": true, "result": ...}  or  {"ok": false, "error": "what is wrong"}
 *   `events` with "follow": true keeps the connection and streams
 *     {"event": {...}} lines after the answer.
 *
 * Dataplane -> control:
 *     {"cmd": "dataplane.hello", "pid": N, "proto": 1}
 *   control answers {"ok": true, "result": {"proto": 1}} and from then on
 *   pushes complete snapshots, at once and after every change:
 *     {"push": "snapshot", "version": V, "snapshot": {...}}
 *   The dataplane notifies its counters about once a second:
 *     {"notify": "stats", "stats": {...}}   (no answer)
 *   and raises events (ids of include/umedge/events.h that the dataplane
 *   owns: TlsPeerRejected, MediaSessionIdle), which control writes to the
 *   event log like its own (at control rates: the dataplane rate-limits):
 *     {"notify": "event", "id": "TlsPeerRejected", "fields": {...}}
 *
 * Control -> dataplane requests (CLI verbs the dataplane answers, e.g.
 * media sessions), relayed by control from the CLI:
 *     {"req": "media.add", "id": N, "args": {...}}
 *   the dataplane answers each with exactly one line:
 *     {"reply": N, "ok": true, "result": ...}  or
 *     {"reply": N, "ok": false, "error": "what is wrong"}
 *   Control answers the CLI with that result (without "reply"), or with an
 *   error when no dataplane is connected or it does not answer within
 *   CTLPROTO_REQUEST_TIMEOUT_MS.
 *
 * Snapshot object (everything the dataplane needs; immutable once built):
 *   "version": V (strictly increasing within one control process),
 *   "fqdn": "um1.example.test",
 *   "listeners": [{"transport": "udp"|"tcp"|"tls", "port": 5060,
 *                  "dial_plans": ["fabrikam"]}],
 *   "dial_plans": [{"name", "voip_security", "associated": bool,
 *                   "srtp_suites": ["AES_CM_128_HMAC_SHA1_80", ...]}],
 *   "gateways": [{"name", "address", "port", "fqdn"}],
 *   "hunt_groups": [{"gateway", "pilot", "dial_plan"}],
 *   "application": {"address", "port", "transport"} or null,
 *   "certificate": {"thumbprint_sha1", "cert_pem" (leaf then chain),
 *                   "key_pem"} or null,
 *   "trust_pem": "all trust folder certificates, PEM, concatenated"
 *
 * Stats object (dataplane -> control), served as `status.dataplane`:
 *   {"ports": [{"id", "name", "side", "link", "rx_packets", "tx_packets", "rx_dropped"}],
 *    "workers": [{"lcore", "rx_packets", "tx_packets", "drops": {"REASON": n}, ...}],
 *    "drops": {"REASON": count, ...}, ...}
 *   Control adds "connected": bool.
 *
 * The key travels only to a connection that said dataplane.hello; the
 * socket is created 0660 so only root and the umedge group can connect. */
#ifndef UMEDGE_CTLPROTO_H
#define UMEDGE_CTLPROTO_H

#define CTLPROTO_VERSION 1
#define CTLPROTO_LINE_MAX (8u << 20)
#define CTLPROTO_REQUEST_TIMEOUT_MS 5000
#define CTLPROTO_DEFAULT_SOCKET "/run/umedge/control.sock"
#define CTLPROTO_SOCKET_ENV "UMEDGE_SOCKET"

#endif
