"""The ASGI entry point: ``uvicorn service.main:app``."""

import gc

from mlpforge.settings import settings_or_exit
from service.app import create_app

app = create_app(settings_or_exit())

# Everything loaded so far (modules, the app, its routes) lives as long as the process. Frozen,
# it is left out of the collector's full passes, which otherwise scan it all: a 10,000-row
# prediction allocates enough lists to trigger one every ~10 requests, a 100 ms pause each.
gc.collect()
gc.freeze()
