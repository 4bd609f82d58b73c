"""VOSI capabilities declare the authenticated TAP interfaces (TAP 1.1, IVOA SSO) on the same
endpoints as the anonymous one, and each declared method is accepted there."""

from __future__ import annotations

import io
from xml.etree import ElementTree

import requests
from astropy.io import votable


def test_capabilities_declare_anonymous_basic_and_token_on_one_endpoint(
        access_archive, access_server) -> None:
    document = requests.get(f"{access_server}/tap/capabilities", timeout=30).content
    tap = next(c for c in ElementTree.fromstring(document).findall("capability")
               if c.get("standardID") == "ivo://ivoa.net/std/TAP")
    methods = {}
    for interface in tap.findall("interface"):
        ids = [m.get("standardID") for m in interface.findall("securityMethod")] or [None]
        for method in ids:
            methods[method] = {u.text for u in interface.findall("accessURL")}
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
