"""The ``loyaltysim ui`` subcommand (registered by :func:`register` in the main CLI).

Importing this module is cheap: Solara and the app are imported only when the command runs.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from loyaltysim.argtypes import whole_number
from loyaltysim.scenario import load_scenario
from loyaltysim.ui.access import PARAM, is_loopback, new_token
from loyaltysim.ui.config import DEFAULT_SCENARIOS, MAX_CUSTOMERS, UIConfig
from loyaltysim.ui.uploads import EXTENDS_ENV

UI_EPILOG = """\
examples:
  loyaltysim ui
      the corner pharmacy and the loyal brand side by side at http://127.0.0.1:8765/
  loyaltysim ui corner_pharmacy loyal_brand fear_culture --customers 5000
  loyaltysim ui my_town.toml --port 9000 --seed 7
  loyaltysim ui --host 0.0.0.0      (let other machines connect: a classroom; the printed
                                    address carries a token that the page then requires)
  loyaltysim ui --allow-extends ~/town_bases   (uploads may extend the files in that folder)
  loyaltysim ui --present           (for a projector: large text, thick lines, headline charts)
  loyaltysim ui --shared --host 0.0.0.0   (a class: every browser watches one simulation)
  loyaltysim ui --no-counterfactual (no dashed "without the supermarket" lines, no run for them)

Every column runs with the same seed (common random numbers). In the page: play, pause, step
and reset the weeks; move a control to re-run that column from week 0; fire the shock (a
competitor with the same items opens nearby); upload a scenario file; download the tweaked
scenario as TOML that 'loyaltysim run' accepts unchanged. Stop the server with Ctrl+C.
"""


_port = whole_number(1, 65535)
_customers = whole_number(1)
_seed = whole_number(0)


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``ui`` to the ``loyaltysim`` command's subcommands."""
    parser = subparsers.add_parser(
        "ui",
        help="start the browser app: compare scenarios live, tweak one, download it",
        description="Start the browser UI (a local Solara web server) with one column per "
        "scenario, all run with the same seed.",
        epilog=UI_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "scenarios",
        nargs="*",
        metavar="SCENARIO",
        help="shipped scenario names or .toml paths, one column each "
        f"(default: {' '.join(DEFAULT_SCENARIOS)})",
    )
    parser.add_argument("--port", type=_port, default=8765, help="port (default: 8765)")
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: 127.0.0.1, this machine only); any "
        "other address prints a warning and requires a token",
    )
    parser.add_argument(
        "--token",
        metavar="TEXT",
        help="the token the page requires (default: a random one when --host is "
        "not this machine, none otherwise)",
    )
    parser.add_argument(
        "--no-token",
        action="store_true",
        help="serve beyond this machine without a token (anyone who can reach the port can use the page)",
    )
    parser.add_argument(
        "--allow-extends",
        action="append",
        default=[],
        metavar="DIR",
        type=Path,
        help="a folder whose scenario files uploads may extend (repeatable; default: shipped scenarios only)",
    )
    parser.add_argument(
        "--customers",
        type=_customers,
        metavar="N",
        help="customers per column (default: each scenario's market.customers)",
    )
    parser.add_argument(
        "--seed", type=_seed, metavar="N", help="the common seed (default: the first scenario's market.seed)"
    )
    parser.add_argument(
        "--max-customers",
        type=_customers,
        metavar="N",
        default=MAX_CUSTOMERS,
        help="the most customers a column may run, however they are asked for "
        f"(--customers, an uploaded file, a typed value; default: "
        f"{MAX_CUSTOMERS:,})",
    )
    parser.add_argument(
        "--present",
        action="store_true",
        help="start in presentation mode: text of 18 px and more, thicker lines, "
        "the headline charts only (a switch in the page toggles it)",
    )
    parser.add_argument(
        "--shared",
        action="store_true",
        help="one simulation that every connected browser watches: the teacher "
        "drives, students' tabs follow (a click in any tab acts for all)",
    )
    parser.add_argument(
        "--no-counterfactual",
        action="store_true",
        help="start without the dashed lines of each column's run without its competitor's "
        "opening (same seed), which cost a second run after the opening (a switch in the page "
        "toggles them)",
    )
    parser.add_argument("--open", action="store_true", help="open the page in a web browser")
    parser.set_defaults(func=cmd_ui)
    return parser


