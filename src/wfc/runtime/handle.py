"""``Handle[R]``: what ``Runtime.start`` and ``Client.start`` return — the instance id, typed by the result.

A handle *is* the id (a ``str`` subclass: it compares, hashes, prints, binds as a query parameter and serialises
as the plain id, so code that kept ids as strings keeps working), and it remembers where it was started, so
``handle.result()`` needs no runtime at hand. ``R`` is the workflow's return type: ``rt.result(handle)`` and
``handle.result()`` are typed by it. Pickled, a handle becomes its plain id (a runtime is no value to ship).
"""

from __future__ import annotations

from typing import Any, Generic, Protocol

from wfc.commands import R
from wfc.runtime.records import Status


class _Owner(Protocol):
    """The runtime or client a handle came from."""

    def result(self, id: str) -> Any: ...
    def status(self, id: str) -> Status: ...
    def cancel(self, id: str, *, force: bool = False) -> Any: ...
    def send_event(
        self, id: str, name: str, value: Any = None, error: Any = None, *, event_id: str | None = None
    ) -> bool: ...


class Handle(str, Generic[R]):
    """The id of a started workflow instance, typed by the workflow's result ``R``."""

    _owner: _Owner | None

    def __new__(cls, id: str, owner: _Owner | None = None) -> Handle[R]:
        self = super().__new__(cls, id)
        self._owner = owner
        return self

    @property
    def id(self) -> str:
        """The instance id as a plain ``str``."""
        return str.__str__(self)

    def _require(self) -> _Owner:
        if self._owner is None:
            raise TypeError(f"handle {self.id!r} is not attached to a runtime or client: use rt.result(id)")
        return self._owner

    def result(self) -> R:
        """The result of the finished instance, or its failure raised (``WFC428`` while it still runs)."""
        return self._require().result(self.id)  # type: ignore[no-any-return]

    def status(self) -> Status:
        """Where the instance is now (see :class:`wfc.Status`)."""
        return self._require().status(self.id)

    def send_event(
        self, name: str, value: Any = None, error: Any = None, *, event_id: str | None = None
    ) -> bool:
        """Send event ``name`` to this instance (``event_id``: see :meth:`wfc.Runtime.send_event`)."""
        return self._require().send_event(self.id, name, value, error, event_id=event_id)

    def cancel(self, *, force: bool = False) -> str:
        """Cancel this instance: ``wfc.Canceled`` at its ``yield`` (its cleanup runs), or with ``force`` at once
        (see :meth:`wfc.Runtime.cancel`)."""
        return str(self._require().cancel(self.id, force=force))

    def __reduce__(self) -> tuple[Any, ...]:
        return (str, (self.id,))
