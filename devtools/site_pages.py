"""A labelled client site for tests and benches: 300 pages over six topics, and a sitemap server.

    python -m devtools.site_pages --port 8767      # serve it; the sitemap is at /sitemap.xml

Every page is made from the word lists below (no copied prose), the same on every run:
topic x subject x angle. Each topic also has `spare_subjects` no page covers, for ideas that are new
to the site. The server answers `/sitemap.xml` with a sitemap index whose children are one sitemap per
topic (every other one gzip-compressed) plus one listing a page that redirects to another host name
(`localhost` instead of `127.0.0.1`); a few listed pages answer 404 (`SitePage.status`). It serves
one request at a time per connection and records each request's path and time, and the most
requests it ever had in flight at once (`max_in_flight`), for politeness checks.
"""

import argparse
import gzip
import html
import random
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Topic:
    name: str
    slug: str
    activity: str
    subjects: tuple[str, ...]
    spare_subjects: tuple[str, ...]
    aspects: tuple[str, ...]


# fmt: off
TOPICS = (
    Topic("home fitness", "home-fitness", "trains at home without a gym",
          ("kettlebell swings", "resistance bands", "bodyweight squats", "push-up progressions",
           "jump rope intervals", "yoga mats", "pull-up bars", "adjustable dumbbells", "plank variations",
           "hamstring stretching"),
          ("rowing machines", "balance boards", "foam rolling", "stair climbing workouts"),
          ("warm-up sets", "rest days", "muscle soreness", "form cues", "weekly volume", "core strength",
           "small apartments", "progress tracking")),
    Topic("coffee brewing", "coffee-brewing", "brews coffee at home",
          ("pour-over cones", "french press", "espresso machines", "cold brew", "burr grinders",
           "milk frothing", "aeropress recipes", "moka pots", "water temperature", "coffee bean storage"),
          ("latte art", "decaf processing", "siphon brewers", "turkish coffee"),
          ("grind size", "brew ratio", "extraction time", "bitterness", "roast dates", "filter papers",
           "crema", "descaling")),
    Topic("dog training", "dog-training", "lives with a dog",
          ("crate training", "leash walking", "recall commands", "puppy socialization", "clicker training",
           "separation anxiety", "house training", "jumping on guests", "barking at the door",
           "agility courses"),
          ("nail trimming without stress", "scent games", "therapy dog certification", "car rides with dogs"),
          ("treat rewards", "short sessions", "consistent cues", "body language", "rescue dogs",
           "older dogs", "daily routines", "calm greetings")),
    Topic("gardening", "gardening", "grows food or flowers in a garden",
          ("tomato seedlings", "raised beds", "compost bins", "drip irrigation", "pruning roses",
           "herb containers", "mulching", "soil testing", "companion planting", "seed saving"),
          ("greenhouse heating", "spring bulb planting", "lawn aeration", "hydroponic lettuce"),
          ("frost dates", "sunlight hours", "watering schedules", "soil nutrients", "garden pests",
           "clay soil", "harvest timing", "organic fertilizer")),
    Topic("personal finance", "personal-finance", "manages a household budget",
          ("emergency funds", "credit card debt", "index funds", "monthly budgets", "retirement accounts",
           "credit scores", "student loans", "tax refunds", "side income", "insurance deductibles"),
          ("estate planning", "mortgage refinancing", "allowances for kids", "charitable giving"),
          ("interest rates", "automatic transfers", "spending categories", "savings goals", "fees",
           "paycheck timing", "compound growth", "debt payoff order")),
    Topic("travel", "travel", "plans trips abroad",
          ("carry-on packing", "cheap flights", "travel insurance", "jet lag", "hostel stays", "rail passes",
           "travel credit cards", "solo travel safety", "road trip planning", "visa applications"),
          ("cruise cabins", "camping gear rental", "language apps for travel", "airport lounges"),
          ("booking windows", "luggage limits", "local transport", "travel documents", "currency exchange",
           "layovers", "off-season trips", "itineraries")),
)
# fmt: on

ANGLES = (
    ("A beginner's guide to {subject}", "guide-to-{slug}"),
    ("{count} common mistakes with {subject}", "mistakes-with-{slug}"),
    ("{Subject} on a small budget", "{slug}-on-a-budget"),
    ("Troubleshooting {subject}: problems and fixes", "troubleshooting-{slug}"),
    ("{Subject} explained step by step", "{slug}-step-by-step"),
)
SENTENCES = (
    "Getting {subject} right matters to anyone who {activity}.",
    "This page covers {first}, {second} and {third}.",
    "You will find practical advice on {fourth} and how {subject} fits it.",
)
GONE_EVERY = 50  # every 50th page is listed in the sitemap but answers 404


@dataclass(frozen=True)
class SitePage:
    topic: str
    subject: str
    path: str
    title: str
    summary: str
    status: int = 200
    lastmod: str = ""


def slugify(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).replace("--", "-").strip("-")


def capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


