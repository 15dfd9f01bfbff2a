"""The AI functions: which rows each works on, the input it sends, and how it saves the answer.

An AI function binds a spec (`ai.specs`: prompt, schema, reading the answer) to the rows of an
app: its eligibility is that app's selector, and its save step calls that app's services. The
engine runs the save step inside the transaction that also charges for the call, on the rows of
the call that are still eligible, locked; so a repeated call writes and charges nothing.
"""

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from ai import guard, links, regeneration, specs
from ai import sql as ai_sql
from ai.embeddings import embed_ahead
from ai.errors import AIError
from ai.offline import html_text, html_word_count
from billing.models import OperationType
from igny8.errors import ValidationFailed
from planner import selectors as planner_selectors
from planner import services as planner_services
from planner.voice import voice_prompt_for_site
from tenancy.models import Site
from writer import selectors as writer_selectors
from writer import services as writer_services


@dataclass
class Unit:
    """One provider call's worth of work."""

    items: list
    input: dict = field(default_factory=dict)
    context: dict = field(default_factory=dict)  # what the call's hooks need that the model is not told

    @property
    def ids(self) -> list[int]:
        return [item.pk for item in self.items]


@dataclass
class Saved:
    quantity: int  # what the call is charged for, in its operation's units
    created: int
    details: dict = field(default_factory=dict)
    # Answers the saved one replaced (a regeneration), each charged as its own item on top.
    replaced_quantities: tuple[int, ...] = ()


def no_options(payload: dict) -> dict:
    return {}


def whole_number_option(name: str, *, default: int, low: int, high: int) -> Callable[[dict], dict]:
    def clean(payload: dict) -> dict:
        value = payload.get(name, default)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise ValidationFailed(
                f"{name} must be a whole number from {low} to {high}.", errors={name: [f"{low} to {high}."]}
            )
        return {name: value}

    return clean


def rows_named(eligible: QuerySet, ids: list[int], *, action: str) -> list:
    """The rows of `eligible` named by `ids`, in id order; ValidationFailed names the others."""
    rows = list(eligible.filter(pk__in=ids).order_by("pk"))
    refused = sorted(set(ids) - {row.pk for row in rows})
    if refused:
        raise ValidationFailed(
            f"{action}: ids {refused} are not in this site or not in a state this action accepts.",
            code="invalid_ids",
            errors={"ids": [f"Not eligible: {refused}"]},
        )
    return rows


@dataclass(frozen=True, kw_only=True)
class AIFunction:
    spec: specs.FunctionSpec
    operation_type: str
    eligible: Callable[..., QuerySet]  # the owning app's selector, called as eligible(site=site)
    # (subject, *, site, options, automation_run_id, stage): subject is one row, or all (one_call)
    build_input: Callable[..., dict]
    # (rows, answer, *, site, options, unit_input, checked) on the locked, still-eligible rows:
    # unit_input is what the call was asked, checked what `before_save` made of the answer (or None).
    save: Callable[..., Saved | None]
    max_items: int = 100
    min_items: int = 1
    items_name: str = "items"
    one_call: bool = False  # every row in one provider call (clustering must see the keywords together)
    clean_options: Callable[[dict], dict] = no_options
    quantity: Callable[[list, dict], int] = lambda items, options: len(items)  # for the estimate
    on_failure: Callable[[list[int], str], None] | None = None
    # Work on the answer that must not run in the save's transaction (an embedding call): its
    # result is passed to `save` as `checked` (answer, *, site, options, automation_run_id, stage).
    before_save: Callable[..., Any] | None = None
    # (answer data, unit) -> texts of the answer to embed on the call's thread, for before_save
    embed_answer: Callable[[dict, Unit], list[str]] | None = None
    # (item, *, site) -> Unit.context, read with the input
    build_context: Callable[..., dict] | None = None
    # (answer data, unit) -> what the call's thread makes of an answer, kept with it (Completion.review)
    review_answer: Callable[[dict, Unit], Any] | None = None
    # (answer data, unit, its review) -> the input of one more call whose answer replaces this one, or None
    ask_again: Callable[[dict, Unit, Any], dict | None] | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    def load(self, *, site: Site, ids: list[int]) -> list:
        """The rows named by `ids`, in id order; ValidationFailed names those missing or not eligible."""
        rows = rows_named(self.eligible(site=site), ids, action=self.name)
        if len(rows) < self.min_items:
            raise ValidationFailed(
                f"{self.name} needs at least {self.min_items} {self.items_name}; got {len(rows)}.",
                code=f"too_few_{self.items_name}",
                errors={"ids": [f"At least {self.min_items}."]},
            )
        return rows

    def locked(self, *, site: Site, ids: list[int]) -> list:
        """The rows of `ids` still eligible, in id order, locked until the caller's transaction ends."""
        return ai_sql.rows_locked(key=(self.name, site.pk), rows=lambda: self.eligible(site=site), ids=ids)

    def units(
        self, items: list, *, site: Site, options: dict, automation_run_id: str = "", stage: int | None = None
    ) -> list[Unit]:
        origin = {"site": site, "options": options, "automation_run_id": automation_run_id, "stage": stage}
        if self.one_call:
            return [Unit(items=items, input=self.build_input(items, **origin))]
        return [
            Unit(
                items=[item],
                input=self.build_input(item, **origin),
                context=self.build_context(item, site=site) if self.build_context else {},
            )
            for item in items
        ]

    def call(self, provider, unit: Unit, model: str) -> Any:
        if self.spec.is_image:
            return provider.generate_image(
                model=model, prompt=unit.input["prompt"], size=settings.AI_IMAGE_SIZE
            )
        answer = provider.complete_json(spec=self.spec, data=unit.input, model=model)
        review = self.review_answer(answer.data, unit) if self.review_answer else None
        again = self.ask_again(answer.data, unit, review) if self.ask_again else None
        if again is not None:
            try:
                second = provider.complete_json(spec=self.spec, data=again, model=model)
            except AIError:
                pass  # the first answer stands; the gate flags it at review
            else:
                answer = dataclasses.replace(
                    second,
                    tokens_in=answer.tokens_in + second.tokens_in,
                    tokens_out=answer.tokens_out + second.tokens_out,
                    replaced=(*answer.replaced, answer.data),
                )
                review = self.review_answer(answer.data, unit) if self.review_answer else None
        answer.review = review
        if self.embed_answer is not None:
            # On the call's thread, which holds no database connection: the commit only compares.
            answer.embedded = embed_ahead(provider, self.embed_answer(answer.data, unit))
        return answer


