"""pbxlab: SIP captures and registrar logs to pandas, with diagnoses that say why.

Every notebook action is one call here, returning a DataFrame, a figure or a
model object.
"""

from pbxlab.capture.reader import Capture, CaptureStream, iter_capture, read_capture
from pbxlab.errors import (
    CaptureFormatError,
    InputError,
    PbxlabError,
    SipParseError,
    UnsupportedFormatError,
)
from pbxlab.tables import ERRORS, EVENTS, MESSAGES, RTP_STREAMS

__version__ = "0.1.0"

__all__ = [
    "ERRORS",
    "EVENTS",
    "MESSAGES",
    "RTP_STREAMS",
    "Capture",
    "CaptureFormatError",
    "CaptureStream",
    "InputError",
    "PbxlabError",
    "SipParseError",
    "UnsupportedFormatError",
    "__version__",
    "iter_capture",
    "read_capture",
]
