"""`hurrinet`: the dispatcher's workstation. `hurrinet demo` arrives with the workstation issue."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    print(
        "hurrinet: the workstation is coming with the workstation issue; today the server's "
        "domain core can be checked with `hurrinet-server check`.",
        file=sys.stderr,
    )
    return 2


if __name__ == "__main__":
    sys.exit(main())
