"""The seven stages of a run, one object each: the only definition of each stage's pending query."""

from dataclasses import dataclass

from django.db.models import Count, QuerySet

from ai.functions import get_function
from planner.models import Cluster, ContentIdea, Keyword
from tenancy.models import Site
from writer.models import Content, ContentStatus, Image, ImageStatus, Task


@dataclass(frozen=True)
class Stage:
    number: int
    name: str
    type: str  # "AI" or "Local", as the pipeline overview shows it
    model: type
    function_name: str | None
    processed_key: str
    created_key: str | None
    cap_field: str | None
    disabled_field: bool = False
    min_batch: int = 1

    def pending(self, site: Site) -> QuerySet:
        """Rows this stage would work on now, oldest first."""
        if self.function_name:
            rows = get_function(self.function_name).eligible(site)
        else:
            rows = (
                Content.objects.filter(site=site, status=ContentStatus.DRAFT, images__isnull=False)
                .exclude(images__status=ImageStatus.PENDING)
                .distinct()
            )
        if self.disabled_field:
            rows = rows.filter(disabled=False)
        return rows.order_by("pk")

    def by_status(self, site: Site) -> dict[str, int]:
        rows = (
            self.model.objects.filter(site=site).values("status").annotate(n=Count("id")).order_by("status")
        )
        return {row["status"]: row["n"] for row in rows}

    def label(self, item) -> str:
        for attribute in ("keyword", "name", "idea_title", "title"):
            if hasattr(item, attribute):
                return str(getattr(item, attribute))
        if isinstance(item, Image):
            return f"{item.image_type} image #{item.position} of content {item.content_id}"
        return str(item)

    def empty_result(self) -> dict:
        result = {self.processed_key: 0}
        if self.created_key:
            result[self.created_key] = 0
        result.update({"credits_used": 0, "time_elapsed": "00:00:00", "errors": 0})
        if self.number == 1:
            result["batches_run"] = 0
        if self.number == 4:
            result["total_words"] = 0
        if self.number == 6:
            result["images_failed"] = 0
        return result


STAGES: tuple[Stage, ...] = (
    Stage(
        1,
        "Keywords → Clusters",
        "AI",
        Keyword,
        "auto_cluster",
        "keywords_processed",
        "clusters_created",
        "max_keywords_per_run",
        disabled_field=True,
        min_batch=5,
    ),
    Stage(
        2,
        "Clusters → Ideas",
        "AI",
        Cluster,
        "generate_ideas",
        "clusters_processed",
        "ideas_created",
        "max_clusters_per_run",
        disabled_field=True,
    ),
    Stage(
        3,
        "Ideas → Tasks",
        "Local",
        ContentIdea,
        "queue_to_writer",
        "ideas_processed",
        "tasks_created",
        "max_ideas_per_run",
        disabled_field=True,
    ),
    Stage(
        4,
        "Tasks → Content",
        "AI",
        Task,
        "generate_content",
        "tasks_processed",
        "content_created",
        "max_tasks_per_run",
    ),
    Stage(
        5,
        "Content → Image prompts",
        "AI",
        Content,
        "generate_image_prompts",
        "content_processed",
        "prompts_created",
        "max_content_per_run",
    ),
    Stage(
        6,
        "Image prompts → Images",
        "AI",
        Image,
        "generate_images",
        "images_processed",
        "images_generated",
        "max_images_per_run",
    ),
    Stage(7, "Review gate", "Manual", Content, None, "ready_for_review", None, None),
)


def get_stage(number: int) -> Stage:
    return STAGES[number - 1]
