from django.db import connection
from django.test.utils import CaptureQueriesContext

from planner.models import ContentIdea
from tests.factories import make_cluster, make_idea, make_keywords
from writer.models import Task
from writer.services import ideas_queue_to_writer


def test_queuing_ideas_makes_as_many_queries_for_ten_ideas_as_for_two(tenant):
    site = tenant.site
    cluster = make_cluster(site=site, name="coffee grinders")
    keywords = make_keywords(site=site, texts=["burr grinder", "cheap grinder", "hand grinder"])
    for volume, keyword in zip((10, 30, 20), keywords, strict=True):
        keyword.volume, keyword.cluster = volume, cluster
        keyword.save()
    ideas = [make_idea(cluster=cluster, title=f"idea {n}") for n in range(12)]
    for idea in ideas:
        idea.keywords.set(keywords)

    def queue(batch) -> int:
        with CaptureQueriesContext(connection) as queries:
            tasks = ideas_queue_to_writer(site=site, idea_ids=[idea.pk for idea in batch])
        assert len(tasks) == len(batch) and all(task.pk for task in tasks)
        return len(queries)

    assert queue(ideas[:2]) == queue(ideas[2:])
    task = Task.objects.get(idea=ideas[5])
    assert task.keywords == ["cheap grinder", "hand grinder", "burr grinder"]  # by volume, highest first
    assert set(ContentIdea.objects.filter(site=site).values_list("status", flat=True)) == {"queued"}
