"""The run engine, one job a module.

- `claim`: claiming a run, the heartbeat, and `execute_run`, the entry the Celery tasks call;
- `executor`: the run stage by stage, and every way an executor ends;
- `stage_loop`: one stage's pass over its queue, batches in flight settled as they finish;
- `control`: between batches and inside each commit, who owns the run and what its status says;
- `pending`: a stage's pending rows, read a page at a time;
- `budget`: what the run may still spend under its credit cap;
- `sizing`: threads, connections and batches in flight per run.

The threads themselves are `igny8.concurrency.CallPipeline`: the engine only submits jobs to it.
"""
