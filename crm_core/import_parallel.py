"""Row checking of an import, in helper processes while the main one writes to the database.

Checking a row (phone numbers through libphonenumber above all) costs about as much as storing
it, so with `workers` > 0 batches are checked in that many processes, a few batches ahead of the
one being written, and come back in file order. Only plain data crosses the process boundary:
the source rows go out with the (small) rules, checked rows come back. `spawn` starts the
helpers, never `fork`: the parent has database connections and, in the CLI, a progress thread.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing import get_context

from crm_core.import_rows import RowDraft, RowReject, RowRules, parse_row
from crm_core.import_source import SourceRow

Parsed = RowDraft | RowReject


def parse_batch(rows: list[SourceRow], rules: RowRules) -> list[Parsed]:
    """Every row of a batch checked, in order."""
    return [parse_row(row, rules) for row in rows]


def parsed_batches(
    batches: Iterator[list[SourceRow]], rules: RowRules, workers: int = 0
) -> Iterator[list[Parsed]]:
    """The batches checked, in order: here (`workers` 0) or in that many helper processes."""
    if workers < 1:
        for rows in batches:
            yield parse_batch(rows, rules)
        return
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        ahead: deque[Future[list[Parsed]]] = deque()
        for rows in batches:
            ahead.append(pool.submit(parse_batch, rows, rules))
            if len(ahead) > workers:
                yield ahead.popleft().result()
        while ahead:
            yield ahead.popleft().result()
