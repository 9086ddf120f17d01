"""A Python external for ProbLog (problog.extern.problog_export).  Loading it runs this file:
the test checks that without --allow-python it never runs (the marker file stays absent)."""
import os

from problog.extern import problog_export

_MARKER = os.environ.get("ATLASC_TEST_MARKER")
if _MARKER:
    with open(_MARKER, "w") as fh:
        fh.write("ran")


@problog_export("+int", "+int", "-int")
def plus_sq(a, b):
    return a * a + b
