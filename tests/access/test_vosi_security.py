"""VOSI capabilities declare the authenticated TAP interfaces (TAP 1.1, IVOA SSO) on the same
endpoints as the anonymous one, and each declared method is accepted there."""

from __future__ import annotations

import io

import pyvo
import requests
from astropy.io import votable


def test_capabilities_declare_anonymous_basic_and_token_on_one_endpoint(
        access_archive, access_server) -> None:
    service = pyvo.dal.TAPService(f"{access_server}/tap")
    tap = next(c for c in service.capabilities if c.standardid == "ivo://ivoa.net/std/TAP")
    methods = {}
    for interface in tap.interfaces:
        ids = [m.standardid for m in interface.securitymethods] or [None]
        for method in ids:
            methods[method] = {u.content for u in interface.accessurls}
    assert set(methods) == {None, "ivo://ivoa.net/sso#BasicAA", "ivo://ivoa.net/sso#token"}
    assert len({frozenset(urls) for urls in methods.values()}) == 1
    url = next(iter(methods[None]))
    # Each declared way is accepted at that one URL and shows the caller's own product.
    own = access_archive.products["own_a"].did
    query = {"LANG": "ADQL", "QUERY": f"SELECT obs_publisher_did FROM ivoa.obscore "
                                      f"WHERE obs_publisher_did = '{own}'"}
    token = access_archive.tokens["pia"]
    anonymous = requests.get(f"{url}/sync", params=query, timeout=30)
    basic = requests.get(f"{url}/sync", params=query, auth=("pia", token), timeout=30)
    bearer = requests.get(f"{url}/sync", params=query, timeout=30,
                          headers={"Authorization": f"Bearer {token}"})
    rows = [len(votable.parse_single_table(io.BytesIO(a.content), verify="ignore").array)
            for a in (anonymous, basic, bearer)]
    assert rows == [0, 1, 1]
