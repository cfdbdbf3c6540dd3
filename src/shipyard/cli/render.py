"""Library events -> terminal lines, or one JSON document for --json.

Every line printed has its control characters escaped but its line breaks (shipyard.shown): the
library escapes what a server said where it enters a message, and this is the second wall."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING

from shipyard.cli.paint import label, labels
from shipyard.events import Clock
from shipyard.shown import shown

if TYPE_CHECKING:
    from rich.progress import Progress

    from shipyard.events import Event


class Renderer:
    """Turns library events into terminal lines (or collects them for --json)."""

    def __init__(self, as_json: bool, verbose: bool) -> None:
        self.as_json = as_json
        self.verbose = verbose
        self.warnings: list[str] = []
        self._bar: Progress | None = None
        self._finished: set[str] = set()
        self._tty = sys.stderr.isatty()
        # the timed parts of a release (events.phase): "prepare" runs from here to the first one
        self.clock = Clock("prepare")

    def __call__(self, event: Event) -> None:
        from shipyard.secrets import redact

        if event.kind == "phase":
            self.clock.mark(event)
            return
        message = redact(event.message)
        if event.kind == "warning":
            self.warnings.append(message)
        if self.as_json:
            return
        if event.kind == "progress":
            done, total = event.data["done"], event.data["total"]
            assert isinstance(done, int) and isinstance(total, int)
            self._progress(message, done, total)
            return
        self.close()  # a line (a retry's, say) ends the bar where it stands, rather than cutting into it
        message = shown(message, keep="\n\t")
        if event.kind == "step":
            print(f"==> {message}", flush=True)
        elif event.kind == "warning":
            print(label("warning", sys.stderr), message, file=sys.stderr, flush=True)
        else:
            print(f"    {message}", flush=True)

    def _progress(self, name: str, done: int, total: int) -> None:
        if not self._tty or name in self._finished:
            return
        if self._bar is None:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                Progress,
                TimeRemainingColumn,
                TransferSpeedColumn,
            )

            # twine's columns; on stderr, where the test for a terminal looked, and kept once done
            # (a log shows 100% and the time it took), so stdout stays the lines a file or pipe wants
            self._bar = Progress(
                "    [progress.percentage]{task.percentage:>3.0f}%",
                BarColumn(),
                DownloadColumn(),
                "•",
                TimeRemainingColumn(compact=True, elapsed_when_finished=True),
                "•",
                TransferSpeedColumn(),
                console=Console(file=sys.stderr),
                redirect_stdout=False,
                redirect_stderr=False,
            )
            self._bar.start()
            self._task = self._bar.add_task(name, total=total)
        self._bar.update(self._task, completed=done)
        if done >= total:
            self._finished.add(name)  # the encoder reports the end more than once
            self.close()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def result(self, command: str, data: Mapping[str, object], summary: str) -> None:
        from shipyard.secrets import redact, redact_data

        self.close()
        durations = self.clock.stop()
        if self.as_json:
            timed = {"durations": durations} if durations else {}
            doc = {"ok": True, "command": command, **data, **timed, "warnings": self.warnings}
            print(json.dumps(redact_data(doc), indent=2))  # values redacted, then serialized
        else:
            print(labels(shown(redact(summary), keep="\n\t"), sys.stdout))  # doctor's findings
