"""``/login``, ``/logout`` and ``/account`` (API tokens): thin views over ``soxsvo.access``.

Every form posts a CSRF token (Flask-WTF refuses the post otherwise). A login starts a
server-side session (:func:`soxsvo.web.identify.log_in`); logout ends it in the database, so a
copy of the cookie made before is worthless afterwards.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Response, redirect, render_template, request

from soxsvo.access.logins import LoginError, LoginThrottledError, authenticate
from soxsvo.access.tokens import MAX_DAYS, create_token, list_tokens, revoke_token
from soxsvo.web.auth import require_role
from soxsvo.web.context import connection, current_identity
from soxsvo.web.identify import log_in, log_out

blueprint = Blueprint("login", __name__)
#: Longest accepted form values (a password is hashed: bound its cost).
_MAX_FIELD = 256


def safe_next(target: str | None) -> str:
    """Where to go after login: a path on this site only (never another host)."""
    if not target:
        return "/account"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") \
            or "\\" in target:
        return "/account"
    return target


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> Response | str:
    """The password login form; on success a server-side session starts for this browser."""
    next_url = safe_next(request.values.get("next"))
    if request.method == "GET":
        return render_template("login.html", next_url=next_url, error=None)
    name = request.form.get("login", "")[:_MAX_FIELD]
    password = request.form.get("password", "")[:_MAX_FIELD]
    try:
        # The factory, not a connection: the password is hashed with none held.
        identity = authenticate(connection, name, password, request.remote_addr or "unknown")
        log_in(identity.user)
    except LoginThrottledError as exc:
        page = render_template("login.html", next_url=next_url, error=str(exc), login=name)
        return Response(page, status=429, headers={"Retry-After": str(exc.retry_after)})
    except (LoginError, ValueError) as exc:
        # ValueError: the account was disabled between the check and the session's start.
        error = str(exc) if isinstance(exc, LoginError) else "wrong login or password"
        page = render_template("login.html", next_url=next_url, error=error, login=name)
        return Response(page, status=401)
    return redirect(next_url, code=303)


@blueprint.post("/logout")
def logout() -> Response:
    """End the session, on the server too."""
    log_out()
    return redirect("/", code=303)


def _account_page(new_token: str | None = None, error: str | None = None,
                  status: int = 200) -> Response:
    identity = current_identity()
    with connection() as conn:
        tokens = list_tokens(conn, identity.user)
    page = render_template("account.html", tokens=tokens, new_token=new_token, error=error,
                           max_days=MAX_DAYS)
    return Response(page, status=status)


@blueprint.get("/account")
@require_role()
def account() -> Response:
    """The caller's roles, programme rights and API tokens."""
    return _account_page()


@blueprint.post("/account/tokens")
@require_role()
def new_token() -> Response:
    """Create an API token; its text is shown on this one page only."""
    try:
        days = int(request.form.get("days", "90"))
        with connection() as conn:
            text = create_token(conn, current_identity().user,
                                request.form.get("name", "")[:_MAX_FIELD], days)
    except ValueError as exc:
        return _account_page(error=str(exc), status=400)
    # Never cached: the page holds a secret.
    response = _account_page(new_token=text)
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.post("/account/tokens/<token_id>/revoke")
@require_role()
def revoke(token_id: str) -> Response:
    """Revoke one of the caller's tokens."""
    with connection() as conn:
        revoke_token(conn, token_id, current_identity().user)
    return redirect("/account", code=303)
