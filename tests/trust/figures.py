"""The figures the trust tests report (matrix cases, fuzzed requests, bad inputs, concurrent
repetitions), added up across xdist workers and printed at the end of the run.

The hooks are imported into ``tests/conftest.py`` so that the controller process sees them."""

from __future__ import annotations

from collections import Counter

import pytest

FIGURES: Counter[str] = Counter()


def record(name: str, count: int = 1) -> None:
    FIGURES[name] += count


def pytest_sessionfinish(session):
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["trust_figures"] = dict(FIGURES)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    FIGURES.update(getattr(node, "workeroutput", {}).get("trust_figures", {}))


def pytest_terminal_summary(terminalreporter):
    if FIGURES:
        terminalreporter.section("trust figures")
        for name, count in sorted(FIGURES.items()):
            terminalreporter.write_line(f"{name}: {count}")
