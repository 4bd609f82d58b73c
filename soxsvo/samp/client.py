"""Sending tables, spectra, images and sky positions to desktop tools over SAMP 1.3.

Each message is planned per recipient from what the recipient subscribes to, never sent
blindly to everyone: a spectrum goes to spectrum viewers (SPLAT) as
``spectrum.load.ssa-generic``, to table tools (TOPCAT) as ``table.load.fits``, and to image
and sky viewers (Aladin) not at all, because a spectrum loaded as a table there is useless.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from soxsvo.utils.sky import icrs_degrees

if TYPE_CHECKING:
    from pyvo.samp import SAMPIntegratedClient

KINDS = ("table", "spectrum", "image", "point")
#: Clients that are sky or image viewers: they never get a spectrum, not even as a table.
SKY_VIEWER_MTYPES = ("image.load.fits", "coord.pointAt.sky")


class NoHubError(RuntimeError):
    """No SAMP hub is running (or its lock file points at a dead one)."""


class SAMPSendError(RuntimeError):
    """The message cannot be delivered: no such client, or nobody subscribes to it."""


@dataclass(frozen=True)
class Delivery:
    """One message to one client."""

    client_id: str
    client_name: str
    mtype: str
    params: dict[str, object] = field(default_factory=dict)


def _strings(params: dict[str, object]) -> dict[str, object]:
    # SAMP values are strings, lists or maps of strings: numbers must never go out as numbers.
    out: dict[str, object] = {}
    for key, value in params.items():
        out[key] = _strings(value) if isinstance(value, dict) else str(value)
    return out


def messages(kind: str, *, url: str | None = None, name: str | None = None,
             ra: float | None = None, dec: float | None = None) -> dict[str, dict]:
    """The possible messages for ``kind``: mtype -> params, in order of preference.

    Parameters
    ----------
    kind : {"table", "spectrum", "image", "point"}
        What is sent.
    url : str, optional
        URL of the table, spectrum or image.
    name : str, optional
        Label shown by the receiving tool (default: the last part of the URL).
    ra, dec : float, optional
        ICRS position in degrees (``point``).

    Returns
    -------
    dict
        Message params (strings only) by mtype.
    """
    if kind == "point":
        if ra is None or dec is None:
            raise ValueError("a point needs RA and Dec")
        ra, dec = icrs_degrees(float(ra), float(dec))   # PositionError is a ValueError
        return {"coord.pointAt.sky": _strings({"ra": repr(float(ra)), "dec": repr(float(dec))})}
    if not url:
        raise ValueError(f"a {kind} needs a URL")
    label = name or url.rstrip("/").rsplit("/", 1)[-1] or url
    if kind == "table":
        return {"table.load.votable": _strings({"url": url, "table-id": url, "name": label})}
    if kind == "image":
        return {"image.load.fits": _strings({"url": url, "image-id": url, "name": label})}
    if kind == "spectrum":
        meta = {"Access.Reference": url, "Access.Format": "application/fits",
                "ssa:Access.Reference": url, "ssa:Access.Format": "application/fits",
                "DataID.Title": label}
        return {
            "spectrum.load.ssa-generic": _strings(
                {"url": url, "meta": meta, "spectrum-id": url, "name": label}),
            "table.load.fits": _strings({"url": url, "table-id": url, "name": label}),
        }
    raise ValueError(f"unknown kind {kind!r}; one of {', '.join(KINDS)}")


def choose_mtype(kind: str, subscriptions: set[str], options: list[str]) -> str | None:
    """The mtype a client with ``subscriptions`` should get for ``kind``, or None.

    A spectrum falls back to ``table.load.fits`` only for clients that are not sky or image
    viewers (TOPCAT yes, Aladin no).
    """
    for mtype in options:
        if mtype not in subscriptions:
            continue
        if kind == "spectrum" and mtype.startswith("table.") and any(
                m in subscriptions for m in SKY_VIEWER_MTYPES):
            continue
        return mtype
    return None


@contextlib.contextmanager
def connected(name: str = "soxsvo") -> Iterator[SAMPIntegratedClient]:
    """A client registered with the running hub (found as SAMP 1.3 says: ``SAMP_HUB``,
    else ``~/.samp``), unregistered on exit.

    Raises
    ------
    NoHubError
        When there is no hub.
    """
    # Imported here: pyvo costs every command-line start most of a second.
    try:  # astropy.samp moved to pyvo.samp (astropy 8 deprecates its copy); same API
        from pyvo.samp import SAMPHubError, SAMPIntegratedClient, SAMPProxyError
    except ImportError:  # pragma: no cover - older pyvo
        from astropy.samp import SAMPHubError, SAMPIntegratedClient, SAMPProxyError

    # Not callable: soxsvo only sends, so it needs no XML-RPC server of its own.
    client = SAMPIntegratedClient(name=name, description="SOXS archive (soxsvo)",
                                  callable=False)
    try:
        client.connect()
    except (SAMPHubError, ConnectionError, OSError) as exc:
        raise NoHubError(f"no SAMP hub is running ({exc}); start TOPCAT, Aladin or "
                         "another hub first") from None
    try:
        yield client
    finally:
        with contextlib.suppress(SAMPHubError, SAMPProxyError, OSError):
            client.disconnect()


def plan(client: SAMPIntegratedClient, kind: str, params_by_mtype: dict[str, dict],
         to: str | None = None) -> list[Delivery]:
    """Who gets which message: each registered client's subscriptions decide.

    Parameters
    ----------
    client : SAMPIntegratedClient
        A connected client (the sender).
    kind : str
        What is sent (``table``, ``spectrum``, ``image``, ``point``).
    params_by_mtype : dict
        From :func:`messages`.
    to : str, optional
        Only the client of this ``samp.name`` (case-insensitive).

    Raises
    ------
    SAMPSendError
        When ``to`` names no client or a client that takes none of the messages, or when no
        client at all takes them.
    """
    own = client.get_public_id()
    clients = {}
    for cid in client.get_registered_clients():
        if cid == own:
            continue
        meta = client.get_metadata(cid)
        clients[cid] = str(meta.get("samp.name", cid))
    options = list(params_by_mtype)
    if to is not None:
        wanted = {cid: n for cid, n in clients.items() if n.lower() == to.lower()}
        if not wanted:
            known = ", ".join(sorted(clients.values())) or "none"
            raise SAMPSendError(f"no SAMP client named {to!r} (connected: {known})")
        clients = wanted
    deliveries = []
    for cid, cname in clients.items():
        mtype = choose_mtype(kind, set(client.get_subscriptions(cid)), options)
        if mtype is not None:
            deliveries.append(Delivery(cid, cname, mtype, params_by_mtype[mtype]))
    if not deliveries:
        who = f"{to!r}" if to else "any connected client"
        raise SAMPSendError(f"{who} does not accept a {kind} (needs one of {', '.join(options)})")
    return deliveries


def send(kind: str, *, url: str | None = None, name: str | None = None,
         ra: float | None = None, dec: float | None = None,
         to: str | None = None) -> list[Delivery]:
    """Send a table, spectrum, image or sky position to the subscribed desktop tools.

    Parameters
    ----------
    kind : {"table", "spectrum", "image", "point"}
        What is sent.
    url, name, ra, dec
        See :func:`messages`.
    to : str, optional
        Only this client (by ``samp.name``); all subscribed clients by default.

    Returns
    -------
    list of Delivery
        The messages sent.
    """
    params = messages(kind, url=url, name=name, ra=ra, dec=dec)
    with connected() as client:
        deliveries = plan(client, kind, params, to)
        for delivery in deliveries:
            client.notify(delivery.client_id,
                          {"samp.mtype": delivery.mtype, "samp.params": delivery.params})
    return deliveries
