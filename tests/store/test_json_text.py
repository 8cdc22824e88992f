"""JSON columns are written with orjson (speed), and read back as json.dumps would have
written them: the same values, whatever orjson itself refuses."""
from __future__ import annotations

import json

import pytest

from dashboard.store.bulk import json_text


@pytest.mark.parametrize("value", [
    {"title": "群众反映噪音扰民", "priority": 2, "location": None, "attributes": {"sent_at": 1764000000.125}},
    {1: "int keys become strings", 2.5: "so do floats"},
    {"big": 10**30, "small": -(2**70)},  # beyond orjson's 64-bit integers: json.dumps writes them
    [True, False, None, [], {}],
])
def test_json_text_reads_back_as_json_dumps_would(value):
    assert json.loads(json_text(value)) == json.loads(json.dumps(value))
