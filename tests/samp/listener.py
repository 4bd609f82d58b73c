"""A fake desktop tool for the SAMP tests: registers with the hub, records what it receives."""

from __future__ import annotations

import threading

from pyvo.samp import SAMPIntegratedClient


class Listener:
    """Registers under ``name``, subscribed to ``mtypes`` (notifications), and records them."""

    def __init__(self, name: str, mtypes: list[str]) -> None:
        self.name = name
        self.received: list[tuple[str, dict]] = []
        self.event = threading.Event()
        self.client = SAMPIntegratedClient(name=name)
        self.client.connect()
        for mtype in mtypes:
            self.client.bind_receive_notification(mtype, self._receive)

    def _receive(self, private_key, sender_id, mtype, params, extra) -> None:
        self.received.append((mtype, params))
        self.event.set()

    def wait(self, timeout: float = 5.0) -> bool:
        """Whether something arrived within ``timeout`` seconds."""
        return self.event.wait(timeout)

    def next(self, timeout: float = 15.0) -> tuple[str, dict]:
        """The next message (mtype, params), failing if none arrives in ``timeout`` s."""
        assert self.event.wait(timeout), "nothing received"
        self.event.clear()
        return self.received[-1]
