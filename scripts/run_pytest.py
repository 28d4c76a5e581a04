"""Run pytest and refuse to call "no tests collected" a success.

pytest exits 5 when nothing was collected; a wrong marker expression or a broken conftest would
then look green. We turn that into a failure.
"""

import sys

import pytest

code = pytest.main(sys.argv[1:])
if code == pytest.ExitCode.NO_TESTS_COLLECTED:
    print("run_pytest: no tests were collected; treating that as a failure", file=sys.stderr)
    sys.exit(1)
sys.exit(int(code))
