"""The benchmark harness (``make bench`` / ``python -m bench``): not part of the test suite.

It builds a synthetic organisation in a PostgreSQL database of its own, measures the org chart
and the pages against their targets (issue 6), prints a table and writes it as JSON under
``bench/results/``.
"""
