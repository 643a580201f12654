"""The fake keeps up with 10,000 events per user (figures logged at INFO)."""

import logging

from fake_google.bench import measure

_logger = logging.getLogger(__name__)


def test_ten_thousand_events_seed_and_list_in_seconds():
    figures = measure(10000)
    _logger.info(
        "fake_google throughput: seed %.2f s, list %.2f s in %d pages, incremental %.3f s",
        figures["seed_s"],
        figures["list_s"],
        figures["pages"],
        figures["incremental_s"],
    )
    assert figures["pages"] == 4
    # Generous bounds for a loaded 2-core machine; typical figures are ~1 s each.
    assert figures["seed_s"] < 20 and figures["list_s"] < 20
    assert figures["incremental_s"] < 2
