"""An agency's failure reaches it: a run with a failed article, executed by a real worker, sends a
signed run.completed and item.failed to the account's webhook and an email to a subscriber."""

from pathlib import Path

import pytest

from events.models import EmailSubscription
from events.services import webhook_create
from events.signing import verify
from tests.events.receiver import Receiver
from tests.factories import make_account
from tests.integration.test_retry_race import failed_article_site
from tests.integration.test_webhook_faults import FAST_RETRIES, nudged
from tests.waiting import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
SECRET = "an-agency-webhook-secret"


def test_a_failed_item_reaches_the_agency_as_a_signed_webhook_and_an_email(
    fake_openai, start_worker, tmp_path
):
    mail_dir = Path(tmp_path) / "mail"
    start_worker(
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(mail_dir),
        **FAST_RETRIES,
    )
    with Receiver() as receiver:
        other = make_account()  # another account's endpoint receives none of the agency's events
        webhook_create(account=other.account, url=f"{receiver.url}?other", secret="x" * 20, events=[])

        def hooks(tenant):
            webhook_create(account=tenant.account, url=receiver.url, secret=SECRET, events=[])
            EmailSubscription.objects.create(
                account=tenant.account, user=tenant.owner, events=["item.failed"]
            )

        tenant, _client, first = failed_article_site(fake_openai, prepare=hooks)
        wait_for(
            nudged(
                lambda: {"run.completed", "item.failed"} <= {r["json"]["type"] for r in receiver.received()}
            ),
            timeout=60,
            interval=0.5,
            what="run.completed and item.failed at the receiver",
        )
        requests = receiver.received()
    assert {r["json"]["account"] for r in requests} == {tenant.account.pk}
    for request in requests:
        assert verify(secret=SECRET, body=request["body"], header=request["headers"]["X-IGNY8-Signature"])
    (failed,) = [r["json"] for r in requests if r["json"]["type"] == "item.failed"]
    assert failed["data"]["run_id"] == first.run_id and failed["data"]["count"] == 1
    wait_for(lambda: mail_dir.exists() and any(mail_dir.iterdir()), what="the email to be written")
    assert "item.failed" in "".join(path.read_text() for path in mail_dir.iterdir())