def make_pages(seed: int = 23) -> list[SitePage]:
    chooser, pages = random.Random(seed), []
    for topic in TOPICS:
        for subject in topic.subjects:
            for title_format, path_format in ANGLES:
                first, second, third, fourth = chooser.sample(topic.aspects, 4)
                words = {
                    "subject": subject,
                    "Subject": capitalized(subject),
                    "slug": slugify(subject),
                    "count": chooser.choice((5, 7, 9, 10)),
                    "activity": topic.activity,
                    "first": first,
                    "second": second,
                    "third": third,
                    "fourth": fourth,
                }
                number = len(pages) + 1
                pages.append(
                    SitePage(
                        topic=topic.name,
                        subject=subject,
                        path=f"/{topic.slug}/{path_format.format(**words)}/",
                        title=title_format.format(**words),
                        summary=" ".join(sentence.format(**words) for sentence in SENTENCES),
                        status=404 if number % GONE_EVERY == 0 else 200,
                        lastmod=f"2024-{1 + number % 12:02d}-{1 + number % 28:02d}",
                    )
                )
    return pages


@dataclass
class SitePagesDataset:
    """The labelled pages; `live_pages` answer 200. Topic names are the labels."""

    seed: int = 23
    pages: list[SitePage] = field(init=False)

    def __post_init__(self):
        self.pages = make_pages(self.seed)

    @property
    def topics(self) -> list[str]:
        return [topic.name for topic in TOPICS]

    @property
    def live_pages(self) -> list[SitePage]:
        return [page for page in self.pages if page.status == 200]

    def by_path(self, path: str) -> SitePage | None:
        return next((page for page in self.pages if page.path == path), None)

    def topic_of(self, path: str) -> str:
        page = self.by_path(path)
        return page.topic if page else ""


REDIRECT_PATH = "/moved-to-our-shop/"
MISC_SITEMAP = "/sitemaps/misc.xml"


def sitemap_path(index: int, topic: Topic) -> str:
    return f"/sitemaps/{topic.slug}.xml" + (".gz" if index % 2 else "")


class SitemapServer:
    """`with SitemapServer() as site:` serves the dataset on loopback; `site.sitemap_url` is the index."""

    def __init__(self, dataset: SitePagesDataset | None = None, *, host: str = "127.0.0.1", port: int = 0):
        self.dataset = dataset or SitePagesDataset()
        self.lock = threading.Lock()
        self.requests: list[tuple[str, float]] = []
        self.in_flight = self.max_in_flight = 0
        self.response_delay = 0.0  # seconds each answer waits, to make overlapping requests visible
        self.server = ThreadingHTTPServer((host, port), self._handler())
        self.server.daemon_threads = True

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def sitemap_url(self) -> str:
        return self.url + "/sitemap.xml"

    @property
    def redirect_target(self) -> str:
        return f"http://localhost:{self.server.server_address[1]}/shop/"

    def page_url(self, page: SitePage) -> str:
        return self.url + page.path

    def answer(self, path: str) -> tuple[int, dict, bytes]:
        if path == "/sitemap.xml":
            children = [sitemap_path(index, topic) for index, topic in enumerate(TOPICS)] + [MISC_SITEMAP]
            entries = "".join(f"<sitemap><loc>{self.url}{child}</loc></sitemap>" for child in children)
            return 200, {"Content-Type": "application/xml"}, sitemap_xml("sitemapindex", entries)
        for index, topic in enumerate(TOPICS):
            if path == sitemap_path(index, topic):
                pages = [page for page in self.dataset.pages if page.topic == topic.name]
                entries = "".join(
                    f"<url><loc>{self.page_url(page)}</loc><lastmod>{page.lastmod}</lastmod></url>"
                    for page in pages
                )
                body = sitemap_xml("urlset", entries)
                return 200, {"Content-Type": "application/xml"}, gzip.compress(body) if index % 2 else body
        if path == MISC_SITEMAP:
            return (
                200,
                {"Content-Type": "application/xml"},
                sitemap_xml("urlset", f"<url><loc>{self.url}{REDIRECT_PATH}</loc></url>"),
            )
        if path == REDIRECT_PATH:
            return 301, {"Location": self.redirect_target}, b""
        page = self.dataset.by_path(path)
        if page is None or page.status != 200:
            return 404, {"Content-Type": "text/html"}, b"<html><title>Not found</title></html>"
        return 200, {"Content-Type": "text/html; charset=utf-8"}, page_html(page)

    def _handler(self):
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                with outer.lock:
                    outer.requests.append((self.path, time.monotonic()))
                    outer.in_flight += 1
                    outer.max_in_flight = max(outer.max_in_flight, outer.in_flight)
                try:
                    if outer.response_delay:
                        time.sleep(outer.response_delay)
                    status, headers, body = outer.answer(self.path.split("?")[0])
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                finally:
                    with outer.lock:
                        outer.in_flight -= 1

        return Handler

    def __enter__(self) -> "SitemapServer":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def sitemap_xml(root: str, entries: str) -> bytes:
    namespace = "http://www.sitemaps.org/schemas/sitemap/0.9"
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<{root} xmlns="{namespace}">{entries}</{root}>'.encode()


def page_html(page: SitePage) -> bytes:
    title, summary = html.escape(page.title), html.escape(page.summary, quote=True)
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{title}</title>'
        f'<meta name="description" content="{summary}"></head>'
        f"<body><h1>{title}</h1><p>{html.escape(page.summary)}</p></body></html>"
    ).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8767)
    arguments = parser.parse_args()
    site = SitemapServer(port=arguments.port)
    print(f"{len(site.dataset.pages)} pages; sitemap index at {site.sitemap_url}", flush=True)
    site.server.serve_forever()


if __name__ == "__main__":
    main()
