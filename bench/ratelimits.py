"""Rate-limit benchmarks (not tests): runs against a provider that lets L requests through per W seconds.

For a provider that sends OpenAI's x-ratelimit-* headers (and Retry-After), one that sends only
Retry-After, and one that sends neither; 1, 6 and 20 sites started together; 1 and 3 worker
processes (`-c 2`, AI_CONCURRENCY=8, calls of 200 ms, delays 0); then with AI_RPM set to the limit.
Each line: requests accepted, 429s, the refused share, items failed for rate limits (AI task logs
failed on a 429 or the rate limit's wait, runs not completed), and how much of the limit was used:
the time the limit alone needs for the accepted requests (accepted × W / L) over the wall time of
the runs. Every site is sized so each line makes about the same number of calls.

    python bench/run.py ratelimits [--quick] [--detail]  # --quick: 6 sites on 3 workers only
"""

import os
import sys

from bench.throughput import keyword_texts, start_workers, stop_workers

LIMIT, WINDOW = 40, 10  # as the issue measured: 40 requests per 10 s
LATENCY_MS = 200
CONCURRENCY = 8
# Per site count: keywords per site, and caps that keep every line near the same number of calls.
SIZES = {1: dict(keywords=60, content=28), 6: dict(keywords=10, content=4), 20: dict(keywords=5, content=1)}
PROVIDERS = {
    "headers": dict(limit_headers=True, limit_retry_after=True),
    "Retry-After only": dict(limit_headers=False, limit_retry_after=True),
    "neither": dict(limit_headers=False, limit_retry_after=False),
}


def main() -> None:
    import redis
    from django.conf import settings
    from django.core.cache import cache
    from django.core.management import call_command

    from devtools.openai_server import FakeOpenAIServer

    call_command("flush", interactive=False, verbosity=0)
    cache.clear()  # site ids start again with the database: no lock of an earlier start may remain
    os.environ["OFFLINE_CLUSTERING"] = "lexical"  # the local server's clustering is not ours to time
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
    quick = "--quick" in sys.argv
    print(
        f"   limit {LIMIT} requests / {WINDOW}s, calls of {LATENCY_MS} ms, AI_CONCURRENCY={CONCURRENCY}, "
        "workers -c 2; used = accepted x W / L over the wall time"
    )
    print(
        f"   {'provider':<18}{'AI_RPM':>7}{'sites':>6}{'workers':>8}{'accepted':>9}{'429s':>6}"
        f"{'refused':>9}{'failed':>7}{'wall s':>8}{'limit s':>8}{'used':>6}"
    )
    with FakeOpenAIServer(latency_ms=LATENCY_MS, fixed_image=True) as server:
        for workers in (3,) if quick else (1, 3):
            for ceiling in (0, LIMIT) if workers == 3 else (0,):
                env = worker_env(server, ceiling=ceiling)
                processes = start_workers(workers, env=env, threads=2)
                try:
                    warm_up(server, workers=workers)
                    for provider in PROVIDERS if not ceiling else ("Retry-After only",):
                        for sites in (6,) if quick or ceiling else (1, 6, 20):
                            measure(server, provider, sites=sites, workers=workers, ceiling=ceiling)
                finally:
                    stop_workers(processes)


def worker_env(server, *, ceiling: int) -> dict:
    env = {
        **os.environ,
        "AI_PROVIDER": "openai",
        "OPENAI_API_KEY": "bench-ratelimits",
        "OPENAI_BASE_URL": server.base_url,
        "OPENAI_MAX_RETRIES": "2",
        "AI_CONCURRENCY": str(CONCURRENCY),
        "AI_IMAGE_SIZE": "256x256",
    }
    if ceiling:
        env.update(AI_RPM=str(ceiling), AI_RATE_WINDOW_SECONDS=str(WINDOW))
    return env


def new_site(*, keywords: int, content: int, offset: int):
    from automation.services import AutomationService
    from tests.factories import make_account, make_keywords

    site = make_account(credits=10_000_000).site
    make_keywords(site=site, texts=keyword_texts(keywords, offset))
    config = AutomationService.get_config(site=site)
    fields = {"images_per_content": 1, "max_content_per_run": content, "max_tasks_per_run": content}
    AutomationService.update_config(config=config, fields=fields)
    return site


def warm_up(server, *, workers: int) -> None:
    """A small run on each worker thread first, with no limit: imports and HTTP clients, as in service."""
    from automation.models import AutomationRun
    from automation.services import AutomationService
    from tests.waiting import wait_for

    server.reset()
    server.configure(latency_ms=LATENCY_MS, fixed_image=True)
    sites = [new_site(keywords=5, content=1, offset=5 * n) for n in range(2 * workers)]
    ids = [AutomationService.start_automation(site=site).pk for site in sites]
    wait_for(
        lambda: not AutomationRun.objects.filter(pk__in=ids, status="running").exists(),
        timeout=300,
        what="the warm-up runs",
        interval=0.2,
    )


def forget_learned_limits() -> None:
    """Each line starts as a new key would: nothing learned, an empty window at the provider."""
    import redis
    from django.conf import settings

    client = redis.Redis.from_url(settings.REDIS_URL)
    for key in client.scan_iter("*ai_pace*"):
        client.delete(key)


def measure(server, provider: str, *, sites: int, workers: int, ceiling: int) -> None:
    from ai.models import AITaskLog
    from automation.models import AutomationRun
    from automation.services import AutomationService
    from tests.waiting import wait_for

    size = SIZES[sites]
    made = [
        new_site(keywords=size["keywords"], content=size["content"], offset=(5 * n) % 100)
        for n in range(sites)
    ]
    forget_learned_limits()
    server.reset()
    server.configure(
        latency_ms=LATENCY_MS,
        fixed_image=True,
        limit_requests=LIMIT,
        limit_window=WINDOW,
        **PROVIDERS[provider],
    )
    runs = [AutomationService.start_automation(site=site) for site in made]
    ids = [run.pk for run in runs]
    wait_for(
        lambda: not AutomationRun.objects.filter(pk__in=ids, status="running").exists(),
        timeout=1200,
        what="the benchmark runs",
        interval=0.2,
    )
    runs = list(AutomationRun.objects.filter(pk__in=ids))
    ended = [run.completed_at or run.paused_at for run in runs]
    wall = (max(ended) - min(run.started_at for run in runs)).total_seconds()
    served = server.requests
    accepted = sum(1 for entry in served if entry["status"] == 200)
    refused = sum(1 for entry in served if entry["status"] == 429)
    logs = AITaskLog.objects.filter(automation_run_id__in=[run.run_id for run in runs], status="failed")
    failed = sum(1 for log in logs if "429" in log.error or "rate limit" in log.error.lower())
    failed += sum(1 for run in runs if run.status != "completed")
    limit_alone = accepted * WINDOW / LIMIT
    print(
        f"   {provider:<18}{ceiling or '-':>7}{sites:>6}{workers:>8}{accepted:>9}{refused:>6}"
        f"{refused / max(1, accepted + refused):>9.1%}{failed:>7}{wall:>8.1f}{limit_alone:>8.1f}"
        f"{limit_alone / wall:>6.2f}",
        flush=True,
    )
    if "--detail" in sys.argv:  # requests a second from the first: where the wall time went
        first = min(entry["time"] for entry in served)
        seconds = [0] * (int(max(entry["time"] for entry in served) - first) + 1)
        for entry in served:
            seconds[int(entry["time"] - first)] += 1
        print(f"     per second: {seconds}; runs started {min(run.started_at for run in runs):%S.%f}")
