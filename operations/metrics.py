"""Prometheus metrics computed from the database and the broker at scrape time.

Nothing here runs in the pipeline: the rows runs, AI calls and credit transactions already leave are
the source, so every gunicorn worker answers the same numbers and no multi-process registry is needed.
"""

import time

from django.conf import settings
from django.db.models import Count, FloatField, Q, Sum
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from kombu.exceptions import ChannelError
from prometheus_client.core import CollectorRegistry, CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import SummaryMetricFamily

from ai.models import AITaskLog
from automation.models import AutomationRun, RunStatus
from automation.stages import STAGES
from billing.models import CreditTransaction, TransactionType
from igny8.capabilities import capabilities
from igny8.celery import app
from operations.health import scheduler_passes, worker_last_seen

# The queues the workers consume (Makefile, compose); the automation queue carries whole runs.
QUEUES = ("celery", "automation")


def queue_lengths() -> dict[str, int]:
    lengths = {}
    with app.connection_for_read(
        settings.CELERY_BROKER_URL, connect_timeout=settings.HEALTH_BROKER_TIMEOUT
    ) as conn:
        channel = conn.default_channel
        for queue in QUEUES:
            try:
                lengths[queue] = channel.queue_declare(queue=queue, passive=True).message_count
            except ChannelError:  # never declared yet: nothing waiting
                lengths[queue] = 0
    return lengths


class PipelineCollector:
    def collect(self):
        yield from self.runs()
        yield from self.stage_durations()
        yield from self.ai_calls()
        yield from self.credits()
        yield from self.liveness()

    def runs(self):
        family = GaugeMetricFamily("igny8_automation_runs", "Automation runs by status.", labels=["status"])
        counts = dict(AutomationRun.objects.values_list("status").annotate(n=Count("id")).order_by())
        for status in RunStatus.values:
            family.add_metric([status], counts.get(status, 0))
        yield family

    def stage_durations(self):
        aggregates = {}
        numbers = [stage.number for stage in STAGES]
        for n in numbers:
            field = f"stage_{n}_result"
            aggregates[f"count_{n}"] = Count("id", filter=Q(**{f"{field}__has_key": "seconds"}))
            aggregates[f"sum_{n}"] = Sum(Cast(KT(f"{field}__seconds"), FloatField()))
        totals = AutomationRun.objects.aggregate(**aggregates)
        family = SummaryMetricFamily(
            "igny8_automation_stage_duration_seconds",
            "Seconds runs spent in each stage (all runs that reached it).",
            labels=["stage"],
        )
        for n in numbers:
            family.add_metric([str(n)], count_value=totals[f"count_{n}"], sum_value=totals[f"sum_{n}"] or 0.0)
        yield family

    def ai_calls(self):
        labels = ["function", "outcome"]
        calls = CounterMetricFamily("igny8_ai_calls", "AI provider calls.", labels=labels)
        tokens = CounterMetricFamily("igny8_ai_tokens", "AI tokens used.", labels=[*labels, "direction"])
        cost = CounterMetricFamily("igny8_ai_cost_usd", "AI cost in US dollars.", labels=labels)
        credits = CounterMetricFamily("igny8_ai_credits", "Credits charged for AI calls.", labels=labels)
        duration = SummaryMetricFamily("igny8_ai_call_duration_seconds", "AI call durations.", labels=labels)
        rows = (
            AITaskLog.objects.values("function", "status")
            .annotate(
                calls=Count("id"),
                tokens_in=Sum("tokens_in"),
                tokens_out=Sum("tokens_out"),
                cost=Sum("cost_usd"),
                credits=Sum("credits_used"),
                duration_ms=Sum("duration_ms"),
            )
            .order_by("function", "status")
        )
        for row in rows:
            key = [row["function"], row["status"]]
            calls.add_metric(key, row["calls"])
            tokens.add_metric([*key, "in"], row["tokens_in"] or 0)
            tokens.add_metric([*key, "out"], row["tokens_out"] or 0)
            cost.add_metric(key, float(row["cost"] or 0))
            credits.add_metric(key, row["credits"] or 0)
            duration.add_metric(key, count_value=row["calls"], sum_value=(row["duration_ms"] or 0) / 1000)
        yield from (calls, tokens, cost, credits, duration)

    def credits(self):
        family = CounterMetricFamily(
            "igny8_credits_charged", "Credits deducted from accounts, by operation.", labels=["operation"]
        )
        rows = (
            CreditTransaction.objects.filter(transaction_type=TransactionType.DEDUCTION)
            .values_list("operation_type")
            .annotate(total=Sum("amount"))
            .order_by("operation_type")
        )
        for operation, total in rows:
            family.add_metric([operation or "other"], -(total or 0))
        yield family

    def liveness(self):
        now = time.time()
        heartbeat = GaugeMetricFamily(
            "igny8_automation_run_heartbeat_age_seconds",
            "Seconds since each running run's executor last heartbeat.",
            labels=["run_id"],
        )
        for run_id, beat_at in AutomationRun.objects.filter(
            status=RunStatus.RUNNING, heartbeat_at__isnull=False
        ).values_list("run_id", "heartbeat_at"):
            heartbeat.add_metric([run_id], max(0.0, now - beat_at.timestamp()))
        yield heartbeat

        if capabilities().tasks_in_process:
            return
        age = worker_last_seen()
        if age is not None:
            yield GaugeMetricFamily(
                "igny8_celery_worker_last_seen_age_seconds",
                "Seconds since any Celery worker last sent a heartbeat.",
                value=age,
            )
        passes = GaugeMetricFamily(
            "igny8_scheduler_last_pass_age_seconds",
            "Seconds since each periodic task (sent by beat) last completed.",
            labels=["task"],
        )
        for task, at in scheduler_passes().items():
            if at is not None:
                passes.add_metric([task], max(0.0, now - at))
        yield passes
        try:
            lengths = queue_lengths()
        except Exception:  # a broker outage shows as broker_up 0, not as a failed scrape
            lengths = None
        yield GaugeMetricFamily(
            "igny8_celery_broker_up",
            "1 when the broker answered this scrape.",
            value=int(lengths is not None),
        )
        queues = GaugeMetricFamily(
            "igny8_celery_queue_length", "Messages waiting in each Celery queue.", labels=["queue"]
        )
        for queue, length in (lengths or {}).items():
            queues.add_metric([queue], length)
        yield queues


REGISTRY = CollectorRegistry(auto_describe=False)
REGISTRY.register(PipelineCollector())
