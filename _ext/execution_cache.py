"""Let extra builds of the same sources share one notebook execution (opt-in).

``make test-all`` builds the book three times (website, student edition, PDF). With
``BOOK_EXECUTION_CACHE=DIR`` the student edition and the PDF switch myst-nb from ``force`` to
``cache`` mode with that cache, so each notebook executes once for both and a failing cell still
fails the build. Without the variable (``make book``, ``make pdf`` from a fresh clone) nothing
changes: every notebook executes on every build.
"""

from __future__ import annotations

import os
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util import logging

logger = logging.getLogger(__name__)


def configure(app: Sphinx, config: Config) -> None:
    cache = os.environ.get("BOOK_EXECUTION_CACHE", "").strip()
    if not cache:
        return
    path = Path(cache)
    if not path.is_absolute():
        path = Path(app.confdir) / path
    config.nb_execution_mode = "cache"
    config.nb_execution_cache_path = str(path)
    logger.info("execution_cache: notebooks executed through the cache in %s", path)


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", configure, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
