import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Count, Sum
from django.db.models.functions import Coalesce, Lower

from igny8.errors import ValidationFailed
from igny8.text import has_visible_characters, text_problem
from planner.models import (
    Cluster,
    ClusterStatus,
    ContentIdea,
    ContentStructure,
    ContentType,
    IdeaStatus,
    Intent,
    Keyword,
    KeywordStatus,
)
from tenancy.models import Site

MAX_CSV_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class KeywordRow:
    keyword: str
    volume: int = 0
    difficulty: int = 0
    intent: str = Intent.INFORMATIONAL


def normalize_keyword(text: str) -> str:
    return " ".join(str(text).split())


def _parse_int(value, *, field: str, low: int, high: int | None = None) -> int:
    if value is None or str(value).strip() == "":
        return 0
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ValueError(f"{field} must be a whole number, got '{value}'") from None
    if number < low or (high is not None and number > high):
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ValueError(f"{field} must be {bounds}, got {number}")
    return number


def keyword_row_parse(raw: Mapping) -> KeywordRow:
    """One keyword's input as given (API body or CSV line) → a clean row; ValueError says what is wrong."""
    keyword = normalize_keyword(raw.get("keyword") or "")
    if not keyword:
        raise ValueError("keyword is empty")
    if problem := text_problem(keyword):
        raise ValueError(f"keyword {problem}")
    if not has_visible_characters(keyword):
        raise ValueError("keyword has no visible characters")
    if len(keyword) > 255:
        raise ValueError("keyword is longer than 255 characters")
    intent = str(raw.get("intent") or "").strip().lower() or Intent.INFORMATIONAL
    if intent not in Intent.values:
        raise ValueError(f"unknown intent '{intent}' (use one of {', '.join(Intent.values)})")
    return KeywordRow(
        keyword=keyword,
        volume=_parse_int(raw.get("volume"), field="volume", low=0, high=2_000_000_000),
        difficulty=_parse_int(raw.get("difficulty"), field="difficulty", low=0, high=100),
        intent=intent,
    )


@dataclass
class KeywordsAdded:
    created: list[Keyword]
    errors: list[dict]


def keywords_add(*, site: Site, rows: Iterable[tuple[object, KeywordRow]]) -> KeywordsAdded:
    """Create keywords, refusing per row those already in the site (case-insensitive) or repeated.

    `rows` pairs each row with the reference reported with its error (a list index or a file
    line). All accepted rows commit together.
    """
    rows = list(rows)
    existing = set(
        Keyword.objects.filter(site=site)
        .annotate(lowered=Lower("keyword"))
        .filter(lowered__in=[row.keyword.lower() for _, row in rows])
        .values_list("lowered", flat=True)
    )
    accepted, errors, seen = [], [], set()
    for reference, row in rows:
        key = row.keyword.lower()
        if key in existing:
            errors.append(
                {"ref": reference, "error": f"duplicate: '{row.keyword}' already exists in this site"}
            )
        elif key in seen:
            errors.append(
                {"ref": reference, "error": f"duplicate: '{row.keyword}' appears earlier in the input"}
            )
        else:
            seen.add(key)
            accepted.append(
                Keyword(
                    account_id=site.account_id,
                    site=site,
                    keyword=row.keyword,
                    volume=row.volume,
                    difficulty=row.difficulty,
                    intent=row.intent,
                )
            )
    try:
        with transaction.atomic():
            created = Keyword.objects.bulk_create(accepted, batch_size=500)
    except IntegrityError:
        # Another request added one of these keywords since we looked.
        raise ValidationFailed(
            "Some keywords were added concurrently; retry the request.", code="conflict"
        ) from None
    return KeywordsAdded(created=created, errors=errors)


def keyword_create(*, site: Site, raw: Mapping) -> Keyword:
    try:
        row = keyword_row_parse(raw)
    except ValueError as error:
        raise ValidationFailed(str(error), errors={"keyword": [str(error)]}) from None
    added = keywords_add(site=site, rows=[(0, row)])
    if added.errors:
        message = added.errors[0]["error"]
        raise ValidationFailed(message, code="duplicate_keyword", errors={"keyword": [message]})
    return added.created[0]


def keywords_create_many(*, site: Site, raws: list[Mapping]) -> KeywordsAdded:
    parsed, errors = [], []
    for index, raw in enumerate(raws):
        try:
            parsed.append((index, keyword_row_parse(raw if isinstance(raw, Mapping) else {})))
        except ValueError as error:
            errors.append({"ref": index, "error": str(error)})
    added = keywords_add(site=site, rows=parsed)
    added.errors = sorted(errors + added.errors, key=lambda item: item["ref"])
    return added