# auto_cluster ----------------------------------------------------------------------------------


def _cluster_input(keywords, *, site, options, automation_run_id="", stage=None):
    return {
        "keywords": [keyword.keyword for keyword in keywords],
        "existing_clusters": planner_selectors.cluster_names(site=site),
    }


def _save_clusters(keywords, answer, *, site, options, unit_input, checked):
    by_text = {specs.normalize_text(keyword.keyword): keyword for keyword in keywords}
    created = mapped = 0
    for proposal in specs.read_clusters(answer.data):
        # Texts the model invented or repeated match nothing.
        members = [by_text.pop(key) for key in map(specs.normalize_text, proposal.keywords) if key in by_text]
        if not members:
            continue
        cluster, is_new = planner_services.cluster_get_or_create(
            site=site, name=proposal.name, description=proposal.description
        )
        created += is_new
        mapped += planner_services.keywords_assign(cluster=cluster, keyword_ids=[k.pk for k in members])
    # Charged for the keywords really clustered: one the model left out stays new and costs nothing.
    return Saved(quantity=mapped, created=created, details={"keywords_mapped": mapped})


AUTO_CLUSTER = AIFunction(
    spec=specs.AUTO_CLUSTER,
    operation_type=OperationType.CLUSTERING,
    eligible=planner_selectors.keywords_ready_to_cluster,
    build_input=_cluster_input,
    save=_save_clusters,
    min_items=5,
    items_name="keywords",
    one_call=True,
)

# generate_ideas --------------------------------------------------------------------------------


def with_voice(data: dict, *, site: Site) -> dict:
    """The input with the site's brand voice, when it has one: every provider is told (stages 2, 4, 5)."""
    voice = voice_prompt_for_site(site=site)
    return {**data, "voice": voice} if voice else data


def _ideas_input(cluster, *, site, options, automation_run_id="", stage=None):
    data = {
        "cluster": {
            "name": cluster.name,
            "description": cluster.description,
            "keywords": planner_selectors.cluster_keyword_texts(cluster=cluster, limit=50),
        },
        "count": options["count"],
    }
    return with_voice(data, site=site)


def _save_ideas(clusters, answer, *, site, options, unit_input, checked):
    if not clusters:
        return None
    cluster = clusters[0]
    keyword_ids = {specs.normalize_text(k.keyword): k.pk for k in cluster.keywords.all()}
    ideas = specs.read_ideas(answer.data, count=options["count"])
    fields = []
    for idea, verdict in zip(ideas, checked, strict=True):
        covered = {
            keyword_ids[key] for key in map(specs.normalize_text, idea.covered_keywords) if key in keyword_ids
        }
        match = verdict.match
        fields.append(
            planner_services.IdeaFields(
                title=idea.title,
                description=idea.description,
                content_type=idea.content_type,
                content_structure=idea.content_structure,
                estimated_word_count=idea.estimated_word_count,
                keyword_ids=tuple(sorted(covered)),
                duplicate_of=match.target if match else "",
                duplicate_score=match.score if match else None,
                embedding=verdict.vector,
                embedding_model=verdict.model,
            )
        )
    planner_services.ideas_create(cluster=cluster, ideas=fields)
    planner_services.cluster_mark_mapped(cluster=cluster)
    # Charged as before: the call was made; held-back ideas are counted for the stage result.
    held_back = sum(verdict.match is not None for verdict in checked)
    return Saved(quantity=1, created=len(ideas), details={"ideas_held_back": held_back})


