"""The web dashboard and HTTP API of wfc (``wfc ui``; ``pip install 'wfc[ui]'``).

:func:`create_app` is the ASGI application (Starlette) over one database — serve it with ``wfc ui`` or
mount it in a service. Layers: :mod:`~wfc.ui.service` reads and acts through :class:`wfc.Runtime` and the store
(never running workflow code), :mod:`~wfc.ui.pages` renders escaped HTML, :mod:`~wfc.ui.layout` draws graphs as
SVG without Graphviz, :mod:`~wfc.ui.live` pushes changes (server-sent events), :mod:`~wfc.ui.security` guards
every request (token, host check, CSRF), :mod:`~wfc.ui.webhooks` makes single-use event URLs. See ``docs/ui.md``.

``webhook_url`` needs nothing of the web stack (workers call it in steps); ``create_app`` is imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wfc.ui.webhooks import Webhook, webhook, webhook_url

if TYPE_CHECKING:
    from wfc.ui.app import create_app


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from wfc.ui.app import create_app

        return create_app
    raise AttributeError(f"module 'wfc.ui' has no attribute {name!r}")


__all__ = ["Webhook", "create_app", "webhook", "webhook_url"]
