"""wfc: durable workflows for Python, compiled to state machines instead of replayed.

Write a workflow as a generator that yields steps::

    @wfc.step
    def charge(order_id: str) -> str: ...

    @wfc.workflow
    def checkout(order_id: str):
        receipt = yield from charge(order_id)
        yield from wfc.sleep(3600)
        return receipt

``wfc.compile(checkout)`` gives its state table; ``wfc.testing.run(checkout, "o-1")`` runs it in memory.
"""

from __future__ import annotations

from wfc import testing as testing
from wfc.commands import ChildHandle as ChildHandle
from wfc.commands import Command as Command
from wfc.commands import RetryPolicy as RetryPolicy
from wfc.commands import Workflow as Workflow
from wfc.commands import all_of as all_of
from wfc.commands import any_of as any_of
from wfc.commands import join as join
from wfc.commands import register_error as register_error
from wfc.commands import sleep as sleep
from wfc.commands import sleep_until as sleep_until
from wfc.commands import start_child as start_child
from wfc.commands import wait_event as wait_event
from wfc.compiler.driver import compile_workflow as compile
from wfc.continuation import continue_as_new as continue_as_new
from wfc.convert import register_type as register_type
from wfc.decorators import step as step
from wfc.decorators import transaction as transaction
from wfc.decorators import workflow as workflow
from wfc.errors import Canceled as Canceled
from wfc.errors import CompileError as CompileError
from wfc.errors import Diagnostic as Diagnostic
from wfc.errors import StepFailed as StepFailed
from wfc.errors import StepTimeout as StepTimeout
from wfc.errors import Timeout as Timeout
from wfc.errors import WfcError as WfcError
from wfc.errors import WorkflowFailed as WorkflowFailed
from wfc.errors import WorkflowTimeout as WorkflowTimeout
from wfc.runtime.budget import BudgetExceeded as BudgetExceeded
from wfc.runtime.budget import Limits as Limits
from wfc.runtime.client import AsyncClient as AsyncClient
from wfc.runtime.client import Client as Client
from wfc.runtime.context import log as log
from wfc.runtime.context import now as now
from wfc.runtime.context import random as random
from wfc.runtime.context import uuid4 as uuid4
from wfc.runtime.handle import Handle as Handle
from wfc.runtime.migrate import MigrationReport as MigrationReport
from wfc.runtime.queues import Queue as Queue
from wfc.runtime.records import AttemptRecord as AttemptRecord
from wfc.runtime.records import Completion as Completion
from wfc.runtime.records import HistoryRecord as HistoryRecord
from wfc.runtime.records import Status as Status
from wfc.runtime.records import WorkflowState as WorkflowState
from wfc.runtime.runtime import Runtime as Runtime
from wfc.runtime.schedules import ScheduleInfo as ScheduleInfo
from wfc.runtime.schedules import schedule as schedule
from wfc.runtime.statuses import set_status as set_status
from wfc.runtime.step_context import StepContext as StepContext
from wfc.runtime.step_context import step_context as step_context

__version__ = "0.1.0"

__all__ = [
    "AsyncClient",
    "AttemptRecord",
    "BudgetExceeded",
    "Canceled",
    "ChildHandle",
    "Client",
    "Command",
    "CompileError",
    "Completion",
    "Diagnostic",
    "Handle",
    "HistoryRecord",
    "Limits",
    "MigrationReport",
    "Queue",
    "RetryPolicy",
    "Runtime",
    "ScheduleInfo",
    "Status",
    "StepContext",
    "StepFailed",
    "StepTimeout",
    "Timeout",
    "WfcError",
    "Workflow",
    "WorkflowFailed",
    "WorkflowState",
    "WorkflowTimeout",
    "all_of",
    "any_of",
    "compile",
    "continue_as_new",
    "join",
    "log",
    "now",
    "random",
    "register_error",
    "register_type",
    "schedule",
    "set_status",
    "sleep",
    "sleep_until",
    "start_child",
    "step",
    "step_context",
    "testing",
    "transaction",
    "uuid4",
    "wait_event",
    "workflow",
]
