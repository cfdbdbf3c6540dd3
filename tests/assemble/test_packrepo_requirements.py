"""packrepo.requirements: a module's requirements from its AST, hints from its real comments."""

from __future__ import annotations

import textwrap
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path

import pytest

from shipyard.assemble import imports as requirements
from shipyard.assemble.imports import MAPPING_HINT, Imports, Requirement, RequirementError, scan
from shipyard.assemble.known import KNOWN
from shipyard.errors import EXIT_USAGE, UsageError


def run(
    tmp_path: Path,
    source: str,
    *,
    components: Collection[str] = (),
    local_names: Collection[str] = (),
    mapping: Mapping[str, str] | None = None,
) -> Imports:
    path = tmp_path / "mod.py"
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return scan(path, components=components, local_names=local_names, mapping=mapping)


def strs(reqs: Iterable[Requirement]) -> list[str]:
    return [str(r) for r in reqs]


def test_every_import_form_is_found(tmp_path: Path) -> None:
    found = run(
        tmp_path,
        """
        from __future__ import annotations
        from typing import TYPE_CHECKING
        import yaml
        import jwt, dateutil.parser
        import sklearn.linear_model as lm
        from PIL import Image
        from . import sibling
        from .helpers import thing

        if TYPE_CHECKING:
            from bs4 import BeautifulSoup

        def load():
            import cv2
            return cv2

        class Tool:
            from pptx import Presentation
        """,
    )
    assert strs(found.required) == [
        "beautifulsoup4",
        "opencv-python",
        "Pillow",
        "PyJWT",
        "python-dateutil",
        "python-pptx",
        "PyYAML",
        "scikit-learn",
    ]
    assert found.optional == () and found.local == ()
    assert {r.name: r.line for r in found.required}["opencv-python"] == 15


def test_multiline_from_import_and_its_hint_on_a_continuation_line(tmp_path: Path) -> None:
    found = run(tmp_path, "from yaml import (\n    safe_load,\n    dump,  #>=6\n)\n")
    assert strs(found.required) == ["PyYAML>=6"]


def test_guarded_imports_are_optional(tmp_path: Path) -> None:
    found = run(
        tmp_path,
        """
        try:
            import yaml
        except ImportError:
            yaml = None
        try:
            import cv2
        except (AttributeError, ModuleNotFoundError):
            pass
        try:
            import jwt
        except:
            pass
        try:
            import ujson as json
        except ImportError:
            import simplejson as json
        try:
            import attr
        except Exception:
            attr = None
        try:
            import bs4
        except ValueError:
            pass
        try:
            def later():
                import pptx
        except ImportError:
            pass
        """,
    )
    assert strs(found.optional) == ["attrs", "opencv-python", "PyJWT", "PyYAML", "ujson"]
    assert strs(found.required) == ["beautifulsoup4", "python-pptx", "simplejson"]


def test_standard_library_is_dropped(tmp_path: Path) -> None:
    found = run(
        tmp_path,
        """
        from __future__ import annotations
        import os, os.path, sys, json
        from collections.abc import Mapping
        import tomllib
        from typing import TYPE_CHECKING
        if TYPE_CHECKING:
            from _typeshed import StrPath
        """,
    )
    assert found == Imports((), (), ())


def test_components_are_local_not_requirements(tmp_path: Path) -> None:
    found = run(
        tmp_path,
        """
        from components.helpers import tidy
        import components.db.pool
        from components import cache, log
        import utils
        import components
        """,
        components=["utils"],
    )
    assert found.local == ("cache", "db", "helpers", "log", "utils")
    assert found.required == () and found.optional == ()


@pytest.mark.parametrize(
    ("line", "dist"),
    [
        ("import cv2", "opencv-python"),
        ("import yaml", "PyYAML"),
        ("from PIL import Image", "Pillow"),
        ("from sklearn.ensemble import RandomForestClassifier", "scikit-learn"),
        ("from dateutil import parser", "python-dateutil"),
        ("import jwt", "PyJWT"),
        ("from bs4 import BeautifulSoup", "beautifulsoup4"),
        ("from google.protobuf import message", "protobuf"),
        ("import google.protobuf.json_format", "protobuf"),
        ("from google.cloud import storage", "google-cloud-storage"),
        ("import google.auth", "google-auth"),
        ("import psycopg2", "psycopg2"),
        ("import attr", "attrs"),
    ],
)
def test_known_mismatches(tmp_path: Path, line: str, dist: str) -> None:
    (req,) = run(tmp_path, line + "\n").required
    assert req.name == dist
    assert KNOWN[req.import_name] == dist


