"""The small programs an assembled package gets for its routes (`NAME-api`) and its Streamlit app
(`NAME-app`); NAME is replaced by the distribution name."""

API_SERVER = '''"""Serve the package's FastAPI routes: `NAME-api [--host H] [--port P]`, with NAME[api]."""

from __future__ import annotations

import argparse
from typing import Any


def app() -> Any:
    """A FastAPI application with the package's router mounted."""
    from fastapi import FastAPI

    from .routes import router

    application = FastAPI(title="NAME")
    application.include_router(router)
    return application


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="NAME-api", description="Serve NAME's routes.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    try:
        import uvicorn
    except ImportError:
        raise SystemExit("NAME-api needs uvicorn: pip install 'NAME[api]'") from None
    uvicorn.run(app(), host=args.host, port=args.port)
'''

APP_LAUNCHER = '''"""Launch the package's Streamlit app: `NAME-app [streamlit options] [-- app arguments]`.

Always headless (no browser opened, no e-mail prompt) and without usage statistics, and bound to
127.0.0.1 unless --server.address says otherwise: the app is reachable from this machine only, and
Streamlit does not look up the machine's external address nor report anything anywhere.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

QUIET = ["--server.headless", "true", "--browser.gatherUsageStats", "false"]
LOCAL = ["--server.address", "127.0.0.1"]


def command(argv: list[str]) -> list[str]:
    """The `streamlit run` command line for the installed app.py and the user's arguments."""
    given = {a.split("=", 1)[0] for a in argv}
    address = [] if "--server.address" in given else LOCAL
    app = Path(__file__).with_name("app.py")
    return [sys.executable, "-m", "streamlit", "run", *QUIET, *address, str(app), *argv]


def main() -> None:
    if importlib.util.find_spec("streamlit") is None:
        raise SystemExit("NAME-app needs streamlit: pip install streamlit")
    args = command(sys.argv[1:])
    if os.name == "posix":
        os.execv(args[0], args)  # streamlit takes this process: signals and Ctrl-C reach it directly
    raise SystemExit(subprocess.call(args))
'''