GENERATE_IDEAS = AIFunction(
    spec=specs.GENERATE_IDEAS,
    operation_type=OperationType.IDEA_GENERATION,
    eligible=planner_selectors.clusters_ready_for_ideas,
    build_input=_ideas_input,
    save=_save_ideas,
    embed_answer=guard.answer_idea_texts,
    before_save=guard.answer_ideas_check,
    max_items=50,
    clean_options=whole_number_option("count", default=3, low=1, high=10),
)

# generate_content ------------------------------------------------------------------------------


def _content_input(task, *, site, options, automation_run_id="", stage=None):
    keywords = list(task.keywords or [])
    primary_keyword = keywords[0] if keywords else task.title
    data = {
        "title": task.title,
        "primary_keyword": primary_keyword,
        "secondary_keywords": keywords[1:10],
        "brief": task.description,
        "word_count": task.word_count,
        "content_structure": task.content_structure,
        # Embeds (a provider call): build_input runs before any transaction, never inside one.
        **links.task_links_input(
            task, site=site, primary_keyword=primary_keyword, automation_run_id=automation_run_id, stage=stage
        ),
    }
    return with_voice(data, site=site)


def _save_content(tasks, answer, *, site, options, unit_input, checked):
    if not tasks:
        return None
    article = specs.read_article(answer.data)
    # Only links to the pages the call offered survive; the others become plain text.
    linked = links.checked_links(article.content_html, unit_input)
    replaced = tuple(html_word_count(data["content_html"]) for data in getattr(answer, "replaced", ()))
    writer_services.content_create_for_task(
        site=site,
        task=tasks[0],
        # The spec's reading of the answer has the fields the writer stores, by the same names.
        article=writer_services.ArticleFields(
            **{**dataclasses.asdict(article), "content_html": linked.html}, links=linked.links
        ),
        regenerated=bool(replaced),
        answer_review=answer.review,
    )
    return Saved(
        quantity=article.word_count,
        created=1,
        details={"words": article.word_count, "regenerated": len(replaced)},
        replaced_quantities=replaced,
    )


GENERATE_CONTENT = AIFunction(
    spec=specs.GENERATE_CONTENT,
    operation_type=OperationType.CONTENT_GENERATION,
    eligible=writer_selectors.tasks_ready_for_content,
    build_input=_content_input,
    save=_save_content,
    max_items=20,
    quantity=lambda tasks, options: sum(task.word_count for task in tasks),
    build_context=regeneration.content_context,
    review_answer=regeneration.content_review,
    ask_again=regeneration.content_again,
)

# generate_image_prompts ------------------------------------------------------------------------


def _image_prompts_input(content, *, site, options, automation_run_id="", stage=None):
    summary = content.meta_description or html_text(content.content_html)[:400]
    data = {
        "title": content.title,
        "primary_keyword": content.primary_keyword,
        "summary": " ".join(summary.split()),
        "in_article_count": options["images_per_content"] - 1,
    }
    return with_voice(data, site=site)


def _save_image_prompts(contents, answer, *, site, options, unit_input, checked):
    if not contents:
        return None
    prompts = specs.read_image_prompts(answer.data, limit=options["images_per_content"])
    writer_services.image_prompts_create(content=contents[0], prompts=prompts)
    return Saved(quantity=1, created=len(prompts))


GENERATE_IMAGE_PROMPTS = AIFunction(
    spec=specs.GENERATE_IMAGE_PROMPTS,
    operation_type=OperationType.IMAGE_PROMPT_EXTRACTION,
    eligible=writer_selectors.contents_ready_for_image_prompts,
    build_input=_image_prompts_input,
    save=_save_image_prompts,
    max_items=50,
    clean_options=whole_number_option("images_per_content", default=3, low=1, high=10),
)

# generate_images -------------------------------------------------------------------------------


def _save_image(images, answer, *, site, options, unit_input, checked):
    if not images:
        return None
    writer_services.image_store(image=images[0], png=answer.png)
    return Saved(quantity=1, created=1, details={"images_generated": 1})


GENERATE_IMAGES = AIFunction(
    spec=specs.GENERATE_IMAGES,
    operation_type=OperationType.IMAGE_GENERATION,
    eligible=writer_selectors.images_ready_to_generate,
    build_input=lambda image, *, site, options, automation_run_id="", stage=None: {"prompt": image.prompt},
    save=_save_image,
    max_items=50,
    # A failed image is final and free: the article goes to review without it.
    on_failure=lambda ids, error: writer_services.images_mark_failed(image_ids=ids, error=error),
)

FUNCTIONS: dict[str, AIFunction] = {
    function.name: function
    for function in (AUTO_CLUSTER, GENERATE_IDEAS, GENERATE_CONTENT, GENERATE_IMAGE_PROMPTS, GENERATE_IMAGES)
}


def get_function(name: str) -> AIFunction:
    try:
        return FUNCTIONS[name]
    except KeyError:
        raise ValidationFailed(f"Unknown AI function '{name}'.", code="unknown_function") from None
