"""Run the example end to end on the embedded default: no MySQL, no credentials, no network.

    bash .ci/setup && .venv/bin/python example/demo.py [extra CLI options, e.g. --limit 0]

It builds a SQLite copy of schema/'s sample database (out/demo/global.db), starts the local
ComboCurve emulator on a free port of 127.0.0.1, writes a project beside it that reads that
file with example/'s own queries, and runs the real CLI against it.
"""

import importlib.util
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.__main__ import main  # noqa: E402
from core.emulator import DEFAULT_API_KEY, DEFAULT_TOKEN, Emulator  # noqa: E402

CONFIG = """\
# Written by example/demo.py: example/'s queries over a SQLite copy of the sample database.
[connection]
type = "sqlite"

[sqlite]
database = ":memory:"
attach = {{ global = "{database}" }}

[combocurve]
base_url = "{base_url}"
api_key = "{api_key}"
token = "{token}"
"""


def build_database(target: Path) -> None:
    spec = importlib.util.spec_from_file_location("schema_load", ROOT / "schema" / "load.py")
    loader = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loader)
    counts = loader.load(f"sqlite:///{target}")
    print(f"demo: sample database {target}: " +
          ", ".join(f"{table} {rows} rows" for table, rows in counts.items()))


def main_demo(argv: list[str]) -> int:
    out = ROOT / "out" / "demo"
    project = out / "project"
    shutil.rmtree(out, ignore_errors=True)
    project.mkdir(parents=True)
    build_database(out / "global.db")
    shutil.copytree(ROOT / "example" / "resources", project / "resources")
    with Emulator() as emulator:
        (project / "combocurve.toml").write_text(CONFIG.format(
            database=(out / "global.db").as_posix(), base_url=emulator.base_url,
            api_key=DEFAULT_API_KEY, token=DEFAULT_TOKEN), encoding="utf-8")
        print(f"demo: ComboCurve emulator at {emulator.base_url}; project {project}")
        code = main([str(project), "--report", str(out / "report.json"), *argv])
        held = {"wells": emulator.wells(), "daily productions": emulator.daily_productions(),
                "monthly productions": emulator.monthly_productions(),
                "directional surveys": emulator.directional_surveys(),
                "ownership qualifiers": emulator.ownership_qualifiers()}
        print("demo: the emulator now holds " +
              ", ".join(f"{len(records)} {name}" for name, records in held.items()) +
              f"; report {out}/report.json")
    return code


if __name__ == "__main__":
    raise SystemExit(main_demo(sys.argv[1:]))
