"""Progress bars for long calls: drawn on a terminal or in a notebook, or when asked; throttled."""
from __future__ import annotations

import sys
from typing import Optional

# at most this many redraws a second, whatever the rate of updates
_MIN_INTERVAL_S = 0.25


def _interactive() -> bool:
    """A person is watching: stderr is a terminal, or the code runs in a Jupyter kernel."""
    if "ipykernel" in sys.modules:
        return True
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced or closed stderr
        return False


def progress_bar(progress: Optional[bool], total: int, desc: str, unit: str = "sample"):
    """A tqdm bar, or None. ``progress`` None (the default of every call taking it) draws the bar only on a
    terminal or in a notebook, so logs and CI runs stay quiet; True always draws it, False never."""
    if progress is False or total <= 0 or (progress is None and not _interactive()):
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:  # tqdm is a dependency, but stay usable without it
        return None
    return tqdm(total=total, desc=desc, unit=unit, leave=False, mininterval=_MIN_INTERVAL_S)


def advance_to(bar, done: int, total: Optional[int] = None) -> None:
    """Moves ``bar`` to ``done`` (of ``total`` when it changed); tqdm redraws at most every _MIN_INTERVAL_S."""
    if bar is None:
        return
    if total is not None and total != bar.total:
        bar.total = total
    if done > bar.n:
        bar.update(done - bar.n)
