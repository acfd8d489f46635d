"""SIP message parsing (RFC 3261): bytes in, :class:`SipMessage` out.

The parser opens no file and builds no DataFrame; see :mod:`.message` for its
contract, :mod:`.framer` for stream (TCP) framing and :mod:`.sdp` for bodies.
"""

from pbxlab.capture.sip.framer import NEED_DATA, Keepalive, SipStreamFramer, Skipped
from pbxlab.capture.sip.message import SipMessage, looks_like_sip, parse_message
from pbxlab.capture.sip.sdp import SdpInfo, SdpMedia, parse_sdp

__all__ = [
    "NEED_DATA",
    "Keepalive",
    "SdpInfo",
    "SdpMedia",
    "SipMessage",
    "SipStreamFramer",
    "Skipped",
    "looks_like_sip",
    "parse_message",
    "parse_sdp",
]
