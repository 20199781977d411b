"""podio-component: run / listen / verify / login / credentials / describe / emulator / demo /
sailor / service."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from podio_component import __version__, logs
from podio_component.context import bound, current
from podio_component.contract import descriptor
from podio_component.errors import PodioComponentError, UsageError
from podio_component.extras import require
from podio_component.json_text import dumps
from podio_component.printed_events import PrintedEvents
from podio_component.snapshot_file import SnapshotFile


def _json_arg(text: str) -> Any:
    """A JSON string, or @path to a JSON file."""
    try:
        source = Path(text[1:]).read_text(encoding="utf-8") if text.startswith("@") else text
    except OSError as exc:
        raise argparse.ArgumentTypeError(f"cannot read {text[1:]} ({exc.strerror})") from None
    try:
        return json.loads(source)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not valid JSON ({exc})") from None
    except RecursionError:
        raise argparse.ArgumentTypeError("JSON nested too deeply") from None


def _port_arg(text: str) -> int:
    if not (text.isascii() and text.isdigit() and int(text) <= 65535):
        raise argparse.ArgumentTypeError(f"expected a port number from 0 to 65535, got {text!r}")
    return int(text)


def _seed_ties_arg(text: str) -> int:
    if not (text.isascii() and text.isdigit()):
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}")
    return int(text)


def _route_arg(text: str) -> tuple[str, str]:
    public, _, local = text.partition("=")
    if not public.startswith(("http://", "https://")) or not local.startswith("http"):
        raise argparse.ArgumentTypeError(f"expected PUBLIC=LOCAL, two http(s) URLs, got {text!r}")
    return public.rstrip("/"), local.rstrip("/")


def _attach_arg(text: str) -> tuple[str, Path]:
    from podio_component.local_files import attachment_option

    try:
        return attachment_option(text)
    except PodioComponentError as exc:
        raise argparse.ArgumentTypeError(exc.message) from None


def _seed_arg(text: str) -> Any:
    return _json_arg(f"@{text}")  # its shape is checked once the emulator's extra is there


def _name_arg(text: str) -> str:
    from podio_component.credentials.names import checked_name

    try:
        return checked_name(text)
    except PodioComponentError as exc:
        raise argparse.ArgumentTypeError(exc.message) from None


def _cfg(args: argparse.Namespace) -> Any:
    """--cfg, with the credential that --credential or PODIO_CREDENTIAL names when cfg names
    none itself (cfg.secretId, cfg.credential and cfg.oauth win)."""
    cfg = args.cfg if args.cfg is not None else {}
    name = args.credential or _credential_variable()
    if name is None and args.cfg is None:
        raise UsageError(f"{args.command} needs --cfg, --credential NAME or PODIO_CREDENTIAL")
    if name is None or not isinstance(cfg, dict):
        return cfg
    named = [cfg.get("secretId"), cfg.get("credential")]
    if any(isinstance(v, str) and v.strip() for v in named) or cfg.get("oauth") is not None:
        return cfg
    return {**cfg, "credential": name}


def _credential_variable() -> str | None:
    from podio_component.credentials.names import checked_name

    name = os.environ.get("PODIO_CREDENTIAL") or None
    if name is None:
        return None
    try:
        return checked_name(name, "PODIO_CREDENTIAL")
    except PodioComponentError as exc:
        raise UsageError(exc.message) from None


def _run(args: argparse.Namespace) -> int:
    from podio_component.local_files import LocalStore

    function = descriptor.action(args.action)
    module = importlib.import_module(function["main"])
    msg = args.msg
    if msg is None:
        if function.get("type") != "polling":
            raise UsageError(f"run {args.action} needs --msg (a trigger's defaults to {{}})")
        msg = {}
    snapshot_file = SnapshotFile(args.snapshot) if args.snapshot else None  # checked first
    snapshot = snapshot_file.read() if snapshot_file else None
    given = dict(args.attach)
    if given:
        if not isinstance(msg, dict):
            raise UsageError("--attach needs a --msg object")
        msg = {
            **msg,
            "attachments": {
                **(msg.get("attachments") or {}),
                **LocalStore.message_attachments(given),
            },
        }
    store = LocalStore(given, args.attachments_dir)
    sink = PrintedEvents(snapshot_file.write if snapshot_file else None)
    with bound(replace(current(), events=sink, attachments=store)):
        output = module.process(msg, _cfg(args), snapshot)
    if output is not None:  # what process returns is emitted the same way
        print(dumps(output, ensure_ascii=False))
    return 0


def _listen(args: argparse.Namespace) -> int:
    from podio_component.listen import listen

    return listen(args.trigger, _cfg(args), args.port, args.snapshot, args.public_url)


def _verify(args: argparse.Namespace) -> int:
    from podio_component.verify_credentials import verify

    print(json.dumps(verify(_cfg(args))))
    return 0


def _login(args: argparse.Namespace) -> int:
    require("signin", "login")
    from podio_component.signin import commands

    return commands.login(args)


def _credentials(args: argparse.Namespace) -> int:
    require("signin", "credentials")
    from podio_component.signin import commands

    return commands.credentials(args)


def _positive_int_arg(text: str) -> int:
    if not (text.isascii() and text.isdigit() and 0 < int(text) < 2**63):
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}")
    return int(text)


def _timeout_arg(text: str) -> float:
    from podio_component.settings import seconds

    try:
        return seconds("--timeout", text, 1, 86_400)
    except PodioComponentError as exc:
        raise argparse.ArgumentTypeError(exc.message) from None


def _describe(args: argparse.Namespace) -> int:
    if args.app is not None:  # an app's fields, as the item actions' form shows them
        from podio_component.forms.meta_model import item_meta_model

        model = item_meta_model({**_cfg(args), "app": args.app}, {"external_id": False})
        print(json.dumps(model, indent=2, ensure_ascii=False))
        return 0
    component = descriptor.load()
    print(f"{component['title']} {component['version']}: {component['description']}")
    print("credential fields:")
    for name, field in component["credentials"]["fields"].items():
        default = f" (default {field['placeholder']})" if "placeholder" in field else ""
        print(f"  {name}: {field['label']}{default}")
    for kind in ("triggers", "actions"):
        print(f"{kind}:")
        for name, function in component.get(kind, {}).items():
            print(f"  {name}: {function['title']} ({function['main']})")
    return 0


def _emulator(args: argparse.Namespace) -> int:
    from podio_component.emulator.podio.model import FilterReading
    from podio_component.emulator.podio.seed import check_seed
    from podio_component.emulator.server import parse_fault_option, serve_forever, tie_order_seed

    try:
        faults = [parse_fault_option(text) for text in args.fault]
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    try:
        if args.seed is not None:
            check_seed(args.seed)
    except ValueError as exc:
        raise UsageError(f"--seed: {exc}") from None
    try:
        reading = FilterReading.parse(args.filter_reading or "inclusive")
    except ValueError as exc:
        raise UsageError(f"--filter-reading: {exc}") from None
    try:
        tie_seed = tie_order_seed(args.seed_ties)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    try:
        serve_forever(
            port=args.port,
            seed=args.seed,
            faults=faults,
            shell=args.env,
            reading=reading,
            tie_seed=tie_seed,
            strict_hook_ports=args.strict_hook_ports,
            hook_routes=args.route_hooks,
        )
    except OSError as exc:  # the port is taken, for example
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        raise PodioComponentError(
            f"cannot start the emulator on port {args.port}: {reason}"
        ) from None
    return 0


def _sailor(args: argparse.Namespace) -> int:
    from podio_component.runtime import sailor

    sailor.run()


def _service(args: argparse.Namespace) -> int:
    from podio_component.runtime import service

    return service.run(args.method)


def _demo(args: argparse.Namespace) -> int:
    from podio_component.demo import run_demo

    return run_demo(verbose=args.verbose)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="podio-component", description=__doc__)
    root.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = root.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run one action on one message, print the output")
    run.add_argument("action", help="trigger or action id from component.json, e.g. makeRawRequest")
    run.add_argument("--cfg", type=_json_arg, help="step cfg: JSON or @file")
    run.add_argument("--msg", type=_json_arg, help="message: JSON or @file ({} for a trigger)")
    run.add_argument(
        "--snapshot",
        type=Path,
        metavar="FILE",
        help="a trigger's snapshot: read from FILE (absent: a first run), written back",
    )
    run.add_argument(
        "--attach",
        action="append",
        default=[],
        type=_attach_arg,
        metavar="NAME=PATH",
        help="give the message an attachment from a local file (repeatable)",
    )
    run.add_argument(
        "--attachments-dir",
        type=Path,
        metavar="DIR",
        help="where emitted attachments are written, named by their paths (default: a new "
        "folder under the current one)",
    )
    _credential_option(run)
    run.set_defaults(handler=_run)

    listen = commands.add_parser(
        "listen",
        help="run a webhook trigger on this machine: play the platform's gateway on "
        "127.0.0.1, print each emitted message",
    )
    listen.add_argument("trigger", help="a webhook trigger from component.json, e.g. itemEvents")
    listen.add_argument("--cfg", type=_json_arg, help="step cfg: JSON or @file")
    listen.add_argument(
        "--port", type=_port_arg, default=0, help="the gateway's port (default: a free one)"
    )
    listen.add_argument(
        "--snapshot",
        type=Path,
        metavar="FILE",
        help="keep the flow (its id, hooks and snapshot) in FILE, so that a later listen "
        "with it adopts or removes the hooks this one leaves (default: in memory)",
    )
    listen.add_argument(
        "--public-url",
        metavar="URL",
        help="the address Podio calls instead of 127.0.0.1 (an https tunnel to the port); "
        "/hook/<flow id> is added to it",
    )
    _credential_option(listen)
    listen.set_defaults(handler=_listen)

    verify = commands.add_parser("verify", help="check a credential with one cheap call")
    verify.add_argument("--cfg", type=_json_arg, help="credential: JSON or @file")
    _credential_option(verify)
    verify.set_defaults(handler=_verify)

    _login_parser(commands)
    credentials = commands.add_parser("credentials", help="the local credential store")
    operations = credentials.add_subparsers(dest="operation", required=True)
    operations.add_parser("list", help="every stored credential, secrets masked")
    for operation, text in (("show", "one credential, secrets masked"), ("delete", "forget one")):
        operations.add_parser(operation, help=text).add_argument("name", type=_name_arg)
    credentials.set_defaults(handler=_credentials)

    describe = commands.add_parser(
        "describe", help="list triggers, actions and credential fields, or an app's fields"
    )
    describe.add_argument(
        "--app", type=_positive_int_arg, metavar="APP_ID", help="print this app's fields as schemas"
    )
    describe.add_argument("--cfg", type=_json_arg, help="credential: JSON or @file (with --app)")
    _credential_option(describe)
    describe.set_defaults(handler=_describe)

    emulator = commands.add_parser("emulator", help="run the local Podio + Secrets emulator")
    emulator.add_argument(
        "--port", type=_port_arg, default=8080, help="Podio API port (default 8080)"
    )
    emulator.add_argument("--seed", type=_seed_arg, help="seed data JSON file (default: built-in)")
    emulator.add_argument(
        "--filter-reading",
        metavar="READING",
        help="how the filter call reads created_on/last_edit_on from/to: inclusive (default) "
        "or exclusive, optionally with a zone offset in hours or on the user's clock, e.g. "
        "'exclusive,-5' or 'inclusive,user'",
    )
    emulator.add_argument(
        "--seed-ties",
        type=_seed_ties_arg,
        metavar="N",
        help="seed of the order of items that share a sort value, to replay a run "
        "(default: PODIO_EMULATOR_SEED, else a new one, printed at start)",
    )
    emulator.add_argument(
        "--strict-hook-ports",
        action="store_true",
        help="accept hook URLs on ports 80 and 443 only, as Podio does (default: any port "
        "on a loopback host too, so that `listen` can be reached)",
    )
    emulator.add_argument(
        "--route-hooks",
        action="append",
        default=[],
        type=_route_arg,
        metavar="PUBLIC=LOCAL",
        help="deliver hooks whose URL starts with PUBLIC to LOCAL instead, e.g. "
        "'https://tunnel.example=http://127.0.0.1:8700' (what a tunnel does)",
    )
    emulator.add_argument(
        "--env",
        action="store_true",
        help="print the environment as `export` lines for a shell to source (default: JSON)",
    )
    emulator.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="'METHOD PATH OUTCOME[,...]'",
        help="script the next matching requests; an outcome is a status, drop, truncate, "
        "malformed, delay:SECONDS, drip:SECONDS or pass, e.g. 'GET /item/* 503,drop,pass'",
    )
    emulator.set_defaults(handler=_emulator, extra="emulator")

    demo = commands.add_parser("demo", help="run Make Raw Request against the emulator")
    demo.add_argument("--verbose", action="store_true", help="also print each output message")
    demo.set_defaults(handler=_demo, extra="emulator")

    sailor = commands.add_parser(
        "sailor", help="the platform runtime: consume the step's queue (ELASTICIO_* settings)"
    )
    sailor.set_defaults(handler=_sailor, runtime=True, extra="runtime")

    service = commands.add_parser(
        "service", help="a platform service call: verifyCredentials, getMetaModel, selectModel"
    )
    service.add_argument("method", help="verifyCredentials, getMetaModel or selectModel")
    service.set_defaults(handler=_service, runtime=True, extra="runtime")
    return root


def _credential_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--credential",
        type=_name_arg,
        help="a credential from the local store (see login); default PODIO_CREDENTIAL; "
        "used only when cfg names no credential itself",
    )


def _login_parser(commands: Any) -> None:
    login = commands.add_parser(
        "login",
        help="sign in to Podio and keep the credential in the local store",
        description="Sign in to Podio and save the credential as NAME. Without --client-side, "
        "--app, --username or --refresh: the server-side (authorization code) flow in a "
        "browser. The client secret comes from PODIO_CLIENT_SECRET or a prompt.",
    )
    login.add_argument("name", type=_name_arg, help="the credential's name in the store")
    flow = login.add_mutually_exclusive_group()
    flow.add_argument("--client-side", action="store_true", help="client-side flow: no secret")
    flow.add_argument("--app", type=_positive_int_arg, metavar="APP_ID", help="app authentication")
    flow.add_argument("--username", metavar="MAIL", help="username and password")
    flow.add_argument("--refresh", action="store_true", help="refresh the stored credential now")
    login.add_argument("--client-id", help="the API key's client id (default PODIO_CLIENT_ID)")
    login.add_argument("--scope", help="scope to ask for, e.g. 'global:all' (Podio's default)")
    login.add_argument("--no-browser", action="store_true", help="print the address only")
    login.add_argument(
        "--redirect-uri",
        metavar="URI",
        help="registered redirect address that resolves to 127.0.0.1, "
        "e.g. http://localtest.me:8765/callback (default: 127.0.0.1, a free port)",
    )
    login.add_argument(
        "--timeout", type=_timeout_arg, metavar="S", help="how long to wait for the browser (300)"
    )
    login.add_argument(
        "--app-token-stdin", action="store_true", help="read the app token from standard input"
    )
    login.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    login.add_argument(
        "--save-client-secret",
        action="store_true",
        help="keep the client secret with the credential, so it can be refreshed later",
    )
    login.set_defaults(handler=_login)


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if not getattr(args, "runtime", False):  # the runtime logs to stdout, as the platform reads
        logs.configure()
    try:
        if getattr(args, "extra", None):
            require(args.extra, args.command)
        code: int = args.handler(args)
    except UsageError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    except PodioComponentError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        note = "; nothing was saved" if args.command == "login" else ""
        print(f"error: {args.command} interrupted{note}", file=sys.stderr)
        return 130
    return code
