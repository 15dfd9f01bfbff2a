from igny8.capabilities import Capabilities, capabilities


def test_postgresql_with_workers_allows_parallel_writers_and_its_own_sql():
    caps = Capabilities.of(vendor="postgresql", eager=False)
    assert caps == Capabilities(parallel_writers=True, postgresql_sql=True, tasks_in_process=False)


def test_the_embedded_default_has_one_writer_no_postgresql_sql_and_tasks_in_process():
    caps = Capabilities.of(vendor="sqlite", eager=True)
    assert caps == Capabilities(parallel_writers=False, postgresql_sql=False, tasks_in_process=True)


def test_the_test_stack_is_postgresql_with_real_workers():
    assert capabilities() == Capabilities.of(vendor="postgresql", eager=False)
