#!/usr/bin/env bash
# shipyard's task runner: ./run.sh <task> [args]. Each task makes or reuses .venv and installs
# what it needs (re-installing only when pyproject.toml changed).
set -euo pipefail
DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="$DIR/.venv"
PYTHON="${PYTHON:-python3}"

ensure_venv() {  # ensure_venv EXTRAS  (e.g. "test,lint"; "" for shipyard alone)
    local extras="$1" stamp want
    [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
    stamp="$VENV/.shipyard-installed"
    want="$(sha256sum "$DIR/pyproject.toml" | cut -c1-16) [$extras]"
    if ! grep -qxF "$want" "$stamp" 2>/dev/null; then
        echo "==> installing shipyard${extras:+ with [$extras]} into .venv"
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$DIR${extras:+[$extras]}"
        echo "$want" >> "$stamp"
    fi
}

GITLAB_CI_LOCAL="gitlab-ci-local@4.65.0"  # the last release that runs on Node 20

ensure_ci_tools() {  # what the tests of generated pipelines need: rsync, shellcheck, node, gitlab-ci-local
    local missing=() sudo=""
    command -v rsync >/dev/null || missing+=(rsync)
    command -v shellcheck >/dev/null || missing+=(shellcheck)
    command -v npm >/dev/null || missing+=(nodejs npm)
    if [ "${#missing[@]}" -gt 0 ]; then
        echo "==> apt-get install ${missing[*]}"
        [ "$(id -u)" = 0 ] || sudo="sudo"
        $sudo apt-get update -qq >/dev/null
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
    local prefix="$DIR/.ci/node"
    if ! grep -qxF "$GITLAB_CI_LOCAL" "$prefix/.installed" 2>/dev/null; then
        echo "==> npm install $GITLAB_CI_LOCAL into .ci/node"
        mkdir -p "$prefix"
        npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error --no-save "$GITLAB_CI_LOCAL" >/dev/null
        echo "$GITLAB_CI_LOCAL" > "$prefix/.installed"
    fi
}

help() {
    cat <<'TXT'
usage: ./run.sh <task>

  demo    install shipyard, release the bundled example (examples/hello-shipyard) into the
          local file index, release it again (nothing re-uploaded), release the next version
          from a feat: commit (--bump: changelog, commit, tag), install it from the index;
          then release the example packaging repository (examples/packaging-repo) and run
          an installed command from it
  test    install the test requirements and run the whole test suite (real servers, venvs, git),
          in parallel (SHIPYARD_TEST_WORKERS processes, default 4); what CI runs
  test-fast  the edit loop: every test not marked integration, in parallel (about two minutes)
  lint    ruff and mypy --strict
  docs    regenerate the reference pages and the config schema from the code (docs/gen/reference.py;
          under CI=1 only check that the committed ones are current), then build the site into site/
          with mkdocs build --strict (broken links, anchors and pages outside the nav fail)
  ci-tools  install what the generated-pipeline tests run (rsync, shellcheck, gitlab-ci-local in .ci/node)
  bench   release speed against build+twine and uv, --help start-up, upload memory
  bench-many  41 files of 2 MB published: shipyard publish and release --dists against twine and uv
  bench-real  three real sdists from PyPI (pure Python, C extension, VCS version) against build+twine
  bench-plan  `shipyard plan` on 5,000 commits and 500 tags, against semantic-release and commitizen
  bench-packrepo  start-up, assemble+build of 100 modules, plan over 1,000 packages (vs paa)
  bench-house  the source's shape (top modules, import circles, late imports, long modules, Any)
  bench-cicheck  `shipyard ci check` precision and recall on 67 real public pipeline files
  bench-docs  build the docs site, then headless Chromium opens its index and a reference page on
          127.0.0.1 and screenshots them into benchmarks/out/ (needs Debian's chromium package)
  help    this text
TXT
}

demo() {
    ensure_venv ""
    local work="$DIR/.demo" sy="$VENV/bin/shipyard"
    rm -rf "$work" && mkdir -p "$work"
    cp -r "$DIR/examples/hello-shipyard" "$work/"
    cd "$work/hello-shipyard"
    # its own repository, so the build is reproducible from its own commit time
    git init -q . && git add -A
    git -c user.name=demo -c user.email=demo@example.invalid commit -qm "hello-shipyard 1.0.0"
    echo "==> shipyard release --tag (to the local file index in $work/hello-shipyard/.shipyard/index, then tag v1.0.0)"
    "$sy" release --tag
    echo "==> shipyard release --tag, again: recognised as published and verified, nothing re-uploaded"
    "$sy" release --tag --no-test-install
    echo "==> a feature lands; shipyard plan says what the next release is, release --bump makes it"
    echo "Greets you warmly." >> README.md
    git -c user.name=demo -c user.email=demo@example.invalid commit -qam "feat: a warmer README"
    "$sy" plan
    "$sy" release --bump --no-test-install
    git --no-pager log --oneline --decorate -2
    echo "==> installing hello-shipyard from the local index alone, into a fresh venv"
    "$PYTHON" -m venv "$work/venv"
    PIP_CONFIG_FILE=/dev/null env -u PIP_FIND_LINKS -u PIP_EXTRA_INDEX_URL -u PIP_INDEX_URL \
        "$work/venv/bin/python" -m pip install --isolated --quiet --disable-pip-version-check \
        --index-url "file://$work/hello-shipyard/.shipyard/index/simple" hello-shipyard
    echo "==> running the installed command"
    "$work/venv/bin/hello-shipyard"

    echo "==> a packaging repository (examples/packaging-repo): one package per module"
    cp -r "$DIR/examples/packaging-repo" "$work/"
    cd "$work/packaging-repo"
    git init -q . && git add -A
    git -c user.name=demo -c user.email=demo@example.invalid commit -qm "three modules"
    "$sy" plan
    echo "==> shipyard release: each changed package, in dependency order, then tags and changelogs"
    "$sy" release
    "$sy" status
    echo "==> installing greetings from the local index alone, and running its command"
    PIP_CONFIG_FILE=/dev/null env -u PIP_FIND_LINKS -u PIP_EXTRA_INDEX_URL -u PIP_INDEX_URL \
        "$work/venv/bin/python" -m pip install --isolated --quiet --disable-pip-version-check \
        --index-url "file://$work/packaging-repo/.shipyard/index/simple" greetings
    "$work/venv/bin/greet" Ada --language fr
}

WORKERS="${SHIPYARD_TEST_WORKERS:-4}"  # the tests wait on servers, venvs and timeouts: more than the cores

pytest_run() {  # the suite starts `python -m shipyard` thousands of times: let them share compiled
    # bytecode, kept in .venv (never beside the sources or in a test's project), whatever the machine says
    env -u PYTHONDONTWRITEBYTECODE PYTHONPYCACHEPREFIX="$VENV/pycache" SHIPYARD_REQUIRE_SERVERS=1 \
        "$VENV/bin/python" -m pytest -n "$WORKERS" --dist worksteal "$@"
}

test() {
    ensure_venv "test,lint"
    ensure_ci_tools
    cd "$DIR"
    pytest_run "$@"
}

test-fast() {
    ensure_venv "test,lint"
    ensure_ci_tools
    cd "$DIR"
    pytest_run -m "not integration" "$@"
}

lint() {
    ensure_venv "test,lint,bench"
    cd "$DIR"
    "$VENV/bin/ruff" check .
    "$VENV/bin/ruff" format --check .
    "$VENV/bin/mypy"
}

docs() {
    ensure_venv "docs"
    cd "$DIR"
    if [ -n "${CI:-}" ]; then
        "$VENV/bin/python" docs/gen/reference.py --check
    else
        "$VENV/bin/python" docs/gen/reference.py
    fi
    NO_MKDOCS_2_WARNING=1 "$VENV/bin/mkdocs" build --strict "$@"
}

bench() {
    ensure_venv "test,bench"
    cd "$DIR"
    "$VENV/bin/python" benchmarks/bench_release.py "$@"
}

bench-many() {
    ensure_venv "test,bench"
    cd "$DIR"
    "$VENV/bin/python" benchmarks/bench_many_files.py "$@"
}

bench-real() {
    ensure_venv "test,bench"
    cd "$DIR"
    "$VENV/bin/python" benchmarks/bench_real.py "$@"
}

bench-plan() {
    ensure_venv "test,bench"
    cd "$DIR"
    "$VENV/bin/python" benchmarks/bench_plan.py "$@"
}

bench-packrepo() {
    ensure_venv "test,bench"
    cd "$DIR"
    "$VENV/bin/python" benchmarks/bench_packrepo.py "$@"
}

bench-house() {
    ensure_venv "test"
    cd "$DIR"
    "$VENV/bin/python" benchmarks/house.py "$@"
}

bench-cicheck() {
    ensure_venv "test"
    cd "$DIR"
    "$VENV/bin/python" benchmarks/ci_check_corpus.py "$@"
}

bench-docs() {
    docs
    "$VENV/bin/python" benchmarks/docs_screenshot.py "$@"
}

task="${1:-help}"
shift || true
case "$task" in
    demo|test|test-fast|lint|docs|bench|bench-many|bench-real|bench-plan|bench-packrepo|bench-house|bench-cicheck|bench-docs|help) "$task" "$@" ;;
    ci-tools) ensure_ci_tools ;;
    *) echo "unknown task '$task'" >&2; help >&2; exit 2 ;;
esac
