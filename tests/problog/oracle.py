"""ProbLog itself (the `problog` package's default pipeline) as the oracle."""
from __future__ import annotations

from problog import get_evaluatable
from problog.program import PrologFile, PrologString


def problog_file(path: str) -> dict[str, float]:
    res = get_evaluatable().create_from(PrologFile(path)).evaluate()
    return {str(k): float(v) for k, v in res.items()}


def problog_text(text: str) -> dict[str, float]:
    res = get_evaluatable().create_from(PrologString(text)).evaluate()
    return {str(k): float(v) for k, v in res.items()}


def close(ours: dict[str, float], theirs: dict[str, float], tol: float = 1e-6) -> bool:
    return ours.keys() == theirs.keys() and all(abs(ours[k] - theirs[k]) <= tol for k in ours)
