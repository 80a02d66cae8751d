"""The colours of dialkit's charts and widgets: one colour per outcome, the same everywhere.

Okabe-Ito palette (Okabe & Ito, "Color Universal Design"), which stays
distinguishable for the common forms of colour blindness.  Plain data, no
matplotlib: :mod:`dialkit.display.widgets` colours its counts with it without loading
a plotting library; :mod:`dialkit.display.charts` and :mod:`dialkit.display.outcome_charts`
draw with it (and re-export these names, where they were first published).
"""

from __future__ import annotations

from dialkit.ledger.results import FAILURE_CODES

__all__ = ["CONTACT_OUTCOME_COLORS", "DISPOSITION_COLORS", "FAILURE_CODE_COLORS", "OUTCOME_COLORS", "REJECTION_COLOR"]

#: One colour per failure code, the same in every chart (Okabe–Ito palette).
FAILURE_CODE_COLORS: dict[str, str] = {
    "InvalidInput": "#D55E00",  # vermillion: fix the data
    "RequestThrottled": "#E69F00",  # orange: wait and resend
    "UnknownError": "#CC79A7",  # reddish purple: resend
    "BufferLimitExceeded": "#0072B2",  # blue: the v2 pending buffer is full
}
for _code in FAILURE_CODES:  # a code added to the package later still gets a colour
    FAILURE_CODE_COLORS.setdefault(_code, "#882255")

#: Colour of every outcome (requests and attempts).
OUTCOME_COLORS: dict[str, str] = {
    "succeeded": "#009E73",  # bluish green
    **FAILURE_CODE_COLORS,
    "pending": "#BBBBBB",  # light grey: not sent yet, or waiting to be resent
    "in_flight": "#888888",  # mid grey: sent, no answer recorded (a run killed mid-call)
    "call_error": "#444444",  # dark grey: the whole call failed (429/500/connection)
    "unanswered": "#DDCC77",  # sand: an attempt with no per-item answer (yet)
}

#: Colour of each contact-record outcome (how the dialed contact ended, from its DisconnectReason).
#: Same meanings as the request colours: green went well, orange is a capacity matter (redial),
#: vermillion needs a look, grey is not classified.
CONTACT_OUTCOME_COLORS: dict[str, str] = {
    "connected": "#009E73",  # bluish green: the call connected
    "expired": "#E69F00",  # orange: capacity did not reach it in time
    "not_dialed": "#999933",  # olive: discarded in preview, never dialed
    "failed": "#D55E00",  # vermillion: the attempt failed
    "other": "#BBBBBB",  # light grey: a reason dialkit does not know, or none yet
}

#: Colour of the rejection-reason bars (not an outcome, so not one of the outcome colours).
REJECTION_COLOR = "#56B4E9"  # sky blue

#: One colour per disposition (Okabe-Ito, then Paul Tol's muted scheme for the classes past eight): green
#: reached a person, teal answered by someone unknown, blues a machine or nobody, yellow busy, vermillion a
#: person lost, wine a bad number, indigo blocked, purples a failed line or configuration, orange and olive
#: never dialed, grey unknown.
DISPOSITION_COLORS: dict[str, str] = {
    "human_answered": "#009E73",
    "answered_unclassified": "#44AA99",
    "voicemail": "#0072B2",
    "no_answer": "#56B4E9",
    "busy": "#F0E442",
    "abandoned": "#D55E00",
    "bad_number": "#882255",
    "blocked": "#332288",
    "network_failure": "#CC79A7",
    "configuration_error": "#AA4499",
    "expired": "#E69F00",
    "not_dialed": "#999933",
    "other": "#BBBBBB",
}
