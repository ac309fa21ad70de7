import sys
from pathlib import Path

from hypothesis import settings

sys.path.insert(0, str(Path(__file__).parent))

# Every generated test draws the same examples on every run (the seed comes from
# the test's own code): a failure can be run again, and a run takes as long each time.
settings.register_profile("capmodel", derandomize=True)
settings.load_profile("capmodel")


def pytest_collection_modifyitems(config, items):
    """The tests marked slow run first: under xdist each worker then starts on a
    long one and the short ones fill in around them, so that the run ends about
    when its longest test does, not that long after whatever came before it."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