def cmd_ui(args: argparse.Namespace, console=None) -> int:
    """``loyaltysim ui``: check the scenarios, then serve the app until Ctrl+C."""
    scenarios = list(args.scenarios) or list(DEFAULT_SCENARIOS)
    overrides = {} if args.customers is None else {"market.customers": args.customers}
    if args.seed is not None:
        overrides["market.seed"] = args.seed
    resolved = []
    for source in scenarios:
        scenario = load_scenario(source, overrides)  # a bad file or value stops here
        if scenario.market.customers > args.max_customers:
            print(
                f"loyaltysim: error: {source}: market.customers = "
                f"{scenario.market.customers:,} is more than --max-customers "
                f"{args.max_customers:,} allows per column; run fewer (--customers N) or "
                "raise the limit (--max-customers N).",
                file=sys.stderr,
            )
            return 2
        path = Path(source)
        resolved.append(str(path.resolve()) if path.is_file() else source)
    for folder in args.allow_extends:
        if not folder.is_dir():
            print(f"loyaltysim: error: --allow-extends {folder}: not a folder.", file=sys.stderr)
            return 2
    if args.allow_extends:
        os.environ[EXTENDS_ENV] = os.pathsep.join(str(f.resolve()) for f in args.allow_extends)
    from loyaltysim.ui.server import port_free, serve

    if not port_free(args.host, args.port):
        print(
            f"loyaltysim: error: port {args.port} on {args.host} is in use (another loyaltysim "
            "ui?); choose another with --port N.",
            file=sys.stderr,
        )
        return 1
    token = access_token(args)
    url = f"http://{args.host}:{args.port}/" + (f"?{PARAM}={token}" if token else "")
    print(
        "loyaltysim ui: preparing the simulation engine (compiled on the first run on this "
        "machine, then loaded from the cache)...",
        file=sys.stderr,
        flush=True,
    )
    from loyaltysim.model import warm_up

    warm_up()
    print(f"loyaltysim ui: {', '.join(scenarios)} at {url}  (Ctrl+C to stop)", file=sys.stderr, flush=True)
    log_changes()
    config = UIConfig(
        scenarios=tuple(resolved),
        customers=args.customers,
        seed=args.seed,
        present=args.present,
        max_customers=args.max_customers,
        shared=args.shared,
        counterfactual=not args.no_counterfactual,
    )
    return serve(config, host=args.host, port=args.port, open_browser=args.open, token=token)


def log_changes() -> None:
    """Print the session's record of each change (a control moved, a scenario chosen, a bad
    value refused) to stderr, next to the lines above; Solara's own loggers are left alone."""
    logger = logging.getLogger("loyaltysim.ui")
    if not any(getattr(h, "loyaltysim_changes", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("loyaltysim ui: %(message)s"))
        handler.loyaltysim_changes = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)


def access_token(args: argparse.Namespace) -> str | None:
    """The token the page will require (None: none), after warning about a non-local ``--host``."""
    if is_loopback(args.host):
        return args.token
    token = None if args.no_token else (args.token or new_token())
    print(
        f"loyaltysim ui: WARNING: --host {args.host} serves the page to every machine that can "
        f"reach port {args.port}: they can run simulations on this computer and upload "
        "scenarios. "
        + (
            "Anyone can: --no-token was given."
            if token is None
            else "They need the token in the address below; give it only to your audience."
        )
        + " The connection is not encrypted (docs/security.md).",
        file=sys.stderr,
        flush=True,
    )
    return token
