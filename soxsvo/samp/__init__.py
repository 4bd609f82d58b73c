"""SAMP 1.3 helpers: send tables, spectra, images and positions to TOPCAT, Aladin, SPLAT.

Owns choosing each recipient's message from its subscriptions and the ``soxsvo samp`` command;
the web page's SAMP button (Web Profile) is not here.
"""

from soxsvo.samp.client import (
    KINDS,
    Delivery,
    NoHubError,
    SAMPSendError,
    choose_mtype,
    messages,
    plan,
    send,
)

__all__ = ["KINDS", "Delivery", "NoHubError", "SAMPSendError", "choose_mtype", "messages",
           "plan", "send"]
