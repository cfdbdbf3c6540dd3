"""PEP 740 end to end, with real attestations: uploaded in the form field twine sends, then the
provenance the index serves verified offline against our sha256 and the expected publisher.

The dists, attestations and provenance objects are the real ones the pypi-attestations sdist ships
in test/assets/ (signed on GitHub Actions and GitLab CI, logged in Rekor), downloaded at test time;
the index that serves provenance is the stand-in of tests/helpers/provenance_standin.py (no real
one runs here), pypiserver the real index that does not.
"""

from __future__ import annotations

import importlib.metadata
import json
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from shipyard import events
from shipyard.config import repository_for_url
from shipyard.dists import Dist, Release, identify
from shipyard.index.base import Index
from shipyard.index.open import open_index
from shipyard.publish.attest import Attestations, Attester
from shipyard.publish.publish import Publishing, publish
from shipyard.tools.network import Network
from tests.helpers import provenance_standin
from tests.helpers.indexes import TestIndex
from tests.helpers.projects import Run, ShipyardCLI, make_project
from tests.helpers.realsdists import RealSdist

pytestmark = pytest.mark.integration

GITHUB_DIST = "pypi_attestations-0.0.19.tar.gz"  # provenance: trailofbits/pypi-attestations, release.yml
GITHUB = "github:trailofbits/pypi-attestations@release.yml"
GITLAB_DIST = "gitlab_oidc_project-0.0.3.tar.gz"  # attestation: facutuesca/gitlab-oidc-project
GITLAB = "gitlab:facutuesca/gitlab-oidc-project@.gitlab-ci.yml"
GITLAB_PUBLISHER = {
    "kind": "GitLab",
    "repository": "facutuesca/gitlab-oidc-project",
    "workflow_filepath": ".gitlab-ci.yml",
}


