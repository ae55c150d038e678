"""The student edition: the same book without the solutions to the exercises.

``make book-student`` sets ``BOOK_EDITION=student``; this extension then turns on
sphinx-exercise's ``hide_solutions`` (every ``{solution}`` block is dropped at parse time) and
marks the edition in the page titles. Without the variable the book is unchanged.
"""

from __future__ import annotations

import os

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util import logging

logger = logging.getLogger(__name__)


def is_student_edition() -> bool:
    return os.environ.get("BOOK_EDITION", "").strip().lower() == "student"


def configure(app: Sphinx, config: Config) -> None:
    if not is_student_edition():
        return
    config.hide_solutions = True
    config.html_title = f"{config.html_title or config.project} (student edition)"
    logger.info("student_edition: building without solutions (hide_solutions = True)")


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", configure, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
