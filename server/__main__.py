"""`hurrinet-server`: operate a HurriNet Dispatch server.

Commands so far: `check` (validate a reference directory and bring a database's schema up to
date) and `protocol --json` (the machine-readable command schema). `serve`, users and audit
arrive with the hub.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from . import protocol
from .reference import DEMO, ReferenceFileError


def _check(args: argparse.Namespace) -> int:
    from .bootstrap import open_runner

    try:
        runner = open_runner(args.database, args.reference)
    except ReferenceFileError as error:
        print(f"reference data: {error}", file=sys.stderr)
        return 1
    world = runner.world
    active = sum(u.active for u in world.units.values())
    print(
        f"ok: {world.deployment.name}: {len(world.districts)} districts, {len(world.stations)} stations, "
        f"{active} active units, {len(world.incident_types)} incident types, "
        f"{len(world.resources)} resources; {len(world.incidents)} incidents, event seq {world.seq}"
    )
    runner.store.engine.dispose()
    return 0


def protocol_schema() -> dict:
    return {
        "protocol": protocol.PROTOCOL_VERSION,
        "max_frame_bytes": protocol.MAX_FRAME_BYTES,
        "error_codes": list(protocol.ERROR_CODES),
        "events": list(protocol.EVENT_NAMES),
        "commands": {
            name: {
                "summary": spec.summary,
                "args": spec.args.model_json_schema(),
                "result": list(spec.result),
                "system_only": spec.system_only,
            }
            for name, spec in protocol.COMMANDS.items()
        },
    }


def _protocol(args: argparse.Namespace) -> int:
    schema = protocol_schema()
    if args.json:
        print(json.dumps(schema, indent=2, ensure_ascii=False))
    else:
        for name, command in schema["commands"].items():
            print(f"{name:26} {command['summary']}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hurrinet-server", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="validate reference data and migrate the database")
    check.add_argument("--reference", type=Path, default=Path(os.environ.get("HURRINET_REFERENCE_DIR", DEMO)))
    check.add_argument("--database", default=os.environ.get("HURRINET_DATABASE_URL", "sqlite:///hurrinet.db"))
    check.set_defaults(run=_check)
    proto = sub.add_parser("protocol", help="print the command catalogue")
    proto.add_argument("--json", action="store_true", help="the machine-readable schema")
    proto.set_defaults(run=_protocol)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