def csv_size_check(*, size: int) -> None:
    """ValidationFailed for a CSV file over the import limit (checked before the file is read)."""
    if size > MAX_CSV_BYTES:
        raise ValidationFailed(
            f"The file is {size} bytes; the limit is {MAX_CSV_BYTES} bytes (5 MB).", code="file_too_large"
        )


def _csv_error_message(error: csv.Error) -> str:
    if "unexpected end of data" in str(error):
        return "a quoted field starts on this line and is never closed"
    return f"not valid CSV: {error}"


def keyword_import_csv(*, site: Site, data: bytes) -> dict:
    """Import a CSV of keywords: `{created, skipped, errors: [{line, error}]}`.

    The header is line 1 and must name a `keyword` column; volume, difficulty and intent are
    optional columns and extra ones are ignored. A rejected line writes nothing; the accepted
    lines commit together. Raises ValidationFailed for a file that cannot be read at all.
    """
    csv_size_check(size=len(data))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValidationFailed(
            f"The file is not UTF-8 text (invalid byte at position {error.start}). Save it as UTF-8 CSV.",
            code="invalid_encoding",
        ) from None
    # strict: a quote that is never closed is an error on its line, not one giant keyword.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    columns = _csv_header(reader)
    parsed, errors = _csv_keyword_rows(reader, columns)
    added = keywords_add(site=site, rows=parsed)
    all_errors = sorted(errors + added.errors, key=lambda item: item["ref"])
    return {
        "created": len(added.created),
        "skipped": len(all_errors),
        "errors": [{"line": item["ref"], "error": item["error"]} for item in all_errors],
    }


def _csv_header(reader) -> list[str]:
    """The header's column names, lower-cased; ValidationFailed without a keyword column or with repeats."""
    try:
        header = next(reader, None)
    except csv.Error as error:
        raise ValidationFailed(f"The header line is not valid CSV: {error}.", code="missing_header") from None
    columns = [name.strip().lower() for name in header or []]
    if "keyword" not in columns:
        raise ValidationFailed(
            "The first line must be a header naming the columns: keyword,volume,difficulty,intent.",
            code="missing_header",
        )
    repeated = sorted({name for name in columns if name and columns.count(name) > 1})
    if repeated:
        raise ValidationFailed(
            f"The header names these columns more than once: {', '.join(repeated)}.",
            code="duplicate_columns",
            errors={"header": [f"'{name}' appears more than once." for name in repeated]},
        )
    return columns


def _csv_keyword_rows(reader, columns: list[str]) -> tuple[list, list]:
    """The parsed rows with the line each starts on, and the lines refused with why."""
    parsed, errors = [], []
    line = reader.line_num
    while True:
        first_line = line + 1
        try:
            values = next(reader)
        except StopIteration:
            return parsed, errors
        except csv.Error as error:
            line = reader.line_num
            errors.append({"ref": first_line, "error": _csv_error_message(error)})
            continue
        line = reader.line_num
        if not any(value.strip() for value in values):
            continue
        raw = dict(zip(columns, values, strict=False))
        try:
            parsed.append((first_line, keyword_row_parse(raw)))
        except ValueError as error:
            errors.append({"ref": first_line, "error": str(error)})


def keyword_update(*, keyword: Keyword, fields: Mapping) -> Keyword:
    if "keyword" in fields:
        fields = {**fields, "keyword": normalize_keyword(fields["keyword"])}
        if not fields["keyword"]:
            raise ValidationFailed("keyword is empty", errors={"keyword": ["May not be blank."]})
        clash = (
            Keyword.objects.filter(site_id=keyword.site_id, keyword__iexact=fields["keyword"])
            .exclude(pk=keyword.pk)
            .exists()
        )
        if clash:
            raise ValidationFailed(
                f"duplicate: '{fields['keyword']}' already exists in this site", code="duplicate_keyword"
            )
    for name, value in fields.items():
        setattr(keyword, name, value)
    keyword.save()
    return keyword


def cluster_update(*, cluster: Cluster, fields: Mapping) -> Cluster:
    for name, value in fields.items():
        setattr(cluster, name, value)
    try:
        with transaction.atomic():
            cluster.save()
    except IntegrityError:
        raise ValidationFailed(
            "A cluster with that name already exists in this site.", code="duplicate_cluster"
        ) from None
    return cluster


def idea_update(*, idea: ContentIdea, fields: Mapping) -> ContentIdea:
    for name, value in fields.items():
        setattr(idea, name, value)
    idea.save()
    return idea


