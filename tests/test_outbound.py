"""igny8.outbound: user-given URLs never reach our own network, on any hop, whatever DNS says."""

import ipaddress

import pytest

from igny8.outbound import OutboundClient, OutboundFailed, Policy, ResponseTooLarge, UrlNotAllowed
from tests.http_servers import Answer, LocalServer

STRICT = Policy(allow_private=False)
OPEN = Policy(allow_private=True)


def get(url: str, policy: Policy | None, timeout: float = 2):
    with OutboundClient(policy=policy, timeout=timeout) as client:
        return client.request("GET", url)


def refused_reason(url: str, policy: Policy = STRICT) -> str:
    with pytest.raises(UrlNotAllowed) as refused:
        get(url, policy)
    return refused.value.message


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1/", "loopback"),
        ("http://127.9.9.9/", "loopback"),
        ("http://[::1]/", "loopback"),
        ("http://10.1.2.3/", "private"),
        ("http://172.16.0.1/", "private"),
        ("http://192.168.1.1/", "private"),
        ("http://[fc00::1]/", "private"),
        ("http://100.64.0.1/", "private"),
        ("http://169.254.1.1/", "link-local"),
        ("http://[fe80::1]/", "link-local"),
        ("http://224.0.0.1/", "multicast"),
        ("http://[ff02::1]/", "multicast"),
        ("http://240.0.0.1/", "reserved"),
        ("http://0.0.0.0/", "unspecified"),
        ("http://169.254.169.254/latest/meta-data/", "metadata"),
        ("http://100.100.100.200/", "metadata"),
        ("http://[fd00:ec2::254]/", "metadata"),
        ("http://[::ffff:127.0.0.1]/", "loopback"),
    ],
)
def test_each_class_of_internal_address_is_refused(url, reason):
    assert reason in refused_reason(url)


def test_a_host_name_is_checked_after_it_is_resolved():
    assert "loopback" in refused_reason("http://localhost:9/")


def test_a_public_address_passes_the_check():
    assert STRICT.checked_address("93.184.216.34", 80) == "93.184.216.34"


def test_metadata_addresses_stay_refused_when_private_urls_are_allowed():
    assert "metadata" in refused_reason("http://169.254.169.254/", OPEN)


def test_only_http_and_https_are_allowed():
    assert "http and https" in refused_reason("file:///etc/passwd", OPEN)


def test_private_urls_are_reached_when_allowed():
    with LocalServer(lambda *request: Answer(body=b"hello")) as server:
        response = get(server.url, OPEN)
    assert (response.status_code, response.content) == (200, b"hello")


def test_the_setting_is_off_by_default(settings):
    settings.ALLOW_PRIVATE_URLS = False
    settings.OUTBOUND_ALLOW_NETWORKS = ""
    with LocalServer(lambda *request: Answer()) as server, pytest.raises(UrlNotAllowed):
        get(server.url, None)


def test_the_connection_goes_to_the_address_that_was_checked():
    # The name answers an allowed address first and loopback afterwards (DNS rebinding): the
    # connection uses the one answer it checked and never asks again.
    answers = iter([["127.0.0.2"], ["127.0.0.1"], ["127.0.0.1"]])
    asked = []

    def rebinding(host, port):
        asked.append(host)
        return next(answers)

    policy = Policy(allowed_networks=(ipaddress.ip_network("127.0.0.2/32"),), resolver=rebinding)
    with LocalServer(lambda *request: Answer(body=b"checked"), host="127.0.0.2") as server:
        response = get(f"http://cms.test:{server.port}/", policy)
    assert response.content == b"checked"
    assert asked == ["cms.test"]
    assert server.requests[0][2]["Host"] == f"cms.test:{server.port}"


@pytest.mark.parametrize("target", ["http://127.0.0.1:{port}/secret", "http://localhost:{port}/secret"])
def test_every_redirect_hop_is_checked(target):
    allowed = Policy(allowed_networks=(ipaddress.ip_network("127.0.0.2/32"),))
    with LocalServer(lambda *request: Answer(body=b"internal")) as internal:
        location = target.format(port=internal.port)
        with LocalServer(lambda *r: Answer(302, b"", {"Location": location}), host="127.0.0.2") as outer:
            assert "loopback" in refused_reason(outer.url, allowed)
    assert internal.requests == []


def test_redirects_are_followed_a_bounded_number_of_times():
    redirecting = LocalServer(lambda method, path, *rest: Answer(302, b"", {"Location": path + "x"}))
    with redirecting as server, pytest.raises(OutboundFailed) as failed:
        get(server.url + "/", OPEN)
    assert failed.value.code == "too_many_redirects"


@pytest.mark.parametrize("chunked", [False, True])
def test_an_answer_over_the_size_limit_is_refused(settings, chunked):
    settings.OUTBOUND_MAX_RESPONSE_BYTES = 1000
    large = LocalServer(lambda *request: Answer(body=b"x" * 1001, chunked=chunked))
    with large as server, pytest.raises(ResponseTooLarge):
        get(server.url, OPEN)


def test_a_slow_answer_times_out():
    with LocalServer(lambda *request: Answer(delay=5)) as server, pytest.raises(OutboundFailed) as failed:
        get(server.url, OPEN, timeout=0.3)
    assert failed.value.code == "timeout"
