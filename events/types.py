"""The event types: what each reports, and who emits it. Adding one is a line here and an emit call."""

EVENT_TYPES: dict[str, str] = {
    "run.completed": "A run ended with every stage done (data: run_id, credits_used, results).",
    "run.failed": "A run ended failed (data: run_id, error).",
    "run.paused": "A run paused (data: run_id, reason: user | budget | cap).",
    "item.failed": "Items a run could not process, batched once per run (data: run_id, count, items).",
    "content.ready_for_review": "A run moved articles into review (data: run_id, count).",
    "content.published": "Publishing posted an article (data: content_id, external_id, external_url, update)",
    "publish.failed": "Publishing gave up on an article (data: content_id, title, error); not for a retry.",
    "destination.broken": "A destination refused its credentials (data: destination_id, kind, error); once.",
    "budget.threshold": "A site spent 80% of its monthly budget (data: month, budget, spent); once a month.",
    "budget.exhausted": "A site's monthly budget is spent (data: month, budget, spent); once a month.",
    "site.idle": "A due site produced nothing, or a run made no progress for a while (data: reason, ...).",
    "webhook.test": "Sent by `POST webhooks/{id}/test/` only, to the one endpoint.",
}
SUBSCRIBABLE = sorted(set(EVENT_TYPES) - {"webhook.test"})
