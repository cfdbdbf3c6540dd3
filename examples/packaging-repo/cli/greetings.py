"""The `greetings` command."""

import argparse

from greetings import greet

__cli_metadata__ = {"name": "greet"}


def main() -> None:
    parser = argparse.ArgumentParser(prog="greet", description="Greet someone.")
    parser.add_argument("name")
    parser.add_argument("--language", default="en")
    args = parser.parse_args()
    print(greet(args.name, args.language))
