"""A new site's config: no delays by default, since every AI call is paced to the provider's limit."""

import pytest

from automation.services.config import config_get_or_create, config_update


@pytest.mark.django_db
def test_a_new_config_has_no_delays_within_or_between_stages(tenant):
    config = config_get_or_create(site=tenant.site)
    assert (config.within_stage_delay, config.between_stage_delay) == (0, 0)


@pytest.mark.django_db
def test_an_explicit_delay_is_kept(tenant):
    config = config_get_or_create(site=tenant.site)
    config_update(config=config, fields={"within_stage_delay": 3, "between_stage_delay": 5})
    config = config_get_or_create(site=tenant.site)
    assert (config.within_stage_delay, config.between_stage_delay) == (3, 5)
