"""The workflow docs/ir.md shows compiled."""

import wfc


@wfc.step
def fetch(n: int) -> int:
    return n * 10


@wfc.workflow
def collect(limit: int) -> wfc.Workflow[int]:
    total = 0
    for i in range(limit):
        try:
            total += yield from fetch(i)
        except ValueError:
            continue
        finally:
            yield from wfc.sleep(1)
    return total