@pytest.fixture(scope="module")
def assets(real_sdist: RealSdist, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """test/assets of the pypi-attestations sdist of the version installed here."""
    version = importlib.metadata.version("pypi-attestations")
    tree = real_sdist(f"pypi-attestations=={version}", tmp_path_factory.mktemp("paa-sdist"))
    return tree / "test" / "assets"


@pytest.fixture
def standin() -> Iterator[provenance_standin.Served]:
    with provenance_standin.running(publisher=GITLAB_PUBLISHER) as state:
        yield state


def project(tmp_path: Path, url: str, simple: str, auth: str = "none") -> Path:
    tool = (
        '[tool.shipyard]\nstages = ["stage"]\n\n[tool.shipyard.repositories.stage]\n'
        f'upload-url = "{url}"\nsimple-url = "{simple}"\nauth = "{auth}"\n'
    )
    return make_project(tmp_path / "proj", "unrelated", "1.0.0", tool=tool)


def copy(assets: Path, dest: Path, *names: str) -> list[Path]:
    dest.mkdir(parents=True, exist_ok=True)
    return [Path(shutil.copy(assets / name, dest / name)) for name in names]


def one_error(run: Run, code: int = 1) -> str:
    assert run.code == code, run.text
    lines = [line for line in run.err.strip().splitlines() if line.startswith("error: ")]
    assert len(lines) == 1 and "Traceback" not in run.text, run.err
    return lines[0]


def test_attestations_beside_the_dist_go_in_the_form_and_verify_as_provenance(
    shipyard: ShipyardCLI, tmp_path: Path, assets: Path, standin: provenance_standin.Served
) -> None:
    root = project(tmp_path, standin.upload_url, standin.simple_url)
    dist, att = copy(assets, tmp_path / "dists", GITLAB_DIST, f"{GITLAB_DIST}.publish.attestation")
    run = shipyard("publish", "--to", "stage", "--attestations", str(dist), cwd=root)
    assert run.code == 0, run.text
    assert standin.problems == []
    (upload,) = standin.uploads
    assert upload.filename == GITLAB_DIST
    assert upload.attestations == [json.loads(att.read_bytes())]  # the file's object, as twine sends it
    assert len(upload.fields["attestations"]) == 1
    verified = shipyard("verify", "--on", "stage", "--no-install", "--publisher", GITLAB, str(dist), cwd=root)
    assert verified.code == 0, verified.text
    assert f"binding our sha256 to {GITLAB}, verified offline" in verified.text
    wrong = shipyard(
        "verify", "--on", "stage", "--no-install", "--publisher", GITLAB.replace(".gitlab-ci", "release"),
        str(dist), cwd=root,
    )  # fmt: skip
    assert "does not verify as published by gitlab:facutuesca/gitlab-oidc-project@release.yml" in one_error(
        wrong
    )


def test_every_attestation_of_a_bundle_is_verified(
    shipyard: ShipyardCLI, tmp_path: Path, assets: Path
) -> None:
    """A publish and a SLSA attestation of one file, in one bundle (that sdist's metadata is one
    shipyard check refuses, so it is served, not uploaded)."""
    publisher = {"kind": "GitHub", "repository": "trailofbits/pypi-attestations", "workflow": "release.yml"}
    kinds = [
        json.loads((assets / f"{GITHUB_DIST}.{k}.attestation").read_bytes()) for k in ("publish", "slsa")
    ]
    with provenance_standin.running() as standin:
        standin.add(assets / GITHUB_DIST, provenance_standin.provenance_of(kinds, publisher))
        root = project(tmp_path, standin.upload_url, standin.simple_url)
        (dist,) = copy(assets, tmp_path / "dists", GITHUB_DIST)
        run = shipyard("verify", "--on", "stage", "--no-install", "--publisher", GITHUB, str(dist), cwd=root)
        assert run.code == 0, run.text
        kinds[1] = json.loads((assets / f"{GITLAB_DIST}.publish.attestation").read_bytes())  # another file's
        standin.add(assets / GITHUB_DIST, provenance_standin.provenance_of(kinds, publisher))
        run = shipyard("verify", "--on", "stage", "--no-install", "--publisher", GITHUB, str(dist), cwd=root)
    assert f"serves a provenance for {GITHUB_DIST} that attests sha256 c1ca9b0d" in one_error(run)


def test_an_attestation_of_another_file_is_refused_before_upload(
    shipyard: ShipyardCLI, tmp_path: Path, assets: Path, standin: provenance_standin.Served
) -> None:
    root = project(tmp_path, standin.upload_url, standin.simple_url)
    (dist,) = copy(assets, tmp_path / "dists", GITLAB_DIST)
    shutil.copy(
        assets / f"{GITHUB_DIST}.publish.attestation",
        tmp_path / "dists" / f"{GITLAB_DIST}.publish.attestation",
    )
    line = one_error(shipyard("publish", "--to", "stage", "--attestations", str(dist), cwd=root), code=2)
    assert f"does not attest {GITLAB_DIST}" in line
    assert standin.uploads == [] and standin.problems == []


def test_attestations_asked_for_but_none_there_fails_and_uploads_nothing(
    shipyard: ShipyardCLI, tmp_path: Path, assets: Path, standin: provenance_standin.Served
) -> None:
    root = project(tmp_path, standin.upload_url, standin.simple_url)
    (dist,) = copy(assets, tmp_path / "dists", GITLAB_DIST)
    line = one_error(shipyard("publish", "--to", "stage", "--attestations", str(dist), cwd=root), code=2)
    assert f"no attestation for {GITLAB_DIST}" in line
    assert standin.uploads == []
    line = one_error(
        shipyard("publish", "--to", "stage", "--attestations", "--no-attest", str(dist), cwd=root), 2
    )
    assert "contradict" in line
    run = shipyard("publish", "--to", "stage", str(dist), cwd=root)  # not asked for: none needed
    assert run.code == 0, run.text
    assert [u.attestations for u in standin.uploads] == [None]


def test_an_index_refusing_attestations_fails_the_explicit_upload(
    shipyard: ShipyardCLI, tmp_path: Path, assets: Path
) -> None:
    with provenance_standin.running(takes_attestations=False) as standin:
        root = project(tmp_path, standin.upload_url, standin.simple_url)
        dist, _ = copy(assets, tmp_path / "dists", GITLAB_DIST, f"{GITLAB_DIST}.publish.attestation")
        line = one_error(shipyard("publish", "--to", "stage", "--attestations", str(dist), cwd=root))
        assert "refused" in line and "Attestations are only supported" in line
        assert standin.uploads == []


@pytest.mark.parametrize("server", ["fresh_pypiserver", "fresh_devpi_index"])
def test_real_indexes_take_the_field_and_serve_no_provenance(
    shipyard: ShipyardCLI, tmp_path: Path, assets: Path, server: str, request: pytest.FixtureRequest
) -> None:
    index: TestIndex = request.getfixturevalue(server)
    root = project(tmp_path, index.upload_url, index.simple_url, auth="required")
    dist, _ = copy(assets, tmp_path / "dists", GITLAB_DIST, f"{GITLAB_DIST}.publish.attestation")
    env = {"SHIPYARD_STAGE_USERNAME": index.username, "SHIPYARD_STAGE_PASSWORD": index.password}
    run = shipyard("publish", "--to", "stage", "--attestations", str(dist), cwd=root, env=env)
    assert run.code == 0, run.text  # pypiserver and devpi ignore the attestations field
    assert list(index.served_files("gitlab-oidc-project")) == [GITLAB_DIST]
    run = shipyard("verify", "--on", "stage", "--no-install", str(dist), cwd=root, env=env)
    assert run.code == 0, run.text
    assert "serves no PEP 740 provenance for the files: not checked" in run.text
    run = shipyard(
        "verify", "--on", "stage", "--no-install", "--require-provenance", str(dist), cwd=root, env=env
    )
    assert f"stage serves no PEP 740 provenance for {GITLAB_DIST} (--require-provenance)" in one_error(run)


@pytest.fixture
def github_standin(assets: Path) -> Iterator[provenance_standin.Served]:
    """The real provenance object PyPI served for pypi_attestations 0.0.19."""
    with provenance_standin.running() as state:
        state.add(assets / GITHUB_DIST, (assets / f"{GITHUB_DIST}.provenance").read_bytes())
        yield state


def test_served_provenance_verifies_against_the_publisher(
    shipyard: ShipyardCLI, tmp_path: Path, assets: Path, github_standin: provenance_standin.Served
) -> None:
    root = project(tmp_path, github_standin.upload_url, github_standin.simple_url)
    (dist,) = copy(assets, tmp_path / "dists", GITHUB_DIST)
    verify = ("verify", "--on", "stage", "--no-install")
    run = shipyard(*verify, "--publisher", GITHUB, "--require-provenance", str(dist), cwd=root)
    assert run.code == 0, run.text
    assert "TUF" not in run.text  # sigstore's log lines are not shipyard's output
    anyone = shipyard(*verify, str(dist), cwd=root)  # outside CI, no publisher: the one the index names
    assert anyone.code == 0 and f"to {GITHUB}, the publisher the index names" in anyone.text, anyone.text
    ci = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_REPOSITORY": "trailofbits/pypi-attestations",
        "GITHUB_WORKFLOW_REF": "trailofbits/pypi-attestations/.github/workflows/release.yml@refs/tags/v0.0.19",
    }
    assert shipyard(*verify, str(dist), cwd=root, env=ci).code == 0  # in CI: the workflow running
    other = {**ci, "GITHUB_REPOSITORY": "attacker/fork"}
    assert "as published by github:attacker/fork@release.yml" in one_error(
        shipyard(*verify, str(dist), cwd=root, env=other)
    )
    line = one_error(
        shipyard(*verify, "--publisher", GITHUB.replace("release", "nightly"), str(dist), cwd=root)
    )
    assert "does not verify as published by github:trailofbits/pypi-attestations@nightly.yml" in line


