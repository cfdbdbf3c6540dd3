"""After every stage verified and the tag is on the remote: the forge's release for that tag, with the
release notes, when shipyard runs in that forge's CI (GitHub Actions, GitLab CI).

GitHub: the REST API (`POST /repos/{owner}/{repo}/releases`, GITHUB_TOKEN, which needs
`contents: write`). GitLab: the Releases API (`POST /projects/:id/releases`, with GITLAB_TOKEN as
`PRIVATE-TOKEN` if set, else the job's own CI_JOB_TOKEN as `JOB-TOKEN`). A release that exists
for the tag is left alone: it may carry what a person wrote since. The packages are already
published when this runs, so every failure here is a warning, never a failed release. The token
goes only to the API named by the CI (https, or loopback for a stand-in), never through a
redirect, and never into output: it is a `Secret`, and every message is redacted.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote, urlsplit

import requests
from packaging.version import InvalidVersion, Version

from shipyard import events
from shipyard.index.remote import FLOOR
from shipyard.index.transport import CA_VARIABLES, Watched, clear_text_proxy, proxies, shown_reason
from shipyard.secrets import Secret, redact
from shipyard.shown import shown
from shipyard.tools import deadline

Action = Literal["created", "exists", "failed"]
TIMEOUT = (10.0, 30.0)  # connect, read: a slow forge must not hold a finished release for long
_LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
_GITHUB_REPOSITORY = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")


@dataclass(frozen=True)
class Tagged:
    """One tag to make a forge release for: its title and its body (the release notes)."""

    tag: str
    name: str
    version: str
    body: str


@dataclass(frozen=True)
class ForgeRelease:
    forge: str  # "GitHub" or "GitLab"
    tag: str
    action: Action
    url: str | None = None

    def as_json(self) -> dict[str, object]:
        return {"forge": self.forge, "tag": self.tag, "action": self.action, "url": self.url}


class _Failed(Exception):
    """Why the forge release was not made (the message names the forge and the tag)."""


def body(notes: Mapping[str, Sequence[str]], seen: str | None) -> str:
    """The release notes as Markdown, then where the release can be seen."""
    lines: list[str] = []
    for heading, items in notes.items():
        lines += [f"### {heading}", "", *(f"- {n}" for n in items), ""]
    if seen:
        lines.append(f"Published: {seen}")
    return "\n".join(lines).strip()


class _Forge:
    name = ""

    def __init__(self, api: str, token: Secret, environ: Mapping[str, str]) -> None:
        self.api = api.rstrip("/")
        self.token = token
        self.session = requests.Session()
        self.session.trust_env = False  # no ~/.netrc credential to the forge; proxies and CAs below
        self.session.proxies.update(proxies(self.api))
        for prefix in ("http://", "https://"):
            self.session.mount(prefix, Watched())  # a forge trickling bytes meets the deadline (release)
        self.session.hooks["response"].append(shown_reason)  # its words reach a terminal: escaped
        cas = [environ[n] for n in (*CA_VARIABLES, "CI_SERVER_TLS_CA_FILE") if environ.get(n)]
        self.session.verify = cas[0] if cas else True

    def headers(self) -> dict[str, str]:
        raise NotImplementedError

    def call(self, method: str, path: str, payload: Mapping[str, object] | None = None) -> requests.Response:
        url = f"{self.api}{path}"
        try:
            with deadline.guarded(f"{self.name}'s answer to {method} {url}"):
                resp = self.session.request(
                    method, url, json=payload, headers=self.headers(), timeout=TIMEOUT, allow_redirects=False
                )
        except deadline.Expired:
            limit = (deadline.current() or deadline.Deadline(0, "its deadline")).what
            raise _Failed(
                f"{self.name}'s answer to {method} {url} was cut off by its deadline ({limit}): "
                "it sends too slowly or without end"
            ) from None
        except requests.RequestException as exc:
            raise _Failed(f"{self.name} could not be reached at {self.api} ({type(exc).__name__})") from None
        if resp.is_redirect:
            raise _Failed(f"{self.name} redirects {url} (HTTP {resp.status_code}): the token is not sent on")
        return resp

    def failure(self, resp: requests.Response, doing: str) -> _Failed:
        try:
            said = resp.json().get("message") or ""
        except (ValueError, AttributeError):
            said = ""
        detail = f": {shown(str(said)[:200])}" if said else ""
        return _Failed(f"{self.name} refused to {doing} (HTTP {resp.status_code} {resp.reason}{detail})")

    # what differs between the forges: where a tag's release is, the body of a new one, its page
    releases = ""  # the path of the releases collection

    def one(self, tag: str) -> str:
        raise NotImplementedError

    def payload(self, tagged: Tagged) -> dict[str, object]:
        raise NotImplementedError

    def page(self, resp: requests.Response) -> str | None:
        raise NotImplementedError

    def lost_race(self, resp: requests.Response) -> bool:
        """Whether a create was refused because another job made the release since we looked."""
        raise NotImplementedError

    def release(self, tagged: Tagged) -> ForgeRelease:
        """The release of `tagged`: found and left alone, else created."""
        found = self.call("GET", self.one(tagged.tag))
        if found.status_code == 200:
            return ForgeRelease(self.name, tagged.tag, "exists", self.page(found))
        if found.status_code != 404:
            raise self.failure(found, f"read the release of {tagged.tag}")
        made = self.call("POST", self.releases, self.payload(tagged))
        if made.status_code == 201:
            return ForgeRelease(self.name, tagged.tag, "created", self.page(made))
        if self.lost_race(made):
            return ForgeRelease(self.name, tagged.tag, "exists")
        raise self.failure(made, f"create the release of {tagged.tag}")


class _GitHub(_Forge):
    """GitHub's REST API, as documented: a bearer token, its media type and API version."""

    name = "GitHub"

    def __init__(self, api: str, token: Secret, environ: Mapping[str, str], repository: str) -> None:
        super().__init__(api, token, environ)
        self.releases = f"/repos/{repository}/releases"

    def headers(self) -> dict[str, str]:
        return {
            "Accept": "application/vnd.github+json",
            "Authorization": f"Bearer {self.token.reveal()}",
            "X-GitHub-Api-Version": "2022-11-28",
        }

    def one(self, tag: str) -> str:
        return f"{self.releases}/tags/{quote(tag, safe='')}"

    def payload(self, tagged: Tagged) -> dict[str, object]:
        return {
            "tag_name": tagged.tag,
            "name": f"{tagged.name} {tagged.version}",
            "body": tagged.body,
            "prerelease": _pre(tagged.version),
        }

    def page(self, resp: requests.Response) -> str | None:
        return _json_str(resp, "html_url")

    def lost_race(self, resp: requests.Response) -> bool:
        # 422 Validation Failed, with the error code already_exists (422 also means other mistakes)
        try:
            errors = resp.json().get("errors") or []
        except (ValueError, AttributeError):
            return False
        return resp.status_code == 422 and any(
            isinstance(e, dict) and e.get("code") == "already_exists" for e in errors
        )


