"""`hurrinet-server`: run and operate a HurriNet Dispatch server.

`serve` runs it; `demo` runs a throwaway server with a simulated storm for `hurrinet demo`;
`user add|list|revoke` manages accounts; `audit` prints the audit log; `archive` moves ended
incidents to the archive store now (docs/archive.md); `check` validates
reference data and migrates; `protocol --json` prints the command schema.
Every option also comes from a config file (`--config`) or HURRINET_* environment variables.
"""

from __future__ import annotations

import gc

# The modules below make about 70,000 objects the collector tracks, alive as long as the
# process: collecting while they arrive only rescans them (about 50 ms of every start).
# `serve` freezes what start-up kept once it listens (server/net/serve.py).
_collecting = gc.isenabled()
gc.disable()

import argparse
import asyncio
import json
import logging
import os
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from server import protocol
from server.app import wire
from server.app.commands import Clock, CommandRunner
from server.config import ConfigError, Settings, load_settings
from server.domain.errors import DomainError
from server.net.accounts import Accounts
from server.net.alerts import target_configs
from server.net.serve import serve_forever
from server.reference import DEMO, ReferenceFileError, load_reference
from server.storage.database import make_engine, migrate

# What they made lives as long as the process: frozen, the collector's first pass after this
# does not scan it all again (about 30 ms of every start, measured with gc.callbacks). Only
# as the program: a process that imports this module (the tests) keeps its own collector.
if __name__ == "__main__":
    gc.freeze()
if _collecting:
    gc.enable()


def _check(args: argparse.Namespace) -> int:
    from server.app.bootstrap import open_runner

    try:
        runner = open_runner(args.database, args.reference)
    except ReferenceFileError as error:
        print(f"reference data: {error}", file=sys.stderr)
        return 1
    world = runner.world
    try:
        target_configs(world, os.environ)
    except ConfigError as error:
        print(f"reference data: alert_targets.csv: {error}", file=sys.stderr)
        runner.store.engine.dispose()
        return 1
    active = sum(u.active for u in world.units.values())
    print(
        f"ok: {world.deployment.name}: {len(world.districts)} districts, {len(world.stations)} stations, "
        f"{active} active units, {len(world.incident_types)} incident types, "
        f"{len(world.resources)} resources; {len(world.incidents)} incidents, event seq {world.seq}"
    )
    runner.store.engine.dispose()
    return 0


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {k: getattr(args, k, None) for k in ("host", "port", "data_dir", "database_url", "reference_dir")}
    if getattr(args, "no_compression", False):
        overrides["compression"] = False
    return load_settings(args.config, overrides)


