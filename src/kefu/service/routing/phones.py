"""Who has a telephone kefu can ring: a supervisor's listen, whisper or barge rings its
registered phone, so the command is refused at once when there is none.

The telephone front door attaches its registrar's lookup when it starts; with none
attached (kefu runs without SIP) nobody has a phone.
"""

from __future__ import annotations

from collections.abc import Callable

from kefu.domain.errors import Conflict

__all__ = ["NoRegisteredPhone", "PhoneBook"]


class NoRegisteredPhone(Conflict):
    """The user has no registered phone for kefu to ring."""

    error_id = "no_registered_phone"


class PhoneBook:
    """Whether a user's phone is registered, as the attached lookup says."""

    def __init__(self) -> None:
        self._lookup: Callable[[str], bool] | None = None

    def attach(self, lookup: Callable[[str], bool]) -> Callable[[], None]:
        """Answer from *lookup* (user → registered now); returns the function that
        detaches it."""
        self._lookup = lookup

        def detach() -> None:
            if self._lookup is lookup:
                self._lookup = None

        return detach

    def registered(self, user: str) -> bool:
        return self._lookup is not None and self._lookup(user)

    def require(self, user: str) -> None:
        """Raise :class:`NoRegisteredPhone` unless *user*'s phone is registered."""
        if not self.registered(user):
            raise NoRegisteredPhone(
                f"{user} has no registered phone to ring",
                text_key="error.no_registered_phone",
                user=user,
            )