class _GitLab(_Forge):
    """GitLab's Releases API: a personal, project or group token, else the job's own token."""

    name = "GitLab"

    def __init__(self, api: str, token: Secret, environ: Mapping[str, str], project: str, job: bool) -> None:
        super().__init__(api, token, environ)
        self.releases = f"/projects/{quote(project, safe='')}/releases"  # an id, or a URL-encoded path
        self.job_token = job

    def headers(self) -> dict[str, str]:
        return {("JOB-TOKEN" if self.job_token else "PRIVATE-TOKEN"): self.token.reveal()}

    def one(self, tag: str) -> str:
        return f"{self.releases}/{quote(tag, safe='')}"

    def payload(self, tagged: Tagged) -> dict[str, object]:
        return {"tag_name": tagged.tag, "name": f"{tagged.name} {tagged.version}", "description": tagged.body}

    def page(self, resp: requests.Response) -> str | None:
        return _json_str(resp, "_links", "self")

    def lost_race(self, resp: requests.Response) -> bool:
        return resp.status_code == 409  # "Release already exists"


def _json_str(resp: requests.Response, *keys: str) -> str | None:
    """The string at `keys` in a JSON answer; None where the answer has none."""
    value: object
    try:
        value = resp.json()
    except ValueError:
        return None
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return shown(value) if isinstance(value, str) else None  # a page URL the forge names, shown


def _pre(version: str) -> bool:
    try:
        return Version(version).is_prerelease
    except InvalidVersion:
        return False