def test_unknown_google_namespace_package_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(RequirementError, match=r"mod\.py:2: cannot tell .* 'google\.nonsense'"):
        run(tmp_path, "import os\nimport google.nonsense\n")
    with pytest.raises(RequirementError, match=r"'google'"):
        run(tmp_path, "import google\n")


def test_what_is_installed_beside_shipyard_never_decides(tmp_path: Path) -> None:
    """iniconfig and more-itertools are installed here (pytest needs them), but that says nothing
    about the project's requirements: an import no table knows is an error naming file and line."""
    for line in ("import iniconfig\n", "from more_itertools import chunked\n"):
        with pytest.raises(RequirementError, match=r"mod\.py:1: cannot tell which distribution"):
            run(tmp_path, line)


def test_same_name_rule_and_lenient_scan(tmp_path: Path) -> None:
    """package-auto-assembler installs an unmapped import by its own name; a lenient scan (planning)
    records what it cannot tell instead of raising, so that it blocks only its own package."""
    path = tmp_path / "mod.py"
    path.write_text("import iniconfig\nimport nest_asyncio  #>=1.5\nimport google.nonsense\n")
    paa_rules = requirements.Rules(same_name=True, lenient=True)
    found = scan(path, rules=paa_rules)
    assert strs(found.required) == ["iniconfig", "nest_asyncio>=1.5"]
    assert [p.split(": ", 1)[0] for p in found.problems] == [f"{path}:3"]


def test_mapping_beats_known_and_local_names(tmp_path: Path) -> None:
    source = "import cv2\nimport my_sibling\nimport other_sibling\nimport inhouse.tools\n"
    mapping = {"cv2": "opencv-python-headless", "other_sibling": "acme-other", "inhouse": "acme-inhouse"}
    found = run(tmp_path, source, local_names=["my_sibling", "other_sibling"], mapping=mapping)
    assert strs(found.required) == ["acme-inhouse", "acme-other", "my-sibling", "opencv-python-headless"]


def test_dotted_mapping_keys_win_over_shorter_ones(tmp_path: Path) -> None:
    mapping = {"acme": "acme-core", "acme.extra": "acme-extra"}
    found = run(tmp_path, "import acme.extra.deep\nimport acme.other\n", mapping=mapping)
    assert strs(found.required) == ["acme-core", "acme-extra"]


def test_specifier_hints(tmp_path: Path) -> None:
    found = run(
        tmp_path,
        """
        import requests #>=2.20
        import yaml  # >=6, <7
        import jwt  #~=2.0  # noqa: F401
        import cv2  #!=4.9.0
        import attr  # noqa: F401
        """,
    )
    assert strs(found.required) == [
        "attrs",
        "opencv-python!=4.9.0",
        "PyJWT~=2.0",
        "PyYAML<7,>=6",
        "requests>=2.20",
    ]


def test_optional_hints(tmp_path: Path) -> None:
    found = run(
        tmp_path,
        """
        #!/usr/bin/env python
        import requests  #!
        import yaml  #!>=6
        #! import rich #>=13
        #! from typer import Typer
        #! import jwt, bs4
        """,
    )
    assert strs(found.optional) == ["beautifulsoup4", "PyJWT", "PyYAML>=6", "requests", "rich>=13", "typer"]
    assert found.required == ()
    assert {r.name: r.line for r in found.optional}["rich"] == 5


def test_manual_requirement_lines(tmp_path: Path) -> None:
    found = run(
        tmp_path,
        """
        #@ click>=8.0
        #@ uvicorn[standard]
        #!@ rich>=13
        #! #@ httpx
        x = 1  #@ tqdm
        """,
    )
    assert strs(found.required) == ["click>=8.0", "tqdm", "uvicorn[standard]"]
    assert strs(found.optional) == ["httpx", "rich>=13"]
    assert found.required[0] == Requirement("click", ">=8.0", False, "", 2)


