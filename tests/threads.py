"""Concurrency helper for race tests: real threads on real connections, released together."""

import threading

from django.db import connection


def at_once(count: int, action) -> list:
    """Run `action(i)` in `count` threads released together; each outcome is its result or its error."""
    barrier = threading.Barrier(count)
    outcomes: list = [None] * count

    def work(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            outcomes[index] = action(index)
        except Exception as error:
            outcomes[index] = error
        finally:
            connection.close()  # each thread has its own database connection

    threads = [threading.Thread(target=work, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes
