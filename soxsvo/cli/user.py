"""``soxsvo user add|list|grant|revoke|token|passwd``: thin commands over ``soxsvo.access``."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps

import click
import psycopg

from soxsvo.access import tokens, users
from soxsvo.cli.common import (
    USAGE_ERROR,
    handles_errors,
    read_settings,
    started_database,
    upgrade,
)


@contextmanager
def _connection() -> Iterator[psycopg.Connection]:
    database = started_database(read_settings())
    upgrade(database)
    with database.connect() as conn:
        yield conn


def _refusals(command: Callable) -> Callable:
    """A request the user got wrong ends with one line on stderr and exit code 2."""

    @wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return handles_errors(command)(*args, **kwargs)
        except (users.UserError, ValueError) as exc:
            click.echo(f"soxsvo: error: {exc}", err=True)
            sys.exit(USAGE_ERROR)

    return wrapper


@click.group()
def user() -> None:
    """Manage accounts, their roles, programme rights and API tokens."""


@user.command("add")
@click.argument("login")
@click.option("--name", "full_name", default="", help="Full name.")
@click.option("--email", default="", help="E-mail address.")
@click.option("--password/--no-password", default=False,
              help="Ask for a password for web login (default: API tokens only).")
@_refusals
def add(login: str, full_name: str, email: str, password: bool) -> None:
    """Create an account."""
    secret = click.prompt("Password", hide_input=True, confirmation_prompt=True) \
        if password else None
    with _connection() as conn:
        users.add_user(conn, login, secret, full_name, email)
    click.echo(f"user {login} added")


@user.command("passwd")
@click.argument("login")
@_refusals
def passwd(login: str) -> None:
    """Set an account's web login password."""
    secret = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    with _connection() as conn:
        users.set_password(conn, login, secret)
    click.echo(f"password of {login} changed")


@user.command("list")
@_refusals
def list_() -> None:
    """List the accounts with their roles and programme rights."""
    with _connection() as conn:
        found = users.list_users(conn)
    for info in found:
        state = "" if info.active else " (disabled)"
        click.echo(f"{info.login}{state}\troles: {', '.join(info.roles) or '-'}\t"
                   f"programmes: {', '.join(info.programmes) or '-'}")


@user.command("grant")
@click.argument("login")
@click.option("--role", type=click.Choice(users.ROLES), help="An archive-wide role.")
@click.option("--programme", help="An ESO proposal_id, e.g. 116.28QK.001.")
@click.option("--pi", is_flag=True, help="As PI of the programme (default: co-I).")
@_refusals
def grant(login: str, role: str | None, programme: str | None, pi: bool) -> None:
    """Give an account a role or a right on a programme."""
    with _connection() as conn:
        users.grant(conn, login, role=role, programme=programme,
                    capacity="pi" if pi else "coi")
    click.echo(f"granted {role or programme} to {login}")


@user.command("revoke")
@click.argument("login")
@click.option("--role", type=click.Choice(users.ROLES), help="An archive-wide role.")
@click.option("--programme", help="An ESO proposal_id.")
@click.option("--token", "token_id", help="The id of one of the account's API tokens.")
@click.option("--disable", is_flag=True, help="Disable the account (no login, no tokens).")
@_refusals
def revoke(login: str, role: str | None, programme: str | None, token_id: str | None,
           disable: bool) -> None:
    """Take a role, programme right or API token away, or disable the account."""
    with _connection() as conn:
        if disable:
            users.set_active(conn, login, False)
            done = True
        elif token_id is not None:
            done = tokens.revoke_token(conn, token_id, login)
        else:
            done = users.revoke(conn, login, role=role, programme=programme)
    what = "the account" if disable else (token_id or role or programme)
    if not done:
        raise users.UserError(f"{login} did not hold {what}")
    click.echo(f"revoked {what} of {login}")


@user.command("token")
@click.argument("login")
@click.option("--name", default="", help="What the token is for (shown on /account).")
@click.option("--days", type=int, default=90, show_default=True, help="Lifetime in days.")
@click.option("--list", "list_only", is_flag=True, help="List the tokens instead.")
@_refusals
def token(login: str, name: str, days: int, list_only: bool) -> None:
    """Create an API token for an account (printed once) or list its tokens."""
    with _connection() as conn:
        if list_only:
            for info in tokens.list_tokens(conn, login):
                state = "revoked" if info.revoked else ("active" if info.active else "expired")
                click.echo(f"{info.token_id}\t{state}\texpires {info.expires:%Y-%m-%d}\t"
                           f"{info.name}")
            return
        click.echo(tokens.create_token(conn, login, name, days))
