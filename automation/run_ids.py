"""A run's id and the pattern the API publishes for it, both built from the constants below.

`run_YYYYMMDD_HHMMSS_<trigger>` is the reference system's shape; ours adds `_<6 hex>`, random, so
two sites starting in the same second get distinct ids (an existence check cannot promise that:
both find the bare id free). The pattern also accepts the ids earlier versions stored: the bare
reference shape, and a 4-hex suffix added only on a collision.
"""

import datetime
import re
import secrets

from automation.models import AutomationRun, TriggerType

PREFIX = "run"
TIME_FORMAT = "%Y%m%d_%H%M%S"
SUFFIX_HEX_DIGITS = 6
LEGACY_SUFFIX_HEX_DIGITS = 4
MAX_LENGTH = AutomationRun._meta.get_field("run_id").max_length
# The digits each strftime directive of TIME_FORMAT writes.
_DIRECTIVE_DIGITS = {"%Y": 4, "%m": 2, "%d": 2, "%H": 2, "%M": 2, "%S": 2}


def new_run_id(trigger_type: str, now: datetime.datetime) -> str:
    """`run_YYYYMMDD_HHMMSS_<trigger>_<6 hex>` for a run started at `now`."""
    return f"{PREFIX}_{now:{TIME_FORMAT}}_{trigger_type}_{secrets.token_hex(SUFFIX_HEX_DIGITS // 2)}"


def _time_pattern(time_format: str) -> str:
    """`%Y%m%d_%H%M%S` -> `[0-9]{8}_[0-9]{6}`: the digits of adjacent directives run together."""
    pattern, digits = "", 0
    for part in re.split(r"(%[A-Za-z])", time_format):
        if part in _DIRECTIVE_DIGITS:
            digits += _DIRECTIVE_DIGITS[part]
        elif part:
            pattern += (f"[0-9]{{{digits}}}" if digits else "") + re.escape(part)
            digits = 0
    return pattern + (f"[0-9]{{{digits}}}" if digits else "")


def _suffix_pattern() -> str:
    # Optional: the reference system's ids, and ours before the suffix, have none.
    return f"(_([0-9a-f]{{{SUFFIX_HEX_DIGITS}}}|[0-9a-f]{{{LEGACY_SUFFIX_HEX_DIGITS}}}))?"


def _pattern() -> str:
    triggers = "|".join(re.escape(value) for value in TriggerType.values)
    return f"^{re.escape(PREFIX)}_{_time_pattern(TIME_FORMAT)}_({triggers}){_suffix_pattern()}$"


PATTERN = _pattern()
# The OpenAPI schema of a run id (query parameters and fields).
SCHEMA = {"type": "string", "pattern": PATTERN, "maxLength": MAX_LENGTH}
