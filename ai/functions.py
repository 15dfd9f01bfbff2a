"""The AI functions: what each selects, asks the model, and writes.

Each function knows which rows it may work on (`eligible`, the one definition the automation
stages build their pending queries on), how to split them into provider calls (`units`), and
how to save one call's answer (`save`), which runs inside the transaction that also charges
for it and re-checks under row locks that the rows are still eligible, so a repeated call
writes and charges nothing.
"""

import json
import re
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import QuerySet

from ai import offline
from ai.providers import AIError
from billing.models import OperationType
from igny8.errors import ValidationFailed
from planner.models import (
    Cluster,
    ClusterStatus,
    ContentIdea,
    ContentStructure,
    ContentType,
    IdeaStatus,
    Keyword,
    KeywordStatus,
)
from planner.services import clusters_refresh_totals
from tenancy.models import Site
from writer.models import Content, ContentStatus, Image, ImageStatus, ImageType, Task, TaskStatus


def normalize_text(text: str) -> str:
    return " ".join(str(text).lower().split())


@dataclass
class Unit:
    """One provider call's worth of work."""

    items: list
    input: dict = field(default_factory=dict)

    @property
    def ids(self) -> list[int]:
        return [item.pk for item in self.items]


@dataclass
class Saved:
    quantity: int
    created: int
    details: dict = field(default_factory=dict)


def prompt_with_input(instructions: str, data: dict) -> str:
    return f"{instructions}\n\nInput:\n```json\n{json.dumps(data, indent=1, ensure_ascii=False)}\n```"


def _strings(max_items: int | None = None) -> dict:
    schema = {"type": "array", "items": {"type": "string"}}
    if max_items:
        schema["maxItems"] = max_items
    return schema


def _object(properties: dict) -> dict:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


class AIFunction:
    name = ""
    operation_type: str | None = None
    max_items = 100
    uses_ai = True
    system = "You are an SEO content strategist. Answer only with JSON that matches the given schema."
    instructions = ""
    schema: dict = {}

    def eligible(self, site: Site) -> QuerySet:
        raise NotImplementedError

    def clean_options(self, payload: dict) -> dict:
        return {}

    def load(self, *, site: Site, ids: list[int]) -> list:
        """The rows named by `ids`, in id order; ValidationFailed names those missing or not eligible."""
        rows = list(self.eligible(site).filter(pk__in=ids).order_by("pk"))
        refused = sorted(set(ids) - {row.pk for row in rows})
        if refused:
            raise ValidationFailed(
                f"{self.name}: ids {refused} are not in this site or not in a state this action accepts.",
                code="invalid_ids",
                errors={"ids": [f"Not eligible: {refused}"]},
            )
        return rows

    def units(self, items: list, options: dict) -> list[Unit]:
        return [Unit(items=[item], input=self.build_input(item, options)) for item in items]

    def build_input(self, item, options: dict) -> dict:
        raise NotImplementedError

    def estimate_quantity(self, items: list, options: dict) -> int:
        return len(items)

    def call(self, provider, unit: Unit, model: str):
        return provider.complete_json(
            function=self.name,
            model=model,
            system=self.system,
            prompt=prompt_with_input(self.instructions, unit.input),
            schema=self.schema,
        )

    def lock(self, unit: Unit, site: Site) -> list:
        """The unit's rows that are still eligible, locked in primary-key order."""
        return list(
            self.eligible(site).filter(pk__in=unit.ids).select_for_update(of=("self",)).order_by("pk")
        )

    def save(self, unit: Unit, answer, *, site: Site, options: dict) -> Saved | None:
        raise NotImplementedError

    def on_failure(self, unit: Unit, error: str, *, site: Site) -> None:
        """What a failed call leaves behind: by default nothing."""


