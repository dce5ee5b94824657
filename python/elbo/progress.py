"""Where the fit loop's progress bar goes: Python's ``sys.stderr`` (so Jupyter shows it in
the cell's output), animated in terminals and notebooks, the closing line only elsewhere."""
from __future__ import annotations

import sys


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython  # type: ignore
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def progress_sink():
    """(write, animate): the writer the C++ loop calls, and whether it redraws in place."""
    stream = sys.stderr
    notebook = _in_notebook()

    def write(text: str) -> None:
        if notebook:  # Jupyter redraws a line at "\r" itself; it has no erase-line code
            text = text.replace("\x1b[K", "")
        stream.write(text)
        stream.flush()

    animate = bool(getattr(stream, "isatty", lambda: False)()) or notebook
    return write, animate
