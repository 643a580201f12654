"""The fake keeps up with 10,000 events per user (figures printed with -s)."""

from ..fake_google.bench import measure


def test_ten_thousand_events_seed_and_list_in_seconds():
    figures = measure(10000)
    print(
        f"\nfake_google throughput: seed {figures['seed_s']:.2f} s, "
        f"list {figures['list_s']:.2f} s in {figures['pages']} pages, "
        f"incremental {figures['incremental_s']:.3f} s"
    )
    assert figures["pages"] == 4
    # Generous bounds for a loaded 2-core machine; typical figures are ~1 s each.
    assert figures["seed_s"] < 20 and figures["list_s"] < 20
    assert figures["incremental_s"] < 2