class AutoCluster(AIFunction):
    name = "auto_cluster"
    operation_type = OperationType.CLUSTERING
    min_items = 5
    max_items = 100
    instructions = (
        "Group these SEO keywords into topical clusters for a website's content plan. Each cluster gets a "
        "short name, a one-sentence description and the exact keyword texts it contains. Put every keyword "
        "in at most one cluster; reuse an existing cluster name when a group fits it."
    )
    schema = _object(
        {
            "clusters": {
                "type": "array",
                "items": _object(
                    {"name": {"type": "string"}, "description": {"type": "string"}, "keywords": _strings()}
                ),
            }
        }
    )

    def eligible(self, site):
        return Keyword.objects.filter(site=site, status=KeywordStatus.NEW, cluster__isnull=True)

    def load(self, *, site, ids):
        rows = super().load(site=site, ids=ids)
        if len(rows) < self.min_items:
            raise ValidationFailed(
                f"Clustering needs at least {self.min_items} keywords; got {len(rows)}.",
                code="too_few_keywords",
                errors={"ids": [f"At least {self.min_items} keywords."]},
            )
        return rows

    def units(self, items, options):
        existing = list(Cluster.objects.filter(site_id=items[0].site_id).values_list("name", flat=True)[:200])
        data = {"keywords": [item.keyword for item in items], "existing_clusters": existing}
        return [Unit(items=items, input=data)]

    def save(self, unit, answer, *, site, options):
        by_text = {normalize_text(keyword.keyword): keyword for keyword in self.lock(unit, site)}
        touched, created, mapped = set(), 0, 0
        for group in answer.data["clusters"]:
            members = []
            for text in group["keywords"]:
                keyword = by_text.pop(normalize_text(text), None)  # invented or repeated texts match nothing
                if keyword is not None:
                    members.append(keyword)
            name = " ".join(group["name"].split())[:200]
            if not members or not name:
                continue
            cluster = Cluster.objects.filter(site=site, name__iexact=name).first()
            if cluster is None:
                cluster = Cluster.objects.create(
                    account_id=site.account_id, site=site, name=name, description=group["description"][:2000]
                )
                created += 1
            Keyword.objects.filter(pk__in=[k.pk for k in members]).update(
                cluster=cluster, status=KeywordStatus.MAPPED
            )
            touched.add(cluster.pk)
            mapped += len(members)
        clusters_refresh_totals(cluster_ids=touched)
        # Charged for the keywords really clustered: one the model left out stays new and costs nothing.
        return Saved(quantity=mapped, created=created, details={"keywords_mapped": mapped})


class GenerateIdeas(AIFunction):
    name = "generate_ideas"
    operation_type = OperationType.IDEA_GENERATION
    max_items = 50
    default_count = 3
    instructions = (
        "Propose article ideas for this keyword cluster. Each idea has a title, a brief outline, a content "
        "type, a content structure, an estimated word count and the cluster keywords it covers. Together the "
        "ideas should cover every keyword."
    )
    schema = _object(
        {
            "ideas": {
                "type": "array",
                "items": _object(
                    {
                        "title": {"type": "string"},
                        "description": {"type": "string"},
                        "content_type": {"type": "string", "enum": list(ContentType.values)},
                        "content_structure": {"type": "string", "enum": list(ContentStructure.values)},
                        "estimated_word_count": {"type": "integer"},
                        "covered_keywords": _strings(),
                    }
                ),
            }
        }
    )

    def eligible(self, site):
        return Cluster.objects.filter(site=site, status=ClusterStatus.NEW)

    def clean_options(self, payload):
        count = payload.get("count", self.default_count)
        if not isinstance(count, int) or not 1 <= count <= 10:
            raise ValidationFailed(
                "count must be a whole number from 1 to 10.", errors={"count": ["1 to 10."]}
            )
        return {"count": count}

    def build_input(self, cluster, options):
        keywords = list(cluster.keywords.order_by("-volume", "pk").values_list("keyword", flat=True)[:50])
        return {
            "cluster": {"name": cluster.name, "description": cluster.description, "keywords": keywords},
            "count": options["count"],
        }

    def save(self, unit, answer, *, site, options):
        locked = self.lock(unit, site)
        if not locked:
            return None
        cluster = locked[0]
        by_text = {normalize_text(k.keyword): k for k in cluster.keywords.all()}
        ideas = answer.data["ideas"][: options["count"]]
        for proposal in ideas:
            idea = ContentIdea.objects.create(
                account_id=site.account_id,
                site=site,
                idea_title=" ".join(proposal["title"].split())[:300] or cluster.name,
                description=proposal["description"],
                keyword_cluster=cluster,
                content_type=proposal["content_type"],
                content_structure=proposal["content_structure"],
                estimated_word_count=min(max(int(proposal["estimated_word_count"]), 300), 5000),
            )
            covered = {
                by_text[key] for key in map(normalize_text, proposal["covered_keywords"]) if key in by_text
            }
            idea.keywords.set(covered)
        Cluster.objects.filter(pk=cluster.pk).update(status=ClusterStatus.MAPPED)
        return Saved(quantity=1, created=len(ideas))


