"""``kinerja``: the operator's command line (up, status, topics, token, serve, ...)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import urllib.request
from pathlib import Path

from kinerja import infra
from kinerja.services import DEFAULT_PORTS, PROCESS_NAMES, SERVICE_NAMES, WEB, definition
from shared.auth import Role
from shared.settings import BrokerKind


def _serve(args: argparse.Namespace) -> int:
    from shared.runtime import ComponentCrashed, run_service
    from shared.service_definition import Component

    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover - uvloop is a dependency; plain asyncio still works
        pass
    if args.service == WEB:
        from services.web.bootstrap import main as serve_web

        serve_web()
        return 0
    components = {Component(c) for c in args.components.split(",")}
    try:
        asyncio.run(run_service(definition(args.service), components))
    except ComponentCrashed as crash:
        # Logged with its traceback already; the status tells the supervisor it was no clean stop.
        print(f"kinerja serve {args.service}: {crash}", file=sys.stderr)
        return 1
    return 0


def _topics(args: argparse.Namespace) -> int:
    from shared.messaging.kafka import all_topics, ensure_topics
    from shared.settings import ServiceSettings

    bootstrap = args.bootstrap or _endpoints_from_state().kafka_bootstrap_servers
    replication = ServiceSettings().kafka_replication_factor  # KINERJA_KAFKA_REPLICATION_FACTOR
    created = asyncio.run(ensure_topics(bootstrap, replication_factor=replication))
    for name, partitions in sorted(all_topics().items()):
        mark = "created" if name in created else "exists"
        print(f"{name:40} partitions={partitions:<3} {mark}")
    return 0


def _token(args: argparse.Namespace) -> int:
    from shared.auth import mint_dev_token
    from shared.settings import ServiceSettings

    settings = ServiceSettings(data_dir=infra.default_data_dir())
    token = mint_dev_token(
        settings,
        subject=args.subject or args.employee or ",".join(args.role),
        roles=args.role,
        region_id=args.region,
        employee_id=args.employee,
        ttl_seconds=args.ttl,
    )
    print(token)
    return 0


def _roles(text: str) -> list[Role]:
    """Comma-separated role names, each one of the platform's roles (argparse type)."""
    valid = [role.value for role in Role]
    unknown = [name for name in text.split(",") if name not in valid]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown role {', '.join(unknown)}; valid roles: {', '.join(valid)}"
        )
    return [Role(name) for name in text.split(",")]