def _api_url(variable: str, url: str) -> str:
    """`url` if the token may go there: https, or plain http to this machine (a stand-in)."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and (parts.hostname or "") in _LOOPBACK:
        if proxy := clear_text_proxy(url):  # the same refusal as an index's credential gets
            raise _Failed(
                f"{variable} is {url!r}: the token would pass the proxy {proxy} in clear text, so it "
                "is not sent (use https, or add the host to NO_PROXY)"
            )
        return url
    raise _Failed(f"{variable} is {url!r}: the token goes only to an https URL (or to this machine)")


def _forge(environ: Mapping[str, str]) -> _Forge | None:
    """The forge whose CI this is, ready to call; None outside GitHub Actions and GitLab CI."""
    if environ.get("GITHUB_ACTIONS") == "true":
        token = environ.get("GITHUB_TOKEN", "")
        repository = environ.get("GITHUB_REPOSITORY", "")
        if not token:
            raise _Failed(
                "GITHUB_TOKEN is not set: give the step GITHUB_TOKEN: ${{ github.token }} (its job needs "
                "permissions: contents: write), or set forge-release = false"
            )
        if not _GITHUB_REPOSITORY.fullmatch(repository):
            raise _Failed(f"GITHUB_REPOSITORY is {repository!r}, not OWNER/REPO")
        api = _api_url("GITHUB_API_URL", environ.get("GITHUB_API_URL") or "https://api.github.com")
        return _GitHub(api, Secret(token), environ, repository)
    if environ.get("GITLAB_CI") == "true":
        private, job = environ.get("GITLAB_TOKEN", ""), environ.get("CI_JOB_TOKEN", "")
        project = environ.get("CI_PROJECT_ID", "")
        if not (private or job):
            raise _Failed("neither GITLAB_TOKEN nor CI_JOB_TOKEN is set")
        if not project:
            raise _Failed("CI_PROJECT_ID is not set")
        api = _api_url("CI_API_V4_URL", environ.get("CI_API_V4_URL") or "https://gitlab.com/api/v4")
        return _GitLab(api, Secret(private or job), environ, project, job=not private)
    return None


def make_releases(
    tags: Sequence[Tagged],
    environ: Mapping[str, str],
    emit: events.Emit,
    *,
    on_remote: bool,
    budget: float = 60.0,
) -> list[ForgeRelease]:
    """The forge release of each tag (those that exist are left alone); nothing outside its CI.
    `on_remote`: the tags are on the forge (pushed now, or there before): a forge makes a tag it
    does not know from its default branch, which would be another commit than the release's.
    `budget`: retry-timeout; the calls for one tag end within it (FLOOR at least), as an index read does."""
    github, gitlab = environ.get("GITHUB_ACTIONS") == "true", environ.get("GITLAB_CI") == "true"
    if not tags or not (github or gitlab):
        return []
    names = ", ".join(t.tag for t in tags)
    forge_name = "GitHub" if github else "GitLab"
    if not on_remote:
        events.info(emit, f"no {forge_name} release: {names} not pushed (release --push pushes it)")
        return []
    done: list[ForgeRelease] = []
    try:
        forge = _forge(environ)
        assert forge is not None
    except _Failed as exc:
        events.warning(emit, _failed(forge_name, names, str(exc)))
        return [ForgeRelease(forge_name, t.tag, "failed") for t in tags]
    for tagged in tags:
        events.step(emit, f"making the {forge.name} release of {tagged.tag}")
        # the notes are commit subjects: a token pasted into one (this job's too) is not published
        tagged = dataclasses.replace(tagged, body=redact(tagged.body))
        try:
            with deadline.within(max(budget, FLOOR), f"--retry-timeout {budget:g} s, at least {FLOOR:g} s"):
                made = forge.release(tagged)
        except _Failed as exc:
            events.warning(emit, _failed(forge.name, tagged.tag, str(exc)))
            done.append(ForgeRelease(forge.name, tagged.tag, "failed"))
            continue
        where = f" ({made.url})" if made.url else ""
        if made.action == "created":
            events.info(emit, f"made the {forge.name} release of {tagged.tag}{where}")
        else:
            events.info(emit, f"{forge.name} already has a release of {tagged.tag}{where}: left alone")
        done.append(made)
    return done


def _failed(forge: str, tags: str, why: str) -> str:
    return f"no {forge} release of {tags}: {why}; the release itself is published and recorded"
