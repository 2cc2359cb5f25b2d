"""The one place that imports `audioop`.

Python 3.11 and 3.12 ship `audioop` in the standard library but deprecate it; from 3.13 on the
`audioop-lts` package provides a module of the same name. Importing it here, once, with the
DeprecationWarning silenced locally keeps the warning out of every caller (and out of pytest runs
that turn warnings into errors) without hiding warnings anywhere else.
"""

from __future__ import annotations

import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop

__all__ = ["audioop"]
