"""What the tests' SRTP gateways (sip_gateway_call.py, ng_gateway.py) share:
the SDES suites pylibsrtp has, the offer's media and a=crypto lines, the
line an answer keeps, and the SRTP sessions both ways (Debian's libsrtp2
through pylibsrtp)."""
import base64
import os

from pylibsrtp import Policy, Session

# suite -> (pylibsrtp profile, master key + salt octets)
SUITES = {"AES_CM_128_HMAC_SHA1_80": (Policy.SRTP_PROFILE_AES128_CM_SHA1_80, 30),
          "AES_CM_128_HMAC_SHA1_32": (Policy.SRTP_PROFILE_AES128_CM_SHA1_32, 30),
          "AEAD_AES_128_GCM": (Policy.SRTP_PROFILE_AEAD_AES_128_GCM, 28),
          "AEAD_AES_256_GCM": (Policy.SRTP_PROFILE_AEAD_AES_256_GCM, 44)}


def offer_of(body):
    """The SDP's IPv4 address, its audio port, profile and formats, and
    its a=crypto values."""
    o = {"addr": None, "port": None, "proto": None, "fmts": [], "crypto": []}
    for line in body.splitlines():
        if line.startswith("c=IN IP4 "):
            o["addr"] = line[9:].strip()
        elif line.startswith("m=audio "):
            p = line.split()
            o["port"], o["proto"], o["fmts"] = int(p[1]), p[2], p[3:]
        elif line.startswith("a=crypto:"):
            o["crypto"].append(line[9:].strip())
    return o


def pick(offer, want=None):
    """The offered line an answer keeps (RFC 4568): the one of suite want,
    else the first of a suite pylibsrtp has. (tag, suite, key) or None."""
    lines = [c.split()[:3] for c in offer["crypto"] if c.split()[1] in SUITES]
    if not lines:
        return None
    tag, suite, inline = ([x for x in lines if x[1] == want] or lines)[0]
    b64 = inline.split(":", 1)[1].split("|")[0]
    return tag, suite, base64.b64decode(b64 + "=" * (-len(b64) % 4))  # some omit the padding


def sessions(suite, key_in, key_out=None):
    """(rx, tx, key_out): rx checks what comes with key_in, tx protects
    with key_out (a fresh one when not given)."""
    profile, klen = SUITES[suite]
    key_out = key_out or os.urandom(klen)
    rx = Session(policy=Policy(key=key_in, ssrc_type=Policy.SSRC_ANY_INBOUND,
                               srtp_profile=profile))
    tx = Session(policy=Policy(key=key_out, ssrc_type=Policy.SSRC_ANY_OUTBOUND,
                               srtp_profile=profile))
    return rx, tx, key_out