def test_provenance_of_other_bytes_fails_on_the_digest(
    shipyard: ShipyardCLI, tmp_path: Path, assets: Path
) -> None:
    """An index serving other bytes under the name, with the real file's provenance."""
    root_dists = tmp_path / "dists"
    root_dists.mkdir()
    forged = root_dists / GITHUB_DIST
    shutil.copy(assets / GITLAB_DIST, forged)  # a real sdist, under the other name
    with provenance_standin.running() as standin:
        standin.add(forged, (assets / f"{GITHUB_DIST}.provenance").read_bytes())
        root = project(tmp_path, standin.upload_url, standin.simple_url)
        run = shipyard(
            "verify", "--on", "stage", "--no-install", "--publisher", GITHUB, str(forged), cwd=root
        )
    line = one_error(run)
    assert f"serves a provenance for {GITHUB_DIST} that attests sha256 9bb1add04b1b" in line
    assert "not ours" in line


def test_require_provenance_fails_where_none_is_served(
    shipyard: ShipyardCLI, tmp_path: Path, assets: Path
) -> None:
    with provenance_standin.running() as standin:
        standin.add(assets / GITHUB_DIST)
        root = project(tmp_path, standin.upload_url, standin.simple_url)
        (dist,) = copy(assets, tmp_path / "dists", GITHUB_DIST)
        run = shipyard("verify", "--on", "stage", "--no-install", "--require-provenance", str(dist), cwd=root)
    assert one_error(run) == (
        f"error: stage serves no PEP 740 provenance for {GITHUB_DIST} (--require-provenance)"
    )


