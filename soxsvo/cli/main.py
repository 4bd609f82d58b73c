"""The ``soxsvo`` command: one group, its commands in one module per concern.

Every failure a user can cause ends with a one-line message on stderr and exit code 2
(:func:`soxsvo.cli.common.handles_errors`); nothing here holds logic of its own.
"""

from __future__ import annotations

import click

from soxsvo.cli import adql, archive, db, marshall, night, samp, server, table, user


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="soxsvo")
def main() -> None:
    """soxsvo: the SOXS archive, its VO services and the transient Marshall."""


for command in (server.serve, server.health, server.demo, db.db, archive.ingest, archive.package,
                archive.watch, archive.validate, adql.adql, marshall.alerts, marshall.catalog,
                samp.samp, marshall.marshall, table.table, user.user, night.night):
    main.add_command(command)


if __name__ == "__main__":  # pragma: no cover
    main()
