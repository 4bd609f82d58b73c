"""``soxsvo samp send ...``: the command-line face of :mod:`soxsvo.samp.client`."""

from __future__ import annotations

import sys

import click

from soxsvo.samp.client import NoHubError, SAMPSendError, send

#: Exit codes: no hub (2, like every user-caused failure of soxsvo), nobody takes it (1).
NO_HUB = 2
NOT_DELIVERED = 1


@click.group()
def samp() -> None:
    """Send archive data to desktop tools (TOPCAT, Aladin, SPLAT) over SAMP."""


@samp.group("send")
def send_group() -> None:
    """Send a table, spectrum, image or sky position to SAMP clients."""


def _send(kind: str, **kwargs) -> None:
    try:
        deliveries = send(kind, **kwargs)
    except NoHubError as exc:
        click.echo(f"soxsvo: error: {exc}", err=True)
        sys.exit(NO_HUB)
    except SAMPSendError as exc:
        click.echo(f"soxsvo: error: {exc}", err=True)
        sys.exit(NOT_DELIVERED)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    for delivery in deliveries:
        click.echo(f"sent {delivery.mtype} to {delivery.client_name}")


_to = click.option("--to", "to", metavar="NAME", default=None,
                   help="Send to this client only (its SAMP name, e.g. topcat).")
_name = click.option("--name", default=None, help="Label shown by the receiving tool.")


@send_group.command("table")
@click.argument("url")
@_name
@_to
def send_table(url: str, name: str | None, to: str | None) -> None:
    """Send the VOTable at URL (table.load.votable)."""
    _send("table", url=url, name=name, to=to)


@send_group.command("spectrum")
@click.argument("url")
@_name
@_to
def send_spectrum(url: str, name: str | None, to: str | None) -> None:
    """Send the FITS spectrum at URL (to SPLAT as a spectrum, TOPCAT as a table).

    Sky and image viewers such as Aladin never get it.
    """
    _send("spectrum", url=url, name=name, to=to)


@send_group.command("image")
@click.argument("url")
@_name
@_to
def send_image(url: str, name: str | None, to: str | None) -> None:
    """Send the FITS image at URL (image.load.fits)."""
    _send("image", url=url, name=name, to=to)


# Negative declinations look like options to click; let them through as arguments.
@send_group.command("point", context_settings={"ignore_unknown_options": True})
@click.argument("ra", type=float)
@click.argument("dec", type=float)
@_to
def send_point(ra: float, dec: float, to: str | None) -> None:
    """Point sky viewers at RA DEC (ICRS degrees; coord.pointAt.sky)."""
    _send("point", ra=ra, dec=dec, to=to)