def clusters_refresh_totals(*, cluster_ids: Iterable[int]) -> None:
    """Recompute `keywords_count` and `volume` of clusters from their keywords."""
    totals = (
        Cluster.objects.filter(pk__in=list(cluster_ids))
        .annotate(count=Count("keywords"), total=Coalesce(Sum("keywords__volume"), 0))
        .values_list("pk", "count", "total")
    )
    for pk, count, total in totals:
        Cluster.objects.filter(pk=pk).update(keywords_count=count, volume=total)


# Writes the pipeline makes ---------------------------------------------------------------------


def cluster_get_or_create(*, site: Site, name: str, description: str = "") -> tuple[Cluster, bool]:
    """The site's cluster called `name` (case-insensitive), created when there is none."""
    name = " ".join(name.split())[:200]
    if not name:
        raise ValidationFailed("A cluster needs a name.", errors={"name": ["May not be blank."]})
    cluster = Cluster.objects.filter(site=site, name__iexact=name).first()
    if cluster is not None:
        return cluster, False
    cluster = Cluster.objects.create(
        account_id=site.account_id, site=site, name=name, description=description[:2000]
    )
    return cluster, True


def keywords_assign(*, cluster: Cluster, keyword_ids: Iterable[int]) -> int:
    """Put keywords into `cluster` (status `mapped`) and refresh its totals; returns how many moved."""
    keyword_ids = list(keyword_ids)
    moved = Keyword.objects.filter(site_id=cluster.site_id, pk__in=keyword_ids).update(
        cluster=cluster, status=KeywordStatus.MAPPED
    )
    clusters_refresh_totals(cluster_ids=[cluster.pk])
    return moved


@dataclass(frozen=True)
class IdeaFields:
    title: str
    description: str = ""
    content_type: str = ContentType.POST
    content_structure: str = ContentStructure.ARTICLE
    estimated_word_count: int = 1000
    keyword_ids: tuple[int, ...] = ()
    # Set by the cannibalization guard: held back as `duplicate` of this URL or title, at this score.
    duplicate_of: str = ""
    duplicate_score: float | None = None
    embedding: bytes | None = None
    embedding_model: str = ""


def idea_create(*, cluster: Cluster, fields: IdeaFields) -> ContentIdea:
    """An idea of `cluster` (see `ideas_create`)."""
    (idea,) = ideas_create(cluster=cluster, ideas=[fields])
    return idea


def ideas_create(*, cluster: Cluster, ideas: Sequence[IdeaFields]) -> list[ContentIdea]:
    """Ideas of `cluster`; a title falls back to the cluster name, a word count to 300–5000.

    An idea with `duplicate_of` is saved held back (`duplicate`) until a reviewer releases it.
    Three statements however many ideas: theirs, their keywords' check, their keyword links."""
    created = ContentIdea.objects.bulk_create(
        ContentIdea(
            account_id=cluster.account_id,
            site_id=cluster.site_id,
            keyword_cluster=cluster,
            idea_title=" ".join(fields.title.split())[:300] or cluster.name,
            description=fields.description,
            content_type=fields.content_type,
            content_structure=fields.content_structure,
            estimated_word_count=min(max(int(fields.estimated_word_count), 300), 5000),
            status=IdeaStatus.DUPLICATE if fields.duplicate_of else IdeaStatus.NEW,
            duplicate_of_url=fields.duplicate_of[:1000],
            duplicate_score=fields.duplicate_score,
            embedding=fields.embedding,
            embedding_model=fields.embedding_model,
        )
        for fields in ideas
    )
    named = {keyword_id for fields in ideas for keyword_id in fields.keyword_ids}
    if named:
        # New ideas have no keywords yet: insert the links at once (set() would read them first).
        of_cluster = set(cluster.keywords.filter(pk__in=named).values_list("pk", flat=True))
        ContentIdea.keywords.through.objects.bulk_create(
            ContentIdea.keywords.through(contentidea_id=idea.pk, keyword_id=keyword_id)
            for idea, fields in zip(created, ideas, strict=True)
            for keyword_id in fields.keyword_ids
            if keyword_id in of_cluster
        )
    return created


def cluster_mark_mapped(*, cluster: Cluster) -> None:
    """Ideas were generated for the cluster: it leaves the ideas stage's queue."""
    Cluster.objects.filter(pk=cluster.pk).update(status=ClusterStatus.MAPPED)


def ideas_set_status(*, idea_ids: Iterable[int], status: str) -> int:
    if status not in IdeaStatus.values:
        raise ValidationFailed(f"Unknown idea status '{status}'.")
    return ContentIdea.objects.filter(pk__in=list(idea_ids)).update(status=status)
