"""What every DAL service shares (DALI 1.1): case-insensitive parameters and error documents.

Owns request parsing common to TAP, SSA and DataLink and turning typed errors into DALI error
VOTables; never knows a protocol's own parameters or runs a query.
"""

from soxsvo.dali.blueprint import dal_blueprint
from soxsvo.dali.errors import DALIError, dali_error_response
from soxsvo.dali.params import DALIParams, request_params

__all__ = ["DALIError", "DALIParams", "dal_blueprint", "dali_error_response", "request_params"]