def _at_least_one(text: str) -> int:
    """A count of one or more (argparse type)."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return int(text)


def _endpoints_from_state() -> infra.Endpoints:
    mode = infra.choose_mode()
    if mode is infra.Mode.EXTERNAL:
        return infra.external_endpoints()
    state = infra.read_state(infra.default_data_dir())
    if state is None:
        raise SystemExit("nothing is running: start the platform with `make up` (or `kinerja up`)")
    return infra.Endpoints(
        mode=infra.Mode(state["mode"]),
        database_url=state["database_url"],
        database_admin_url=state.get("database_admin_url"),
        kafka_bootstrap_servers=state["kafka_bootstrap_servers"],
        redis_url=state["redis_url"],
        broker=BrokerKind(state.get("broker", BrokerKind.KAFKA)),
    )


def _status(args: argparse.Namespace) -> int:
    state = infra.read_state(infra.default_data_dir()) or {}
    print(f"mode: {state.get('mode', infra.choose_mode().value)}")
    healthy = True
    for name in PROCESS_NAMES:
        port = state.get("ports", DEFAULT_PORTS).get(name, DEFAULT_PORTS[name])
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=3) as response:
                report = json.loads(response.read())
        except Exception as exc:
            report = {"ready": False, "checks": {"api": f"unreachable ({type(exc).__name__})"}}
        healthy &= bool(report.get("ready"))
        checks = ", ".join(f"{k}={v}" for k, v in report.get("checks", {}).items())
        print(f"{name:10} http://127.0.0.1:{port}  ready={report.get('ready')}  {checks}")
    return 0 if healthy else 1


def _replay(args: argparse.Namespace) -> int:
    import os

    from kinerja.replay import TerminalProgress, replay

    os.environ.update(_endpoints_from_state().environment())
    report = asyncio.run(
        replay(
            args.service,
            swap_in=args.swap,
            region=args.region,
            progress=TerminalProgress(),
            workers=args.workers,
        )
    )
    print(report.render())
    return 0 if report.equal or args.swap else 1


def _backup(args: argparse.Namespace) -> int:
    from kinerja.backup import backup, summary

    endpoints = _endpoints_from_state()
    manifest = asyncio.run(
        backup(
            endpoints.database_admin_url or endpoints.database_url,
            Path(args.output),
            bootstrap_servers=None if args.no_offsets else endpoints.kafka_bootstrap_servers,
        )
    )
    print(json.dumps(summary(manifest), indent=2))
    return 0


def _restore(args: argparse.Namespace) -> int:
    from kinerja.backup import BackupError, restore, summary

    endpoints = _endpoints_from_state()
    try:
        manifest = asyncio.run(
            restore(
                Path(args.source),
                args.database_url or endpoints.database_admin_url or endpoints.database_url,
                bootstrap_servers=endpoints.kafka_bootstrap_servers,
                reset_offsets=args.reset_offsets,
            )
        )
    except BackupError as error:
        print(f"restore refused: {error}", file=sys.stderr)
        return 1
    print(json.dumps(summary(manifest), indent=2))
    return 0


def _up(args: argparse.Namespace) -> int:
    from kinerja.platform import run_platform

    return run_platform(demo=not args.no_demo, data_dir=infra.default_data_dir(), replicas=args.replicas)


def _add_simulate_arguments(parser: argparse.ArgumentParser) -> None:
    from kinerja import simulate

    parser.description = simulate.__doc__
    simulate.add_arguments(parser)
    parser.set_defaults(func=simulate.run)


def _add_chaos_arguments(parser: argparse.ArgumentParser) -> None:
    from kinerja.chaos import campaign

    parser.description = campaign.__doc__
    campaign.add_arguments(parser)
    parser.set_defaults(func=campaign.run)


def build_parser() -> argparse.ArgumentParser:
    """The command-line parser (each subcommand has its own --help)."""
    parser = argparse.ArgumentParser(prog="kinerja", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    up = commands.add_parser("up", help="run the whole platform (embedded infrastructure unless configured)")
    up.add_argument("--no-demo", action="store_true", help="do not load the demo regions")
    up.add_argument(
        "--replicas",
        type=_at_least_one,
        default=1,
        help="processes of each service (API, relay and consumer; one port, one consumer group)",
    )
    up.set_defaults(func=_up)

    status = commands.add_parser("status", help="show each service's readiness")
    status.set_defaults(func=_status)

    topics = commands.add_parser("topics", help="create missing topics and list them")
    topics.add_argument("--bootstrap", help="broker bootstrap servers (default: the running platform's)")
    topics.set_defaults(func=_topics)

    token = commands.add_parser("token", help="mint a signed development token for a demo user")
    token.add_argument(
        "--role",
        required=True,
        type=_roles,
        help=f"comma-separated, of: {', '.join(role.value for role in Role)}",
    )
    token.add_argument("--region", help="region id, e.g. medan")
    token.add_argument("--employee", help="employee id (for employee and rater roles)")
    token.add_argument("--subject", help="user id (defaults to the employee id or role)")
    token.add_argument("--ttl", type=int, default=8 * 3600, help="lifetime in seconds")
    token.set_defaults(func=_token)

    simulate = commands.add_parser(
        "simulate", help="stream realistic activity reports at a chosen rate (load generator)"
    )
    _add_simulate_arguments(simulate)

    chaos = commands.add_parser(
        "chaos", help="a fault campaign: load, processes killed on a seeded schedule, then checks"
    )
    _add_chaos_arguments(chaos)

    replay = commands.add_parser(
        "replay",
        help="rebuild a service's views from the topics into fresh tables and compare with the live ones",
        description=(
            "Rebuilds into <service>_rebuild, prints a table-by-table comparison and exits 1 when the "
            "views differ. With --swap the rebuild becomes live in one transaction (stop the service's "
            "consumer first); the old views are kept as <service>_before_<time>."
        ),
    )
    replay.add_argument("service", choices=[name for name in SERVICE_NAMES if name != "planning"])
    replay.add_argument("--swap", action="store_true", help="make the rebuilt views live")
    replay.add_argument("--region", help="compare only this region's rows (the rebuild is always whole)")
    replay.add_argument(
        "--workers", type=int, help="processes applying partitions, refreshing views (default: one per core)"
    )
    replay.set_defaults(func=_replay)

    backup = commands.add_parser(
        "backup",
        help="dump every service's schema (one snapshot) with its row counts and consumer offsets",
    )
    backup.add_argument("--output", required=True, help="a new directory for kinerja.dump and manifest.json")
    backup.add_argument("--no-offsets", action="store_true", help="do not ask the broker for group offsets")
    backup.set_defaults(func=_backup)

    restore = commands.add_parser(
        "restore",
        help="load a backup into a database without the services' schemas and check every table",
        description=(
            "Restores with pg_restore in one transaction, then compares each table's row count with "
            "the backup's. --reset-offsets moves each consumer group back to the backup's offsets "
            "(stop the consumers first) so they re-apply what came after it."
        ),
    )
    restore.add_argument("source", help="a directory written by `kinerja backup`")
    restore.add_argument(
        "--database-url", help="SQLAlchemy URL of the target database (default: the platform's, as owner)"
    )
    restore.add_argument("--reset-offsets", action="store_true", help="rewind the consumer groups")
    restore.set_defaults(func=_restore)

    serve = commands.add_parser("serve", help="run one service or the web process (used by `up`, containers)")
    serve.add_argument("service", choices=PROCESS_NAMES)
    serve.add_argument("--components", default="api,consumer,relay", help="any of api, consumer, relay")
    serve.set_defaults(func=_serve)

    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``kinerja`` command."""
    args = build_parser().parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
