"""What each AI function asks the model, the JSON it expects back, and how the answer is read.

Plain Python, no Django: a spec turns structured input into a prompt, checks and reads the
model's answer, and gives the offline answer for the same input. Saving lives in `ai.functions`.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import jsonschema

from ai import linking, offline, offline_voice
from ai.errors import AIError

# The planner's choices, repeated here so the specs stay free of Django (a test keeps them equal).
CONTENT_TYPES = ("post", "page", "product", "taxonomy")
CONTENT_STRUCTURES = ("article", "guide", "comparison", "review", "listicle", "landing_page")
SEO_SYSTEM = "You are an SEO content strategist. Answer only with JSON that matches the given schema."


VOICE_INSTRUCTIONS = (
    "Write in the site's brand voice given in the input's `voice`: its tone, for its audience, in its point "
    "of view, at about its reading level (a US school grade, Flesch-Kincaid), in the style of its sample "
    "paragraph. Use every one of its required_terms verbatim in the text; never use any of its banned_terms "
    "(whole words, any case)."
)


def _strings() -> dict:
    return {"type": "array", "items": {"type": "string"}}


def _object(properties: dict) -> dict:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def one_line(text: str, limit: int) -> str:
    return " ".join(str(text).split())[:limit]


def normalize_text(text: str) -> str:
    return " ".join(str(text).lower().split())


@dataclass(frozen=True, kw_only=True)
class FunctionSpec:
    name: str
    instructions: str = ""
    schema: dict | None = None  # None: the function asks for an image, not JSON
    system: str = SEO_SYSTEM
    offline_answer: Callable[[dict], dict] | None = None

    @property
    def is_image(self) -> bool:
        return self.schema is None

    @cached_property
    def validator(self) -> jsonschema.protocols.Validator:
        """The answer schema's validator, built once: checking the schema itself on every answer costs."""
        return jsonschema.validators.validator_for(self.schema)(self.schema)

    def prompt(self, data: dict) -> str:
        rendered = json.dumps(data, indent=1, ensure_ascii=False)
        voice = f"\n\n{VOICE_INSTRUCTIONS}" if data.get("voice") else ""
        return f"{self.instructions}{voice}\n\nInput:\n```json\n{rendered}\n```"


# auto_cluster ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClusterProposal:
    name: str
    description: str
    keywords: tuple[str, ...]


def read_clusters(data: dict) -> list[ClusterProposal]:
    """The model's clusters with usable names; keyword texts as the model wrote them."""
    proposals = []
    for group in data["clusters"]:
        name = one_line(group["name"], 200)
        if name:
            proposals.append(ClusterProposal(name, group["description"][:2000], tuple(group["keywords"])))
    return proposals


AUTO_CLUSTER = FunctionSpec(
    name="auto_cluster",
    instructions=(
        "Group these SEO keywords into topical clusters for a website's content plan. Each cluster gets a "
        "short name, a one-sentence description and the exact keyword texts it contains. Put every keyword "
        "in at most one cluster; reuse an existing cluster name when a group fits it."
    ),
    schema=_object(
        {
            "clusters": {
                "type": "array",
                "items": _object(
                    {"name": {"type": "string"}, "description": {"type": "string"}, "keywords": _strings()}
                ),
            }
        }
    ),
    offline_answer=lambda data: {
        "clusters": offline.cluster_keywords(
            data["keywords"], existing_names=data.get("existing_clusters", [])
        )
    },
)

# generate_ideas --------------------------------------------------------------------------------


@dataclass(frozen=True)
class IdeaProposal:
    title: str
    description: str
    content_type: str
    content_structure: str
    estimated_word_count: int
    covered_keywords: tuple[str, ...]


def read_ideas(data: dict, *, count: int) -> list[IdeaProposal]:
    return [
        IdeaProposal(
            title=one_line(idea["title"], 300),
            description=idea["description"],
            content_type=idea["content_type"],
            content_structure=idea["content_structure"],
            estimated_word_count=int(idea["estimated_word_count"]),
            covered_keywords=tuple(idea["covered_keywords"]),
        )
        for idea in data["ideas"][:count]
    ]


