import pytest

from automation.services.config import config_get_or_create, config_update
from tests.factories import make_keywords

TOPIC_KEYWORDS = [
    "best running shoes",
    "running shoes for flat feet",
    "trail running shoes",
    "marathon training plan",
    "cold brew coffee ratio",
    "how to make cold brew coffee",
    "best coffee grinder",
    "espresso machine reviews",
    "pour over coffee guide",
    "half marathon training schedule",
]


@pytest.fixture
def pipeline_site(tenant):
    """Account A's site with ten keywords and a config without delays."""
    site = tenant.site
    make_keywords(site=site, texts=TOPIC_KEYWORDS)
    config = config_get_or_create(site=site)
    config_update(config=config, fields={"within_stage_delay": 0, "between_stage_delay": 0})
    return site
