"""Write docs/schemas/*.schema.json from the contract models.

Run `python -m edge.contract.generate` after changing a model; tests fail when the
committed files differ from what this produces."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from edge.contract.bodies import BODY_MODELS
from edge.contract.envelope import EventEnvelope

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "docs" / "schemas"
BASE_URI = "https://schemas.vn-edge.invalid/events/v1/"


def render_all() -> dict[str, str]:
    out: dict[str, str] = {}
    from edge.remote.schemas import COMMAND_MODELS

    models = {"envelope": EventEnvelope, **BODY_MODELS, **COMMAND_MODELS}
    for name, model in models.items():
        schema = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"{BASE_URI}{name}.schema.json",
            **model.model_json_schema(),
        }
        out[f"{name}.schema.json"] = json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
    return out


def main() -> int:
    SCHEMA_DIR.mkdir(parents=True, exist_ok=True)
    for name, text in render_all().items():
        (SCHEMA_DIR / name).write_text(text, encoding="utf-8")
        print(f"wrote {SCHEMA_DIR / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
