"""The leak matrix's programmes, callers and who sees what (see ``conftest.py``)."""

PROGRAMME_A = "117.AAAA.001"
PROGRAMME_O = "117.OOOO.001"
CONSORTIUM_PROGRAMME = "116.2AZ7.001"
ROLES = ("anonymous", "pia", "member", "admin")
#: Which caller sees which product.
SEES = {
    "anonymous": {"public"},
    "pia": {"public", "own_a"},
    "member": {"public", "consortium"},
    "admin": {"public", "own_a", "consortium", "other"},
}
PASSWORD = "correct horse battery"
#: (ra, dec, t_min) of the proprietary products: alone in their MOC cells, newest spectra.
PLACES = {"own_a": (11.0, 81.0, 99001.0), "consortium": (131.0, 71.0, 99002.0),
          "other": (251.0, 61.0, 99003.0)}

#: Who sees the consortium's unpublished work (classifications, redshifts, comments,
#: priorities, workflow lists): members and admins, never a PI who is not a member.
SEES_CONSORTIUM_WORK = {"anonymous": False, "pia": False, "member": True, "admin": True}
#: What a survey reported (TNS) for the transient the consortium then classified privately.
SURVEY_CLASS = ("SN", 0.0123)
#: The consortium's unpublished classification of that transient, and its other private work.
PRIVATE_CLASS = ("TDE", 0.31415)
PRIVATE_COMMENT = "private comment 4f1c: take an X-shooter spectrum tonight"
PRIVATE_PRIORITY = 1
PRIVATE_LIST = "followup"
#: A consortium classification reported to TNS: public.
PUBLISHED_CLASS = ("SLSN-II", 0.27182)
