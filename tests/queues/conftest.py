from __future__ import annotations

from .. import pg

url = pg.store_urls("queues")
