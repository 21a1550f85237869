"""Phone numbers in one form (E.164): 0912 345 678, +84912345678 and 84912345678 are one contact."""

from __future__ import annotations

import phonenumbers


def e164(value: str, region: str = "VN") -> str | None:
    """The number as E.164 (national numbers read as Vietnamese), or None when it is not valid."""
    try:
        number = phonenumbers.parse(value.strip(), region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        # "84912…" without "+": a Vietnamese number written the way Zalo and gateways write it.
        return e164("+" + value.strip(), region) if value.strip().startswith("84") else None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
