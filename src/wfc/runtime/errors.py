"""The errors the durable runtime raises (codes ``WFC420`` and up); ``docs/errors.md`` explains each code.

All are :class:`wfc.WfcError` subclasses carrying a message that says what and where, and a hint.
"""

from __future__ import annotations

from wfc.commands import register_error
from wfc.errors import NotSerializable, WorkflowRuntimeError


class UnknownInstance(WorkflowRuntimeError):
    """No workflow instance has this id (``WFC420``)."""

    code = "WFC420"


class WorkflowFinished(WorkflowRuntimeError):
    """The instance has ended: it takes no more events (``WFC421``)."""

    code = "WFC421"


class UnknownWorkflow(WorkflowRuntimeError):
    """A workflow this deployment does not contain (``WFC422``)."""

    code = "WFC422"


class UnknownVersion(WorkflowRuntimeError):
    """An instance's table version is not shipped by this deployment (``WFC423``): it waits, nothing lost."""

    code = "WFC423"


class UnknownStep(WorkflowRuntimeError):
    """A step this deployment does not contain (``WFC424``): the call waits, nothing lost."""

    code = "WFC424"


class ValueTooLarge(NotSerializable):
    """A step result, argument or the live variables exceed the runtime's ``max_value_size`` (``WFC425``)."""

    code = "WFC425"


class StoreError(WorkflowRuntimeError):
    """The database refused a write: locked by another process (``WFC426``), full (``WFC427``), or broken.

    Every store translates its driver's errors into this class or a subclass: nothing outside
    :mod:`wfc.runtime.store` sees a driver exception. Nothing was committed: retrying loses nothing — unless
    ``fatal``: retrying cannot help (the file is gone, replaced or damaged), and a worker stops."""

    code = "WFC426"
    fatal = False


class DatabaseReplaced(StoreError):
    """The database file was deleted or replaced under a running process (``WFC455``): it stops, rather than
    write into a file nobody reads."""

    code = "WFC455"
    fatal = True


class DatabaseDamaged(StoreError):
    """The database is damaged or is not wfc's (``WFC456``): a corrupt page, a missing table or column."""

    code = "WFC456"
    fatal = True


class StoreConflict(StoreError):
    """A conflict with another writer that running the transaction again resolves (``WFC426``): SQLite busy or
    locked, a PostgreSQL serialization failure, deadlock or lock timeout."""

    code = "WFC426"


class StoreUnavailable(StoreError):
    """The database cannot be reached: refused or lost connection, bad host or password (``WFC440``)."""

    code = "WFC440"


class NotFinished(WorkflowRuntimeError):
    """``result()`` of an instance that is still running (``WFC428``)."""

    code = "WFC428"


class ConfigError(WorkflowRuntimeError):
    """A bad runtime configuration: URL, option or versions directory (``WFC429``)."""

    code = "WFC429"


class DuplicateId(WorkflowRuntimeError):
    """``start(id=...)`` with an id that names an instance of another workflow (``WFC430``)."""

    code = "WFC430"


class WaitTimeout(WorkflowRuntimeError):
    """``run_until_complete(timeout=...)`` ran out of time (``WFC431``)."""

    code = "WFC431"


class ChildIdInUse(WorkflowRuntimeError):
    """A child workflow given an id (``.options(id=...)``) that an instance already has, or that another child
    of the same suspension takes (``WFC414``): raised at the parent's ``yield``."""

    code = "WFC414"


class NotAChild(WorkflowRuntimeError):
    """``wfc.join(handle)`` of a handle that names no child this instance started (``WFC415``), or joined by
    two commands of one suspension at once."""

    code = "WFC415"


for _cls in (ValueTooLarge, UnknownStep, UnknownWorkflow, UnknownVersion, ChildIdInUse, NotAChild):
    register_error(_cls)  # re-raised with their own type at a workflow's yield


class AlreadyFinished(WorkflowFinished):
    """``cancel()`` of an instance that has ended (``WFC433``)."""

    code = "WFC433"


class RestartError(WorkflowRuntimeError):
    """``restart()``/``fork()`` cannot start from that step (``WFC434``)."""

    code = "WFC434"


class MigrationError(WorkflowRuntimeError):
    """``migrate()``/``diff``: a table version that cannot be found or used, or a bad mapping (``WFC435``)."""

    code = "WFC435"


class QueueError(WorkflowRuntimeError):
    """A named queue declared or used wrongly (``WFC445``): bad limits, a queue no process declared, or start
    options the queue does not take (``priority`` without priority, ``partition_key`` missing or unwanted)."""

    code = "WFC445"


class DuplicateQueued(WorkflowRuntimeError):
    """A start on a queue with a ``dedup_id`` that an instance of that queue still enqueued or running holds
    (``WFC446``); the message names that instance."""

    code = "WFC446"


register_error(QueueError)  # a started child's queue options are checked at the parent's yield
register_error(DuplicateQueued)
