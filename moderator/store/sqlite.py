"""sqlite-utils, imported without numpy (only to migrate a store: ``schema.apply``).

sqlite-utils imports numpy whenever it is installed, only to map numpy scalar types to column
types; the store never writes numpy values. numpy is installed for the charter's models, and
importing it costs more than everything else the first ``moderator status`` does, so
sqlite_utils is imported while numpy is hidden. numpy stays importable afterwards; where it is
already loaded (a command that judges) nothing is hidden.
"""

import sys

if "numpy" in sys.modules:
    import sqlite_utils
else:
    sys.modules["numpy"] = None  # type: ignore[assignment]  # import numpy -> ImportError
    try:
        import sqlite_utils
    finally:
        del sys.modules["numpy"]

__all__ = ["sqlite_utils"]
