"""DALI error documents carry the escaped message in QUERY_STATUS=ERROR."""

import io

from astropy.io import votable

from soxsvo.formats import Info, error_document


def test_message_is_escaped_and_readable():
    message = 'column "x" <unknown> & not found'
    doc = error_document(message, infos=[Info("QUERY", "SELECT x FROM t")])
    assert b"&lt;unknown&gt; &amp;" in doc
    vot = votable.parse(io.BytesIO(doc))
    status = vot.resources[0].infos[0]
    assert (status.name, status.value, status.content) == ("QUERY_STATUS", "ERROR", message)
    assert vot.resources[0].type == "results"


def test_control_characters_do_not_break_xml():
    doc = error_document("bad\x00byte")
    vot = votable.parse(io.BytesIO(doc))
    assert vot.resources[0].infos[0].content == "bad\ufffdbyte"
