"""Session key and CSRF protection shared by every browser-facing form."""

from __future__ import annotations

import stat

from flask import render_template_string

from soxsvo.web.app import create_app
from soxsvo.web.security import secret_key


def test_secret_key_is_created_once_private_and_reused(settings):
    first = secret_key(settings)
    path = settings.data_path / "secret_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) == 64
    assert secret_key(settings) == first
    assert create_app(settings).config["SECRET_KEY"] == first


def test_form_post_without_csrf_token_is_refused(settings):
    app = create_app(settings)

    @app.route("/test-form", methods=["GET", "POST"])
    def form():
        return render_template_string("<input name=csrf_token value='{{ csrf_token() }}'>")

    client = app.test_client()
    assert client.post("/test-form", data={}).status_code == 400
    page = client.get("/test-form").get_data(as_text=True)
    token = page.split("value='")[1].split("'")[0]
    assert client.post("/test-form", data={"csrf_token": token}).status_code == 200


def test_dal_services_need_no_csrf_token(client):
    response = client.post("/tap/sync", data={"LANG": "ADQL",
                                               "QUERY": "SELECT TOP 1 * FROM ivoa.obscore"})
    assert response.status_code == 200, response.get_data(as_text=True)


def _guarded_app(settings, identity=None):
    from flask import g

    from soxsvo.web.auth import require_role

    app = create_app(settings)
    if identity is not None:
        app.before_request(lambda: setattr(g, "identity", identity))

    @app.get("/api/guarded")
    @require_role("consortium")
    def api_view():
        return {"ok": True}

    @app.get("/guarded-page")
    @require_role()
    def page_view():
        return "welcome"

    return app.test_client()


def test_anonymous_api_caller_gets_a_401_problem_document(settings):
    response = _guarded_app(settings).get("/api/guarded")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == 401 and "Bearer" in response.json["detail"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_anonymous_page_visitor_is_sent_to_login_and_back(settings):
    response = _guarded_app(settings).get("/guarded-page")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=%2Fguarded-page%3F"


def test_caller_without_the_role_is_forbidden_and_with_it_served(settings):
    from soxsvo.access import Identity

    outsider = _guarded_app(settings, Identity(user="ann"))
    assert outsider.get("/api/guarded").status_code == 403
    assert outsider.get("/guarded-page").get_data(as_text=True) == "welcome"
    member = _guarded_app(settings, Identity(user="bo", roles=frozenset({"consortium"})))
    assert member.get("/api/guarded").json == {"ok": True}
