"""Which retry policy applies to a step call, and how long to wait between attempts."""

from __future__ import annotations

from wfc.commands import NO_RETRY, RetryOption, RetryPolicy

DEFAULT_POLICY = RetryPolicy()
"""What ``retry=True`` means when no default was configured: 5 attempts, 0.5 s doubling, ±50% jitter."""


def resolve_retry(*options: RetryOption, default: RetryPolicy | None = None) -> RetryPolicy:
    """The policy for a call, from the most specific option to the least (call, step, workflow).

    The first option that is set wins: a :class:`RetryPolicy` is used as is, ``True`` means the runtime's
    default policy, ``False`` means never retry. With none set, the runtime's default applies — and by default
    steps are not retried.
    """
    for option in options:
        if isinstance(option, RetryPolicy):
            return option
        if option is True:
            return default or DEFAULT_POLICY
        if option is False:
            return NO_RETRY
    return default or NO_RETRY
