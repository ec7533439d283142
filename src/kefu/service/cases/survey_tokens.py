"""Signed one-time links to a survey: ``<survey id>.<expiry>.<signature>``, the signature an
HMAC-SHA256 of the first two parts under the server's secret key (purpose ``survey``). A
link whose signature, survey or expiry does not hold names no survey (404: it discloses
nothing); one answer per survey and the expiry are the survey book's rules."""

from __future__ import annotations

import hmac

from kefu.domain.cases.errors import UnknownSurvey
from kefu.domain.cases.surveys import SurveyBook
from kefu.service.security.authn import sign

__all__ = ["SIGNATURE_CHARS", "read_survey_token", "survey_token"]

SIGNATURE_CHARS = 32
"""Hex characters of the signature kept in a link (128 bits)."""


def survey_token(secret_key: str, survey_id: str, expires_at: float) -> str:
    """The link token of a survey expiring at ``expires_at`` (s)."""
    body = f"{survey_id}.{int(expires_at)}"
    return f"{body}.{sign(secret_key, 'survey', body)[:SIGNATURE_CHARS]}"


def read_survey_token(secret_key: str, book: SurveyBook, token: str) -> str:
    """The survey id the token names, or :class:`UnknownSurvey`."""
    parts = token.split(".")
    if len(parts) == 3 and len(token) <= 200:
        survey_id, expiry, signature = parts
        expected = sign(secret_key, "survey", f"{survey_id}.{expiry}")[:SIGNATURE_CHARS]
        survey = book.surveys.get(survey_id)
        if (
            hmac.compare_digest(signature.encode(), expected.encode())
            and survey is not None
            and expiry == str(int(survey.sent.expires_at))
        ):
            return survey_id
    raise UnknownSurvey("unknown survey link", text_key="error.unknown_survey", survey_id="")