class QueueToWriter(AIFunction):
    """Ideas → tasks: local work, no AI call and no credits."""

    name = "queue_to_writer"
    uses_ai = False
    max_items = 200

    def eligible(self, site):
        return ContentIdea.objects.filter(site=site, status=IdeaStatus.NEW)

    def build_input(self, idea, options):
        return {}

    def call(self, provider, unit, model):
        return None

    def save(self, unit, answer, *, site, options):
        locked = self.lock(unit, site)
        if not locked:
            return None
        idea = locked[0]
        Task.objects.create(
            account_id=site.account_id,
            site=site,
            title=idea.idea_title,
            description=idea.description,
            cluster_id=idea.keyword_cluster_id,
            idea=idea,
            content_type=idea.content_type,
            content_structure=idea.content_structure,
            keywords=list(idea.keywords.order_by("-volume", "pk").values_list("keyword", flat=True)),
            word_count=idea.estimated_word_count,
        )
        ContentIdea.objects.filter(pk=idea.pk).update(status=IdeaStatus.QUEUED)
        return Saved(quantity=0, created=1)


class GenerateContent(AIFunction):
    name = "generate_content"
    operation_type = OperationType.CONTENT_GENERATION
    max_items = 20
    system = "You are an expert SEO writer. Answer only with JSON that matches the given schema."
    instructions = (
        "Write the article described below as clean HTML (h2/h3 sections, paragraphs, lists; no <html> or "
        "<body>), close to the requested word count, using the primary keyword naturally and the secondary "
        "keywords where they fit. Also give a meta title (at most 60 characters), a meta description "
        "(at most "
        "160 characters), tags and categories."
    )
    schema = _object(
        {
            "title": {"type": "string"},
            "content_html": {"type": "string"},
            "meta_title": {"type": "string"},
            "meta_description": {"type": "string"},
            "primary_keyword": {"type": "string"},
            "secondary_keywords": _strings(),
            "tags": _strings(),
            "categories": _strings(),
        }
    )

    def eligible(self, site):
        return Task.objects.filter(site=site, status=TaskStatus.QUEUED)

    def build_input(self, task, options):
        keywords = list(task.keywords or [])
        return {
            "title": task.title,
            "primary_keyword": keywords[0] if keywords else task.title,
            "secondary_keywords": keywords[1:10],
            "brief": task.description,
            "word_count": task.word_count,
            "content_structure": task.content_structure,
        }

    def estimate_quantity(self, items, options):
        return sum(task.word_count for task in items)

    def save(self, unit, answer, *, site, options):
        locked = self.lock(unit, site)
        if not locked or Content.objects.filter(task=locked[0]).exists():
            return None
        task, data = locked[0], answer.data
        words = offline.html_word_count(data["content_html"])
        if words == 0:
            raise AIError("The model returned an article with no text.")
        Content.objects.create(
            account_id=site.account_id,
            site=site,
            task=task,
            title=" ".join(data["title"].split())[:300] or task.title,
            content_html=data["content_html"],
            word_count=words,
            meta_title=data["meta_title"][:300],
            meta_description=data["meta_description"],
            primary_keyword=data["primary_keyword"][:255],
            secondary_keywords=data["secondary_keywords"],
            tags=data["tags"],
            categories=data["categories"],
            cluster_id=task.cluster_id,
            content_type=task.content_type,
            content_structure=task.content_structure,
        )
        Task.objects.filter(pk=task.pk).update(status=TaskStatus.COMPLETED)
        if task.idea_id:
            ContentIdea.objects.filter(pk=task.idea_id).update(status=IdeaStatus.COMPLETED)
        return Saved(quantity=words, created=1, details={"words": words})


