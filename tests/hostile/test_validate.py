"""Every file of the hostile-input corpus either validates (accounting holds, no personnummer in the
findings) or is refused with an InputError (exit 2) — never an unexpected exception."""

from __future__ import annotations

import datetime as dt

import pytest

from nhvmetrics.errors import InputError
from nhvmetrics.personnummer import find_personnummer
from nhvmetrics.schema.validate import validate_export

UNREADABLE = {
    "empty.csv",
    "whitespace_only.csv",
    "binary_junk.csv",
    "pdf_renamed.csv",
    "gzip_renamed.csv",
    "unknown_extension.docx",
    "truncated.parquet",
    "not_really.xlsx",
    "truncated.xlsx",
    "ragged_rows.csv",
    "unbalanced_quotes.csv",
    "empty_workbook.xlsx",
    "zip_bomb.xlsx",
    "xxe_external_entity.xlsx",
    "billion_laughs.xlsx",
}
EXPECTED_CHECKS = {
    "bad_personnummer.csv": {"invalid_personnummer"},
    "duplicate_case_id.csv": {"duplicate_id"},
    "missing_required_columns.csv": {"missing_required_column"},
    "unknown_columns.csv": {"unknown_column"},
    "dates_other_formats.csv": {"wrong_type"},
    "wrong_types.parquet": {"wrong_type", "code_as_number"},
    "semicolon_ok.csv": set(),
    "cp1252_swedish.csv": {"unknown_column"},
    "utf16_bom.csv": set(),
    "hidden_sheet.xlsx": set(),
}


def test_every_hostile_file(corpus):
    seen = 0
    for p in sorted(corpus.iterdir()):
        seen += 1
        if p.name in UNREADABLE:
            with pytest.raises(InputError):
                validate_export("acc", {"cases": p}, extract_date=dt.date(2025, 12, 31))
            continue
        r = validate_export("acc", {"cases": p}, extract_date=dt.date(2025, 12, 31))
        t = r.table("cases")
        assert t.n_accepted + t.n_quarantined + t.n_dropped == t.rows_read, p.name
        assert find_personnummer(r.findings.write_csv() + t.quarantined.write_csv()) == [], p.name
        if p.name in EXPECTED_CHECKS:
            assert set(r.findings["check"]) == EXPECTED_CHECKS[p.name], p.name
    assert seen >= 50