def _serve(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = _settings(args)  # a bad settings file is reported by main (exit 2)
    try:
        asyncio.run(serve_forever(settings))
    except ConfigError as error:  # an alert target's config, found when serving starts
        print(f"hurrinet-server serve: {error}", file=sys.stderr)
        return 1
    return 0


def _demo(args: argparse.Namespace) -> int:
    from server.demo.launch import DemoError, DemoOptions, run

    data_dir = args.data_dir or load_settings(args.config).data_dir / "demo"
    options = DemoOptions(data_dir=data_dir.expanduser(), ready_file=args.ready_file.expanduser(), host=args.host,
                          port=args.port, simulation=not args.no_simulation, paused=args.paused, seed=args.seed,
                          pace=args.pace)  # fmt: skip
    try:
        return run(options)
    except DemoError as error:
        print(f"hurrinet-server demo: {error}", file=sys.stderr)
        return 1


class CliError(Exception):
    """A mistake a person can make on the command line: one line on stderr, exit status 1."""


def _open_runner(settings: Settings) -> CommandRunner:
    """The deployment as `serve` opens it: the same database, reference data and archive."""
    from server.app.bootstrap import open_runner

    try:
        return open_runner(settings.database, settings.reference_dir, archive_url=settings.archive_url)
    except ReferenceFileError as error:
        raise CliError(f"reference data: {error}") from None


def _accounts(args: argparse.Namespace) -> tuple[Accounts, Clock]:
    settings = _settings(args)
    if not settings.database_url:
        settings.data_dir.mkdir(parents=True, exist_ok=True)  # as `serve` does
    engine = make_engine(settings.database)
    migrate(engine)
    return Accounts(engine), Clock()


def _check_unit(args: argparse.Namespace) -> None:
    """A unit account's callsign must be one of the deployment's units (its reference data)."""
    if args.unit is None:
        return
    reference_dir = _settings(args).reference_dir
    try:
        callsigns = {u.callsign for u in load_reference(reference_dir).units}
    except ReferenceFileError as error:
        raise CliError(f"cannot check --unit against the reference data in {reference_dir}: {error}") from None
    if args.unit.strip().upper() not in callsigns:
        raise CliError(f"no unit {args.unit!r} in the deployment's reference data ({reference_dir})")


def _user(args: argparse.Namespace) -> int:
    if args.action == "add":
        _check_unit(args)
    accounts, clock = _accounts(args)
    try:
        if args.action == "add":
            user, token = accounts.add(args.name, args.role, clock.now(), unit=args.unit)
            bound = f" bound to unit {user.unit}" if user.unit else ""
            print(f"user {user.name} ({user.role}){bound} added; token (shown once, keep it safe):\n{token}")
        elif args.action == "revoke":
            accounts.revoke(args.name, clock.now())
            print(f"user {args.name} revoked")
        else:
            for user in accounts.list():
                state = f"revoked {wire.iso(user.revoked_at)}" if user.revoked_at else "active"
                print(f"{user.name:24} {user.role:11} {user.unit or '':8} {state}")
    except DomainError as error:
        print(f"hurrinet-server user: {error.message}", file=sys.stderr)
        return 1
    return 0


def _audit(args: argparse.Namespace) -> int:
    try:
        since = datetime.fromisoformat(args.since.replace("Z", "+00:00"))
    except ValueError:
        raise CliError(f"--since {args.since!r} is not an ISO time such as 2026-09-01 or 2026-09-01T06:00Z") from None
    accounts, _ = _accounts(args)
    since = since if since.tzinfo else since.replace(tzinfo=UTC)
    for row in accounts.audit_since(since):
        fields = " ".join(f"{k}={row[k]}" for k in ("kind", "user_id", "address", "command", "command_id", "result") if row[k])
        print(f"{wire.iso(row['at'])} {fields}")
    return 0


def _report(args: argparse.Namespace) -> int:
    """The after-action figures of the incidents in the database, written to stdout or a file."""
    from server.advice.stats_query import live_table, stats_query
    from server.app.archive_stats import archive_source
    from server.app.report import render

    def moment(text: str | None, name: str) -> datetime | None:
        if text is None:
            return None
        try:
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise SystemExit(f"hurrinet-server report: --{name} is not an ISO 8601 time: {text!r}") from None
        return value if value.tzinfo else value.replace(tzinfo=UTC)

    start, end = moment(args.start, "from"), moment(args.end, "to")
    if start and end and end <= start:
        print("hurrinet-server report: --to must be after --from", file=sys.stderr)
        return 2
    settings = _settings(args)  # the same database and reference data `serve` uses
    runner = _open_runner(settings)
    try:
        world = runner.world
        sources = (live_table, archive_source(runner.archive))  # archived incidents count too
        figures = stats_query(world, runner.clock.now(), start, end, sources=sources)
    finally:
        runner.store.engine.dispose()
        runner.archive.dispose()
    text = render(figures, args.format, f"After-action report: {world.deployment.name}")
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> timedelta:
    """`90s`, `30m`, `24h`, `7d` or plain seconds."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", text.lower())
    if match is None:
        raise CliError(f"--older-than {text!r} is not a duration such as 24h, 90m, 7d or 3600")
    return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2) or "s"])


def _server_answers(settings: Settings) -> bool:
    import urllib.request  # here, not at the top: `serve` never needs it (its start, docs/performance.md)

    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
    try:
        with urllib.request.urlopen(f"http://{host}:{settings.port}/healthz", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def _archive(args: argparse.Namespace) -> int:
    """Archive what ended longer ago than --older-than, now, on a stopped server's database."""
    from server.net.archiver import archive_now

    older_than = parse_duration(args.older_than)
    settings = _settings(args)
    if _server_answers(settings):
        # Its memory would still hold what this deleted underneath it: it archives on its own
        # schedule (archive_interval_s), so this is for a server that is stopped.
        raise CliError(f"a server answers on {settings.host}:{settings.port}; it archives on its own schedule "
                       f"(archive_interval_s = {settings.archive_interval_s:g}); stop it to archive by hand")  # fmt: skip
    runner = _open_runner(settings)
    try:
        try:
            totals = archive_now(runner, older_than)
        except RuntimeError as error:  # a newer archive, or the live removal refused
            raise CliError(str(error)) from None
        print(f"archived {totals.incidents} incident(s) and {totals.calls} unlinked call(s) into "
              f"{runner.archive.where}; {totals.skipped} kept live")  # fmt: skip
    finally:
        runner.store.engine.dispose()
        runner.archive.dispose()
    return 0


def protocol_schema() -> dict:
    return {
        "protocol": protocol.PROTOCOL_VERSION,
        "max_frame_bytes": protocol.MAX_FRAME_BYTES,
        "limits": {  # docs/protocol.md, "Limits"
            "max_frame_depth": protocol.MAX_FRAME_DEPTH,
            "max_command_id_chars": protocol.MAX_COMMAND_ID_CHARS,
            "max_key_chars": protocol.MAX_KEY_CHARS,
            "max_object_keys": protocol.MAX_OBJECT_KEYS,
            "invalid_frames_limit": protocol.INVALID_FRAMES_LIMIT,
            "invalid_frames_window_s": protocol.INVALID_FRAMES_WINDOW_S,
            "close_invalid_frames": protocol.CLOSE_INVALID_FRAMES,
            "login_failures_before_lockout": protocol.LOGIN_FAILURES_BEFORE_LOCKOUT,
            "login_lockout_s": protocol.LOGIN_LOCKOUT_S,
        },
        "error_codes": list(protocol.ERROR_CODES),
        "events": list(protocol.EVENT_NAMES),
        "commands": {
            name: {
                "summary": spec.summary,
                "args": spec.args.model_json_schema(),
                "result": list(spec.result),
                "system_only": spec.system_only,
                "query": spec.query,
                "control": spec.control,
                "account": spec.account,
            }
            for name, spec in protocol.COMMANDS.items()
        },
    }


def _field_type(spec: dict) -> str:
    if "anyOf" in spec:
        return " or ".join(_field_type(s) for s in spec["anyOf"] if s.get("type") != "null")
    if "enum" in spec:
        return " / ".join(f"`{v}`" for v in spec["enum"])
    if "const" in spec:
        return f"`{spec['const']}`"
    if spec.get("type") == "array":
        return f"list of {_field_type(spec.get('items', {}))}"
    if "$ref" in spec:
        return spec["$ref"].rsplit("/", 1)[-1]
    return spec.get("type", "any")


def protocol_markdown() -> str:
    """The command catalogue section of docs/protocol.md, generated from the validating models."""
    lines = ["| command | arguments (`?` optional) | result value |", "|---|---|---|"]
    for name, command in protocol_schema()["commands"].items():
        args = command["args"]
        required = set(args.get("required", []))
        fields = ", ".join(
            f"`{field}`{'' if field in required else '?'}: {_field_type(spec)}"
            for field, spec in args.get("properties", {}).items()
        )
        result = ", ".join(f"`{r}`" for r in command["result"]) or "`{}`"
        note = (" (server only)" if command["system_only"] else " (query)" if command["query"]
                else " (server control)" if command["control"] else " (own account)" if command["account"]
                else "")  # fmt: skip
        lines.append(f"| `{name}`{note} — {command['summary']} | {fields or '—'} | {result} |")
    return "\n".join(lines) + "\n"


def _protocol(args: argparse.Namespace) -> int:
    schema = protocol_schema()
    if args.markdown:
        print(protocol_markdown(), end="")
    elif args.json:
        print(json.dumps(schema, indent=2, ensure_ascii=False))
    else:
        for name, command in schema["commands"].items():
            print(f"{name:26} {command['summary']}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hurrinet-server", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=protocol.version_line("hurrinet-server"))
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="validate reference data and migrate the database")
    check.add_argument("--reference", type=Path, default=Path(os.environ.get("HURRINET_REFERENCE_DIR", DEMO)))
    check.add_argument("--database", default=os.environ.get("HURRINET_DATABASE_URL", "sqlite:///hurrinet.db"))
    check.set_defaults(run=_check)
    proto = sub.add_parser("protocol", help="print the command catalogue")
    proto.add_argument("--json", action="store_true", help="the machine-readable schema")
    proto.add_argument("--markdown", action="store_true", help="the command table of docs/protocol.md")
    proto.set_defaults(run=_protocol)
    def place(p: argparse.ArgumentParser, network: bool = False) -> None:
        p.add_argument("--config", type=Path, metavar="FILE",
                       help="settings file (TOML; keys as the options, e.g. port = 8765); else HURRINET_CONFIG")
        p.add_argument("--data-dir", type=Path, metavar="DIR",
                       help="where the SQLite database lives (default ~/.local/share/hurrinet; HURRINET_DATA_DIR)")
        p.add_argument("--database-url", metavar="URL",
                       help="SQLAlchemy URL, e.g. postgresql://… (default: hurrinet.db in the data dir)")
        if network:
            p.add_argument("--host", help="address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)")
            p.add_argument("--port", type=int, help="TCP port of the websocket at /ws (default 8765)")
            p.add_argument("--reference-dir", type=Path, metavar="DIR",
                           help="the deployment's reference files: districts, stations, units, types "
                                "(default: the Saint Lucia demo data)")  # fmt: skip

    serve_cmd = sub.add_parser("serve", help="run the server")
    place(serve_cmd, network=True)
    serve_cmd.add_argument("--no-compression", action="store_true",
                           help="do not offer permessage-deflate (saves CPU on a LAN; keep it for slow links)")
    serve_cmd.set_defaults(run=_serve)
    demo = sub.add_parser("demo", help="a fresh demo server with a simulated storm (started by `hurrinet demo`)")
    demo.add_argument("--ready-file", type=Path, required=True,
                      help="written (atomically, as JSON) once the server listens: url, token, user, role, pid, log")
    demo.add_argument("--data-dir", type=Path, help="for demo.db and demo.log (default: the data dir's demo/)")
    demo.add_argument("--config", type=Path, help="settings file (TOML); only its data_dir is used")
    demo.add_argument("--host", default="127.0.0.1", help="a loopback address (default 127.0.0.1)")
    demo.add_argument("--port", type=int, default=0, help="default 0: any free port")
    demo.add_argument("--no-simulation", action="store_true", help="no scenario: an empty board, units off duty")
    demo.add_argument("--paused", action="store_true", help="warm up, then wait for simulation.set to run")
    demo.add_argument("--seed", type=int, help="the scenario's random seed (default: a random one)")
    demo.add_argument("--pace", type=float, default=1.0, help="2 is twice as busy, 0.5 half (default 1)")
    demo.set_defaults(run=_demo)
    user = sub.add_parser("user", help="manage users: add NAME --role ROLE, list, revoke NAME")
    user.add_argument("action", choices=("add", "list", "revoke"))
    user.add_argument("name", nargs="?")
    user.add_argument("--role", default="dispatcher", choices=("dispatcher", "supervisor", "observer", "unit"))
    user.add_argument("--unit", help="the callsign a unit account is bound to (required with --role unit)")
    user.add_argument("--reference-dir", type=Path, help="deployment reference data, to check --unit")
    place(user)
    user.set_defaults(run=_user)
    audit = sub.add_parser("audit", help="print the audit log")
    audit.add_argument("--since", default="1970-01-01T00:00:00Z", help="ISO time, UTC unless given")
    place(audit)
    audit.set_defaults(run=_audit)
    report = sub.add_parser("report", help="after-action figures: --from … --to … --format md|csv|json")
    report.add_argument("--from", dest="start", help="ISO time, UTC unless given (default: the first incident)")
    report.add_argument("--to", dest="end", help="ISO time, UTC unless given (default: now)")
    report.add_argument("--format", choices=("md", "csv", "json"), default="md")
    report.add_argument("--output", type=Path, help="write here instead of stdout")
    report.add_argument("--reference-dir", type=Path, help="deployment reference data (its targets)")
    place(report)
    report.set_defaults(run=_report)
    archive = sub.add_parser("archive", help="archive incidents ended longer ago than --older-than (stopped server)")
    archive.add_argument("--older-than", default="24h", metavar="DURATION",
                         help="e.g. 24h (the default), 90m, 7d, or seconds")
    archive.add_argument("--reference-dir", type=Path, help="deployment reference data")
    place(archive, network=False)
    archive.add_argument("--port", type=int, help="the server's port, to make sure it is not running (default 8765)")
    archive.add_argument("--host", help="the server's address, to make sure it is not running (default 127.0.0.1)")
    archive.set_defaults(run=_archive)
    args = parser.parse_args(argv)
    if args.command == "user" and args.action != "list" and not args.name:
        parser.error(f"user {args.action} needs a NAME")
    if args.command == "user" and (args.role == "unit") != (args.unit is not None) and args.action == "add":
        parser.error("a unit account needs --unit CALLSIGN, and only a unit account takes one")
    try:
        return args.run(args)
    except ConfigError as error:  # a settings file a person wrote: exit 2, as argparse does
        print(f"hurrinet-server: {error}", file=sys.stderr)
        return 2
    except CliError as error:
        return _fail(args, str(error))
    except (OSError, ValueError, ImportError, sa.exc.SQLAlchemyError) as error:
        # Settings, paths and databases a person got wrong: say which, without a traceback.
        return _fail(args, _one_line(error))


def _one_line(error: BaseException) -> str:
    if isinstance(error, sa.exc.DBAPIError) and error.orig is not None:
        error = error.orig  # the driver's words, not SQLAlchemy's statement dump
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}".rstrip(": ")


def _fail(args: argparse.Namespace, message: str) -> int:
    print(f"hurrinet-server {args.command}: {message}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
