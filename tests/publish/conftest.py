from tests.publish.fixtures import *  # noqa: F403