def test_skip_hint_drops_the_import_even_an_unknown_one(tmp_path: Path) -> None:
    found = run(tmp_path, "import not_a_real_thing_xyz  #-\nimport yaml  #- vendored\nimport jwt\n")
    assert strs(found.required) == ["PyJWT"]


def test_hash_inside_a_string_is_not_a_hint(tmp_path: Path) -> None:
    found = run(
        tmp_path, 'import yaml; x = "#>=9"\nimport jwt; y = "#-"\nz = "#@ click"\nw = "#! import rich"\n'
    )
    assert strs(found.required) == ["PyJWT", "PyYAML"]
    assert found.optional == ()


def test_invalid_specifier_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(RequirementError, match=r"mod\.py:3: '#>=two' is not a version specifier"):
        run(tmp_path, "import os\n\nimport yaml  #>=two\n")


def test_invalid_manual_and_commented_lines(tmp_path: Path) -> None:
    with pytest.raises(RequirementError, match=r"mod\.py:2: '#@ click>=>8' is not a requirement"):
        run(tmp_path, "import os\n#@ click>=>8\n")
    with pytest.raises(RequirementError, match=r"mod\.py:1: .*markers"):
        run(tmp_path, "#@ tomli; python_version < '3.11'\n")
    with pytest.raises(RequirementError, match=r"mod\.py:1: '#! from here on' is not an import"):
        run(tmp_path, "#! from here on\n")


def test_syntax_error_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(RequirementError, match=r"mod\.py:2: does not parse: ") as caught:
        run(tmp_path, "import os\ndef broken(:\n")
    assert isinstance(caught.value, UsageError) and caught.value.exit_code == EXIT_USAGE


def test_unknown_import_names_the_line_and_the_mapping_file(tmp_path: Path) -> None:
    with pytest.raises(RequirementError) as caught:
        run(tmp_path, "import os\n\ndef f():\n    from mystery_pkg.sub import thing\n")
    message = str(caught.value)
    assert message.startswith(
        f"{tmp_path / 'mod.py'}:4: cannot tell which distribution provides 'mystery_pkg'"
    )
    assert MAPPING_HINT in message and "#-" in message


def test_dedupe_required_beats_optional_and_specifiers_join(tmp_path: Path) -> None:
    found = run(
        tmp_path,
        """
        try:
            import yaml  #>=5
        except ImportError:
            pass
        from yaml import safe_load  #>=5
        import yaml.constructor  #<7
        import PIL
        from PIL import Image
        #@ pillow>=10
        #! import rich
        import rich
        #! import jwt
        try:
            import jwt  #>=2
        except ImportError:
            pass
        """,
    )
    assert strs(found.required) == ["Pillow>=10", "PyYAML>=5,<7", "rich"]
    assert strs(found.optional) == ["PyJWT>=2"]
    yaml = found.required[1]
    assert (yaml.line, yaml.optional, yaml.import_name) == (6, False, "yaml")


def test_output_sorted_by_normalized_name(tmp_path: Path) -> None:
    found = run(tmp_path, "import yaml\nimport zmq\nimport attr\nimport PIL\nimport bs4\nimport dateutil\n")
    assert strs(found.required) == ["attrs", "beautifulsoup4", "Pillow", "python-dateutil", "PyYAML", "pyzmq"]


def test_source_argument_is_used_instead_of_the_file(tmp_path: Path) -> None:
    found = scan(tmp_path / "never-written.py", "import yaml\n")
    assert strs(found.required) == ["PyYAML"]
    with pytest.raises(RequirementError, match=r"never-written\.py:0: cannot read"):
        scan(tmp_path / "never-written.py")


def test_requirement_str() -> None:
    assert str(Requirement("requests", ">=2.20")) == "requests>=2.20"
    assert str(Requirement("uvicorn", extras=("standard",))) == "uvicorn[standard]"


def test_hint_markers_quoted_in_an_ordinary_comment_are_ignored(tmp_path: Path) -> None:
    found = run(
        tmp_path, "import yaml  # see `#@ name[x]` and #>=oops in the docs\n# write #! from here on\n"
    )
    assert strs(found.required) == ["PyYAML"] and found.optional == ()
