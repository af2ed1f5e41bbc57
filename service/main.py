"""The ASGI entry point: ``uvicorn service.main:app``."""

import gc

from mlpforge import logging_setup
from mlpforge.settings import settings_or_exit
from service.app import create_app

settings = settings_or_exit()
# uvicorn configured its loggers before importing this module: ours replace them, in
# MLPFORGE_LOG_FORMAT at MLPFORGE_LOG_LEVEL (the access log is service.access_log's).
logging_setup.configure(settings.log_level, settings.log_format)
app = create_app(settings)

# Everything loaded so far (modules, the app, its routes) lives as long as the process. Frozen,
# it is left out of the collector's full passes, which otherwise scan it all: a 10,000-row
# prediction allocates enough lists to trigger one every ~10 requests, a 100 ms pause each.
gc.collect()
gc.freeze()