class GenerateImagePrompts(AIFunction):
    name = "generate_image_prompts"
    operation_type = OperationType.IMAGE_PROMPT_EXTRACTION
    max_items = 50
    default_images = 3
    instructions = (
        "Write image-generation prompts for this article: one featured image and the requested number of "
        "in-article images. Describe scenes concretely (subject, setting, light, style); no text in images."
    )
    schema = _object({"featured_prompt": {"type": "string"}, "in_article_prompts": _strings()})

    def eligible(self, site):
        return Content.objects.filter(site=site, status=ContentStatus.DRAFT, images__isnull=True)

    def clean_options(self, payload):
        images = payload.get("images_per_content", self.default_images)
        if not isinstance(images, int) or not 1 <= images <= 10:
            raise ValidationFailed(
                "images_per_content must be a whole number from 1 to 10.",
                errors={"images_per_content": ["1-10."]},
            )
        return {"images_per_content": images}

    def build_input(self, content, options):
        summary = content.meta_description or re.sub(r"<[^>]+>", " ", content.content_html)[:400]
        return {
            "title": content.title,
            "primary_keyword": content.primary_keyword,
            "summary": " ".join(summary.split()),
            "in_article_count": options["images_per_content"] - 1,
        }

    def save(self, unit, answer, *, site, options):
        locked = self.lock(unit, site)
        if not locked:
            return None
        content = locked[0]
        prompts = [answer.data["featured_prompt"]] + answer.data["in_article_prompts"]
        prompts = [p.strip() for p in prompts if p.strip()][: options["images_per_content"]]
        if not prompts:
            raise AIError("The model returned no image prompts.")
        Image.objects.bulk_create(
            Image(
                account_id=site.account_id,
                site=site,
                content=content,
                image_type=ImageType.FEATURED if position == 0 else ImageType.IN_ARTICLE,
                prompt=prompt,
                position=position,
            )
            for position, prompt in enumerate(prompts)
        )
        return Saved(quantity=1, created=len(prompts))


class GenerateImages(AIFunction):
    name = "generate_images"
    operation_type = OperationType.IMAGE_GENERATION
    max_items = 50

    def eligible(self, site):
        return Image.objects.filter(site=site, status=ImageStatus.PENDING)

    def build_input(self, image, options):
        return {"prompt": image.prompt}

    def call(self, provider, unit, model):
        from django.conf import settings

        return provider.generate_image(model=model, prompt=unit.input["prompt"], size=settings.AI_IMAGE_SIZE)

    def save(self, unit, answer, *, site, options):
        locked = self.lock(unit, site)
        if not locked:
            return None
        image = locked[0]
        path = f"images/site_{site.pk}/content_{image.content_id}/image_{image.pk}.png"
        if default_storage.exists(path):
            default_storage.delete(path)
        stored = default_storage.save(path, ContentFile(answer.png))
        Image.objects.filter(pk=image.pk).update(
            status=ImageStatus.GENERATED, image_path=stored, image_url=default_storage.url(stored), error=""
        )
        return Saved(quantity=1, created=1, details={"images_generated": 1})

    def on_failure(self, unit, error, *, site):
        # A failed image is final: the article goes to review without it, and it costs nothing.
        self.eligible(site).filter(pk__in=unit.ids).update(status=ImageStatus.FAILED, error=error[:2000])


FUNCTIONS: dict[str, AIFunction] = {
    function.name: function
    for function in (
        AutoCluster(),
        GenerateIdeas(),
        QueueToWriter(),
        GenerateContent(),
        GenerateImagePrompts(),
        GenerateImages(),
    )
}


def get_function(name: str) -> AIFunction:
    try:
        return FUNCTIONS[name]
    except KeyError:
        raise ValidationFailed(f"Unknown AI function '{name}'.", code="unknown_function") from None
