"""scripts/vendor_assets.py, which refreshes what book/_vendor takes from npm."""

import vendor_assets


def test_a_refresh_replaces_the_packages_folders_and_nothing_of_the_book_s_own(tmp_path):
    targets = [target for _, target, _ in vendor_assets.PACKAGES.values()]
    for target in targets:
        (tmp_path / target).mkdir()
    own = ["live-worker.js", "live_bridge.py", "matgrad.css", "a-file-added-later.js"]
    for name in own:
        (tmp_path / name).write_text("")
    assert sorted(vendor_assets.vendored_folders(tmp_path)) == sorted(
        tmp_path / target for target in targets
    )
    # The real folder: every package's files are in its own folder there.
    real = {path.name for path in vendor_assets.vendored_folders()}
    assert real == set(targets)