def test_publisher_of_a_bad_shape_is_a_usage_error(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    root = project(tmp_path, "http://127.0.0.1:9/legacy/", "http://127.0.0.1:9/simple/")
    line = one_error(
        shipyard("verify", "--on", "stage", "--publisher", "trailofbits/x", "--version", "1", cwd=root), 2
    )
    assert (
        "github:OWNER/REPO@WORKFLOW, gitlab:NAMESPACE/PROJECT@CI_FILE or google:SERVICE_ACCOUNT_EMAIL" in line
    )


class _AsIfSigned(Attester):
    """What signing under trusted publishing hands the upload (no Sigstore here): not strict."""

    def __init__(self, attestation: dict[str, object]) -> None:
        super().__init__(attest=True, files=False)
        self.attestation = attestation

    def for_index(self, dists: Sequence[Dist], index: Index) -> Attestations:
        return {d.filename: [self.attestation] for d in dists}


def test_an_index_refusing_signed_attestations_gets_the_file_without_them(
    tmp_path: Path, assets: Path
) -> None:
    dist, att = copy(assets, tmp_path / "dists", GITLAB_DIST, f"{GITLAB_DIST}.publish.attestation")
    said: list[events.Event] = []
    with provenance_standin.running(takes_attestations=False) as standin:
        repo = repository_for_url("stage", standin.upload_url, standin.simple_url)
        index = open_index(repo, None, Network())
        attester = _AsIfSigned(json.loads(att.read_bytes()))
        outcomes = publish(
            Release.of([identify(dist)]), index, Publishing(attester=attester), emit=said.append
        )
        assert [o.action for o in outcomes] == ["uploaded"]
        assert [u.attestations for u in standin.uploads] == [None]  # the second attempt, without
    warnings = [e.message for e in said if e.kind == "warning"]
    assert warnings == [
        f"stage refused {GITLAB_DIST}: HTTP 400 Bad Request - the index says: Attestations are only "
        "supported when using Trusted Publishing; uploading it again without its attestations"
    ]


def test_the_local_index_is_quiet_about_provenance_unless_required(
    shipyard: ShipyardCLI, tmp_path: Path
) -> None:
    root = make_project(tmp_path / "proj", "tiny-prov", "1.0.0", tool='[tool.shipyard]\nstages = ["local"]\n')
    assert shipyard("build", cwd=root).code == 0
    run = shipyard("publish", "--to", "local", "--attestations", cwd=root)
    assert (
        run.code == 0
        and run.err == "warning: local keeps no attestations: uploading the files without them\n"
    )
    run = shipyard("verify", "--on", "local", "--no-install", cwd=root)
    assert run.code == 0 and "provenance" not in run.text, run.text
    line = one_error(shipyard("verify", "--on", "local", "--no-install", "--require-provenance", cwd=root))
    assert "local serves no PEP 740 provenance for tiny_prov-1.0.0" in line


@pytest.mark.parametrize(
    ("served", "said"),
    [
        (b"<html>not json</html>", "that is not PEP 740's"),
        (b'{"version": 1, "attestation_bundles": []}', "with no attestation"),
        (b"{" * 100_000, "that is not PEP 740's"),  # nested deep
        (b" " * (1 << 20) + b"{}", "it is over 1 MiB"),
    ],
    ids=["not-json", "no-attestation", "deep", "huge"],
)
def test_a_hostile_provenance_is_one_error_line(
    shipyard: ShipyardCLI, tmp_path: Path, assets: Path, served: bytes, said: str
) -> None:
    with provenance_standin.running() as standin:
        standin.add(assets / GITHUB_DIST, served)
        root = project(tmp_path, standin.upload_url, standin.simple_url)
        (dist,) = copy(assets, tmp_path / "dists", GITHUB_DIST)
        run = shipyard("verify", "--on", "stage", "--no-install", "--timeout", "5", str(dist), cwd=root)
    assert said in one_error(run)


def test_a_publisher_named_by_the_user_requires_provenance(
    shipyard: ShipyardCLI, tmp_path: Path, assets: Path, fresh_pypiserver: TestIndex
) -> None:
    """pypiserver, a real index, serves no provenance: `--publisher X` asks who published the files,
    and no answer is no proof (issue 22, point 6); the publisher derived in CI stays lenient."""
    index = fresh_pypiserver
    root = project(tmp_path, index.upload_url, index.simple_url, auth="required")
    env = {"SHIPYARD_STAGE_USERNAME": index.username, "SHIPYARD_STAGE_PASSWORD": index.password}
    (dist,) = copy(assets, tmp_path / "dists", GITLAB_DIST)
    assert shipyard("publish", "--to", "stage", str(dist), cwd=root, env=env).code == 0
    verify = ("verify", "--on", "stage", "--no-install")
    named = shipyard(*verify, "--publisher", GITLAB, str(dist), cwd=root, env=env)
    assert one_error(named) == (
        f"error: stage serves no PEP 740 provenance for {GITLAB_DIST} (--publisher {GITLAB} needs it)"
    )
    configured = {**env, "SHIPYARD_PUBLISHER": GITLAB}  # the config key and its variable alike
    assert "(--publisher gitlab:" in one_error(shipyard(*verify, str(dist), cwd=root, env=configured))
    in_ci = {**env, "GITLAB_CI": "true", "CI_PROJECT_PATH": "facutuesca/gitlab-oidc-project"}
    derived = shipyard(*verify, str(dist), cwd=root, env=in_ci)
    assert derived.code == 0, derived.text
    assert "serves no PEP 740 provenance for the files: not checked" in derived.text


GCB_DIST = "gcb_attestation_test-0.0.0.tar.gz"  # provenance: a Google Cloud Build service account
GOOGLE = "google:919436158236-compute@developer.gserviceaccount.com"


def test_google_cloud_provenance_verifies_against_a_google_publisher(
    shipyard: ShipyardCLI, tmp_path: Path, assets: Path
) -> None:
    """PyPI accepts attestations made on Google Cloud (issue 22, point 7): the real provenance of a
    Cloud Build release, verified offline against the service account's email."""
    with provenance_standin.running() as standin:
        standin.add(assets / GCB_DIST, (assets / f"{GCB_DIST}.provenance").read_bytes())
        root = project(tmp_path, standin.upload_url, standin.simple_url)
        (dist,) = copy(assets, tmp_path / "dists", GCB_DIST)
        verify = ("verify", "--on", "stage", "--no-install")
        run = shipyard(*verify, "--publisher", GOOGLE, str(dist), cwd=root)
        assert run.code == 0, run.text
        assert f"binding our sha256 to {GOOGLE}, verified offline" in run.text
        other = "google:release@attacker.iam.gserviceaccount.com"
        line = one_error(shipyard(*verify, "--publisher", other, str(dist), cwd=root))
        assert f"does not verify as published by {other}" in line
        bad = one_error(shipyard(*verify, "--publisher", "google:nobody", str(dist), cwd=root), 2)
        assert "google:SERVICE_ACCOUNT_EMAIL, not 'google:nobody'" in bad


@pytest.mark.parametrize(
    ("dist_name", "publisher"), [(GITHUB_DIST, GITHUB), (GCB_DIST, GOOGLE)], ids=["github", "google"]
)
def test_without_a_publisher_the_one_the_index_names_is_said_and_in_json(
    shipyard: ShipyardCLI, tmp_path: Path, assets: Path, dist_name: str, publisher: str
) -> None:
    """Outside CI and with no --publisher, verify proves only the binding to the index's claim: it
    says whose claim that is (issue 21, point 16)."""
    with provenance_standin.running() as standin:
        standin.add(assets / dist_name, (assets / f"{dist_name}.provenance").read_bytes())
        root = project(tmp_path, standin.upload_url, standin.simple_url)
        (dist,) = copy(assets, tmp_path / "dists", dist_name)
        run = shipyard("verify", "--on", "stage", "--no-install", str(dist), cwd=root)
        assert run.code == 0, run.text
        assert f"its provenance is {publisher}'s (as the index names it)" in run.out
        doc = shipyard("verify", "--json", "--on", "stage", "--no-install", str(dist), cwd=root)
        assert doc.code == 0, doc.text
        assert json.loads(doc.out)["provenance"] == {"publisher": publisher, "chosen_by": "index"}
        named = shipyard(
            "verify", "--json", "--on", "stage", "--no-install", "--publisher", publisher, str(dist), cwd=root
        )
        assert json.loads(named.out)["provenance"] == {"publisher": publisher, "chosen_by": "publisher"}


def test_help_says_which_trusted_publishers_pypi_accepts(shipyard: ShipyardCLI) -> None:
    """Buildkite and CircleCI issue OIDC tokens (the id library gets them) that PyPI does not take
    yet: --help no longer lists them as trusted-publishing CIs without saying so (issue 22, point 7)."""
    run = shipyard("--help")
    text = " ".join(run.out.split())
    assert run.code == 0
    assert "PyPI and TestPyPI accept GitHub Actions, GitLab CI, Google Cloud and ActiveState" in text
    assert "not yet Buildkite or CircleCI" in text
    assert "--publisher github:..., gitlab:..., google:..." in text
    options = " ".join(shipyard("verify", "--help").out.split())
    assert "google:SERVICE_ACCOUNT_EMAIL" in options and "which makes provenance required" in options
