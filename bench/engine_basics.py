"""Engine basics (not tests): AI concurrency, queries per article, API list scaling.

    .venv/bin/python bench/run.py engine_basics

1. AI concurrency: stage-4 content generation against the local OpenAI server with 200 ms latency,
   AI_CONCURRENCY=1 vs 4 → speed-up ratio (target ≥ 3 on 8 articles).
2. Queries per item: database queries per article for 2 vs 8 articles → ratio (target ≈ 1: no N+1).
3. API list scaling: queries for one page of keywords with 10 vs 1,000 keywords → ratio (target 1).
"""

import time


def main() -> None:
    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from ai.engine import run_function
    from ai.providers import provider_reset
    from devtools.openai_server import FakeOpenAIServer
    from tests.conftest import client_for
    from tests.factories import make_account, make_keywords
    from writer.models import Task

    tenant = make_account(credits=10_000_000)
    account, site = tenant.account, tenant.site

    def tasks(count: int) -> list[int]:
        return [
            Task.objects.create(
                account=account,
                site=site,
                title=f"Bench article {time.monotonic_ns()} {n}",
                keywords=["bench keyword"],
                word_count=600,
            ).pk
            for n in range(count)
        ]

    with FakeOpenAIServer(latency_ms=200) as server:
        settings.AI_PROVIDER, settings.OPENAI_BASE_URL, settings.OPENAI_API_KEY = (
            "openai",
            server.base_url,
            "x",
        )
        timings = {}
        for concurrency in (1, 4):
            settings.AI_CONCURRENCY = concurrency
            provider_reset()
            ids = tasks(8)
            started = time.perf_counter()
            run_function("generate_content", {"ids": ids}, account=account, site=site)
            timings[concurrency] = time.perf_counter() - started
        print(
            f"ai_concurrency: 8 articles, 200 ms latency: 1 call at a time {timings[1]:.2f}s, "
            f"4 at a time {timings[4]:.2f}s, speed-up ratio {timings[1] / timings[4]:.2f}"
        )

        per_item = {}
        for count in (2, 8):
            ids = tasks(count)
            with CaptureQueriesContext(connection) as queries:
                run_function("generate_content", {"ids": ids}, account=account, site=site)
            per_item[count] = len(queries) / count
        print(
            f"queries_per_item: {per_item[2]:.1f} per article at 2, {per_item[8]:.1f} at 8, "
            f"ratio {per_item[8] / per_item[2]:.2f}"
        )

    counts = {}
    for total in (10, 1000):
        other = make_account()
        other_owner, other_site = other.owner, other.site
        make_keywords(site=other_site, texts=[f"bench keyword {n}" for n in range(total)])
        other_client = client_for(other_owner)
        with CaptureQueriesContext(connection) as queries:
            other_client.get(f"/api/v1/planner/keywords/?site_id={other_site.pk}", HTTP_HOST="localhost")
        counts[total] = len(queries)
    print(
        f"api_list_queries: {counts[10]} queries with 10 keywords, {counts[1000]} with 1000, "
        f"ratio {counts[1000] / counts[10]:.2f}"
    )
