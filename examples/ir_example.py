"""The workflow docs/ir.md shows compiled."""

import wfc


@wfc.step
def fetch(n: int) -> int:
    return n * 10


@wfc.workflow
def collect(limit: int):
    total = 0
    for i in range(limit):
        try:
            total += yield fetch(i)
        except ValueError:
            continue
        finally:
            yield wfc.sleep(1)
    return total
