"""The web dashboard and HTTP API of wfc (``wfc ui``; ``pip install 'wfc[ui]'``).

:func:`create_app` is the ASGI application (Starlette) over one database — serve it with ``wfc ui`` or
mount it in a service. Layers: :mod:`~wfc.ui.service` reads and acts through :class:`wfc.Runtime` and the store
(never running workflow code), :mod:`~wfc.ui.pages` renders escaped HTML, :mod:`~wfc.ui.layout` draws graphs as
SVG without Graphviz, :mod:`~wfc.ui.live` pushes changes (server-sent events), :mod:`~wfc.ui.security` guards
every request (token, host check, CSRF). See ``docs/ui.md``.
"""

from __future__ import annotations

from wfc.ui.app import create_app

__all__ = ["create_app"]
