"""The README's demo: run the order-fulfilment workflow and show what happened."""

from __future__ import annotations

import wfc
from examples.orders import fulfil_order


def main() -> None:
    run = wfc.testing.execute(
        fulfil_order, "A-1001", {"book": 1, "lamp": 2}, "1 Main St", 129.0,
        events=[wfc.testing.Event("approval", True, at=30)],
    )
    for call in run.calls:
        status = f"failed ({call.error})" if call.error else "ok"
        print(f"{call.at:%H:%M:%S}  {call.name}{call.args}  attempt {call.attempt}: {status}")
    print("result:", run.unwrap())


if __name__ == "__main__":
    main()
