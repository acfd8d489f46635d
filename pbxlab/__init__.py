"""pbxlab: SIP captures and registrar logs to pandas, with diagnoses that say why.

Every notebook action is one call here, returning a DataFrame, a figure or a
model object.
"""

from pbxlab.analysis import Analysis, analyze, status_at
from pbxlab.capture.logs import LogRead, detect_log_format, iter_registrar_log, read_registrar_log
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
    "Analysis",
    "Capture",
    "CaptureFormatError",
    "CaptureStream",
    "InputError",
    "LogRead",
    "PbxlabError",
    "SipParseError",
    "UnsupportedFormatError",
    "__version__",
    "analyze",
    "detect_log_format",
    "iter_capture",
    "iter_registrar_log",
    "read_capture",
    "read_registrar_log",
    "status_at",
]