GENERATE_IDEAS = FunctionSpec(
    name="generate_ideas",
    instructions=(
        "Propose article ideas for this keyword cluster. Each idea has a title, a brief outline, a content "
        "type, a content structure, an estimated word count and the cluster keywords it covers. Together the "
        "ideas should cover every keyword."
    ),
    schema=_object(
        {
            "ideas": {
                "type": "array",
                "items": _object(
                    {
                        "title": {"type": "string"},
                        "description": {"type": "string"},
                        "content_type": {"type": "string", "enum": list(CONTENT_TYPES)},
                        "content_structure": {"type": "string", "enum": list(CONTENT_STRUCTURES)},
                        "estimated_word_count": {"type": "integer"},
                        "covered_keywords": _strings(),
                    }
                ),
            }
        }
    ),
    offline_answer=offline_voice.ideas_answer,
)

# generate_content ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArticleProposal:
    title: str
    content_html: str
    word_count: int
    meta_title: str
    meta_description: str
    primary_keyword: str
    secondary_keywords: tuple[str, ...]
    tags: tuple[str, ...]
    categories: tuple[str, ...]


def read_article(data: dict) -> ArticleProposal:
    """The article with its real word count; AIError when it holds no text."""
    words = offline.html_word_count(data["content_html"])
    if words == 0:
        raise AIError("The model returned an article with no text.")
    return ArticleProposal(
        title=one_line(data["title"], 300),
        content_html=data["content_html"],
        word_count=words,
        meta_title=data["meta_title"][:300],
        meta_description=data["meta_description"],
        primary_keyword=data["primary_keyword"][:255],
        secondary_keywords=tuple(data["secondary_keywords"]),
        tags=tuple(data["tags"]),
        categories=tuple(data["categories"]),
    )


def offline_article(data: dict) -> dict:
    """The offline article in the site's voice, then its internal links placed deterministically when
    pages are offered (after the voice, so an anchor never holds a banned term)."""
    answer = offline_voice.article_answer(data)
    offer = data.get("internal_links")
    if offer:
        candidates = [linking.Candidate(url=page["url"], title=page["title"]) for page in offer["candidates"]]
        answer["content_html"] = linking.insert_links(
            answer["content_html"], candidates, max_links=offer["max_links"]
        ).html
    return answer


GENERATE_CONTENT = FunctionSpec(
    name="generate_content",
    system="You are an expert SEO writer. Answer only with JSON that matches the given schema.",
    instructions=(
        "Write the article described below as clean HTML (h2/h3 sections, paragraphs, lists; no <html> or "
        "<body>), close to the requested word count, using the primary keyword naturally and the secondary "
        "keywords where they fit. Also give a meta title (at most 60 characters), a meta description "
        "(at most 160 characters), tags and categories. When internal_links are given, link up to "
        "max_links of those candidate pages (their exact url), each at most once, on a natural phrase of "
        "a paragraph that says what the page is about; never in a heading, and link to no other URL."
    ),
    schema=_object(
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
    ),
    offline_answer=offline_article,
)

# generate_image_prompts ------------------------------------------------------------------------


def read_image_prompts(data: dict, *, limit: int) -> list[str]:
    """The featured prompt first, then the in-article ones, blanks dropped; AIError when none is left."""
    prompts = [data["featured_prompt"], *data["in_article_prompts"]]
    prompts = [prompt.strip() for prompt in prompts if prompt.strip()][:limit]
    if not prompts:
        raise AIError("The model returned no image prompts.")
    return prompts


GENERATE_IMAGE_PROMPTS = FunctionSpec(
    name="generate_image_prompts",
    instructions=(
        "Write image-generation prompts for this article: one featured image and the requested number of "
        "in-article images. Describe scenes concretely (subject, setting, light, style); no text in images."
    ),
    schema=_object({"featured_prompt": {"type": "string"}, "in_article_prompts": _strings()}),
    offline_answer=offline_voice.image_prompts_answer,
)

# generate_images -------------------------------------------------------------------------------

GENERATE_IMAGES = FunctionSpec(name="generate_images")

SPECS: dict[str, FunctionSpec] = {
    spec.name: spec
    for spec in (AUTO_CLUSTER, GENERATE_IDEAS, GENERATE_CONTENT, GENERATE_IMAGE_PROMPTS, GENERATE_IMAGES)
}
