"""``docs/data-format.md``: the delivery format, generated from the models and headers.toml.

``python -m ingestion.docs > docs/data-format.md`` regenerates it; a test fails when the
committed file differs from :func:`data_format_markdown`. Record kinds, fields, types,
whether a field is required, Chinese headers and value labels all come from
``ingestion.models.RECORD_KINDS`` and ``ingestion/headers.toml``; only the one-line meanings,
the examples and the kind titles are declared here (the models carry no prose).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Final

from ingestion.formats import (
    BODS_SUFFIXES,
    EXTENSIONS,
    FieldSpec,
    HeaderMap,
    field_specs,
)
from ingestion.models import RECORD_KINDS
from ingestion.normalise import AMOUNT_UNITS, NULL_TOKENS

KIND_TITLES: Final[Mapping[str, str]] = {
    "enterprises": "市场主体 market entities",
    "people": "人员 natural persons",
    "shareholdings": "股东及出资 shareholdings",
    "legal_reps": "法定代表人 legal representatives",
    "officers": "主要人员 officers",
    "branches": "分支机构 branches",
    "contacts": "联系方式 further contacts",
    "change": "变更记录 registration changes",
    "filing": "备案 filings",
    "equity_pledge": "股权出质 equity pledges",
    "ip_pledge": "知识产权出质 IP pledges",
    "licence": "行政许可 licences",
    "penalty": "行政处罚 administrative penalties",
    "abnormal_listing": "经营异常名录 abnormal-operations list",
    "serious_dishonesty": "严重违法失信名单 serious-dishonesty list",
    "inspection": "抽查检查 inspections",
    "complaint": "投诉举报 complaints",
    "annual_report": "年度报告 annual reports",
    "court_enforcement": "法院执行 court enforcement",
    "tax_violation": "税收违法 tax violations",
}

# One line per field; "kind.field" wins over "field".
MEANINGS: Final[Mapping[str, str]] = {
    "uscc": "Unified Social Credit Code of the enterprise (统一社会信用代码)",
    "enterprises.name": "registered name, stored as given (matched after normalisation)",
    "entity_type": "legal form (企业类型)",
    "status": "registration status (登记状态)",
    "established": "date of establishment (成立日期)",
    "region_code": "administrative division of the registered address (GB/T 2260)",
    "industry_code": "national-economy industry class (GB/T 4754-2017)",
    "registered_capital": "registered (subscribed) capital in yuan",
    "paid_in_capital": "paid-in capital in yuan",
    "sectors": "sector overlays the enterprise falls under (重点监管领域)",
    "address": "registered address (住所), stored as given",
    "phone": "contact phone, stored as given",
    "email": "contact e-mail, stored as given",
    "legacy_regno": "15-digit registration number from before the USCC reform (注册号)",
    "approved": ("day the registration as delivered was approved (核准日期); a new registered "
                 "address, phone or e-mail holds from then (empty: from establishment)"),
    "id_number": "resident identity number; hashed before storage, never shown",
    "people.name": "the person's name",
    "since": "first day the relationship holds",
    "until": "day the relationship ends (empty: still holds)",
    "contacts.since": "day the enterprise declared the contact (empty: from establishment)",
    "contacts.until": "day the contact stopped being used (empty: still used)",
    "holder_kind": "whether the holder is a natural person or an enterprise",
    "holder_id": "holder's identity number (person) or USCC (enterprise)",
    "enterprise_uscc": "USCC of the enterprise concerned",
    "ratio": "share held, 0-1 (percent accepted, see ratios)",
    "shareholdings.amount": "subscribed contribution in yuan (认缴出资额)",
    "role": "office held (职务)",
    "branch_uscc": "USCC of the branch (分支机构)",
    "parent_uscc": "USCC of the enterprise the branch belongs to (隶属企业)",
    "contacts.kind": "what the value is: address, phone or e-mail",
    "value": "the address, phone number or e-mail, as given",
    "event_id": "stable identifier of the record in its source (文号, 编号)",
    "date": "date of the event",
    "source": "source system or department of the record",
    "publicity_end": "last day of the publicity period, where the law sets one (公示截止日期)",
    "field": "what changed (变更事项)",
    "old": "value before the change",
    "new": "value after the change",
    "equity_pledge.amount": "pledged equity in yuan (出质股权数额)",
    "licence_type": "kind of licence (许可证类型)",
    "expires": "last day of validity (有效期至)",
    "revoked": "day the licence was revoked (吊销日期)",
    "penalty.amount": "fine and confiscation in yuan (罚没款金额); empty means 0",
    "category": "category of the violation or complaint",
    "severity": "seriousness of the violation (情节)",
    "authority": "deciding authority (处罚机关)",
    "unpunished": "first minor violation, not punished (首违不罚); weighed by the indicator "
                  "config's [leniency] unpunished_weight",
    "reason": "reason for the listing (列入原因)",
    "listed": "day of listing (列入日期)",
    "removed": "day of removal, credit repair or expiry (移出日期)",
    "task_id": "spot-check task (抽查任务编号)",
    "outcome": "inspection result (检查结果)",
    "year": "report year (年报年度)",
    "on_time": "whether the report was filed on time (是否按时报送)",
    "court_enforcement.amount": "amount under enforcement in yuan (执行标的)",
    "tax_violation.amount": "amount involved in yuan (涉案金额)",
}

# Examples as they appear in a file (valid values: a test reads and validates them).
_USCC: Final = "91330281336808900P"
_USCC_2: Final = "92330482MA6J8QNR7W"
EXAMPLES: Final[Mapping[str, str]] = {
    "uscc": _USCC,
    "enterprises.name": "杭州（滨江）示例科技有限公司",
    "entity_type": "limited_company",
    "status": "operating",
    "established": "2019-06-18",
    "region_code": "330108",
    "industry_code": "6513",
    "registered_capital": "1000000",
    "paid_in_capital": "200000",
    "sectors": "food_production;drug_retail",
    "address": "浙江省杭州市滨江区江南大道100号",
    "phone": "0571-88881234",
    "email": "info@example.cn",
    "legacy_regno": "330106000123458",
    "approved": "2023-04-11",
    "id_number": "11010519491231002X",  # the example number printed in GB 11643
    "people.name": "张伟",
    "since": "2019-06-18",
    "until": "",
    "holder_kind": "person",
    "holder_id": "11010519491231002X",
    "enterprise_uscc": _USCC,
    "ratio": "0.6",
    "shareholdings.amount": "600000",
    "role": "director",
    "branch_uscc": _USCC_2,
    "parent_uscc": _USCC,
    "contacts.kind": "phone",
    "value": "13800000000",
    "event_id": f"{_USCC}-PEN-0001",
    "date": "2025-03-02",
    "source": "registry",
    "publicity_end": "2028-03-02",
    "field": "address",
    "old": "杭州市西湖区文一西路1号",
    "new": "杭州市滨江区江南大道100号",
    "equity_pledge.amount": "500000",
    "licence_type": "food_production",
    "expires": "2030-03-01",
    "revoked": "",
    "penalty.amount": "20000",
    "category": "false_advertising",
    "severity": "general",
    "authority": "杭州市滨江区市场监督管理局",
    "unpunished": "false",
    "reason": "annual_report_not_filed",
    "listed": "2025-03-02",
    "removed": "",
    "task_id": "3301-2025-SJ01",
    "outcome": "clean",
    "year": "2024",
    "on_time": "true",
    "court_enforcement.amount": "150000",
    "tax_violation.amount": "30000",
}


def _lookup(table: Mapping[str, str], kind: str, name: str) -> str:
    return table.get(f"{kind}.{name}", table.get(name, ""))


def meaning(kind: str, name: str) -> str:
    return _lookup(MEANINGS, kind, name)


def example(kind: str, name: str) -> str:
    return _lookup(EXAMPLES, kind, name)


_CODE_TYPES: Final[Mapping[str, str]] = {
    "USCC": "USCC: 18 characters, GB 32100 check character",
    "IdNumber": "identity number: 18 characters, GB 11643 check character",
    "LegacyRegNo": "注册号: 15 digits, ISO 7064 check digit",
}


def type_text(spec: FieldSpec) -> str:
    """A field's type in words, from its annotation."""
    codes = ", ".join(f"`{choice}`" for choice in sorted(spec.choices))
    described = {
        "code": _CODE_TYPES.get(spec.type_name, "code"),
        "region": "region code: 6 digits (GB/T 2260)",
        "industry": "industry class: 4 digits (GB/T 4754), `F5251` accepted",
        "date": "date",
        "amount": "amount in yuan, ≥ 0",
        "ratio": "ratio 0-1",
        "int": "integer",
        "bool": "yes/no",
        "choice": f"one of {codes}",
        "list": f"list of {codes}" if codes else "list of text",
        "text": "text",
    }
    return described[spec.kind]


def _cell(text: str) -> str:
    """Markdown table cell: pipes escaped, empty shown as a dash."""
    return text.replace("|", "\\|") if text else "–"


def _kind_section(kind: str, mapping: HeaderMap) -> list[str]:
    names = " or ".join(f"`{kind}.{ext}`" for ext in EXTENSIONS)
    lines = [
        f"### `{kind}`: {KIND_TITLES[kind]}",
        "",
        f"Files {names} (or `{kind}-<part>.<ext>`).",
        "",
        "| field | type | required | Chinese headers | meaning | example |",
        "|---|---|---|---|---|---|",
    ]
    for spec in field_specs(RECORD_KINDS[kind]):
        headers = " / ".join(mapping.headers_of(kind, spec.name))
        if spec.required:
            required = "required"
        elif spec.default not in (None, ()):
            required = f"optional (default {spec.default!r})"
        else:
            required = "optional"
        ex = example(kind, spec.name)
        lines.append(
            f"| `{spec.name}` | {_cell(type_text(spec))} | {required} | {_cell(headers)} | "
            f"{_cell(meaning(kind, spec.name))} | {_cell(f'`{ex}`' if ex else '')} |"
        )
    fallbacks = mapping.fallbacks.get(kind, {})
    for target, origin in fallbacks.items():
        lines += ["", f"Without a `{target}` column, `{target}` is taken from `{origin}`."]
    return [*lines, ""]


def _labels_section(mapping: HeaderMap) -> list[str]:
    lines = [
        "## Coded values: Chinese labels",
        "",
        "Coded fields accept the code itself (any case) or one of these labels (compared after "
        "NFKC, without blanks). A value that is neither stays as given and validation rejects "
        "the row.",
        "",
    ]
    for name, codes in mapping.labels.items():
        lines += [f"### `{name}`", "", "| code | labels |", "|---|---|"]
        lines += [f"| `{code}` | {_cell(' / '.join(labels))} |" for code, labels in codes.items()]
        lines.append("")
    return lines


def data_format_markdown() -> str:
    """The whole of ``docs/data-format.md``."""
    mapping = HeaderMap.load()
    order = "\n".join(
        f"{i}. `{kind}` ({KIND_TITLES[kind]})" for i, kind in enumerate(RECORD_KINDS, start=1)
    )
    nulls = ", ".join(f"`{token}`" for token in sorted(NULL_TOKENS) if token) + ", empty"
    units = ", ".join(f"{unit}" for unit in AMOUNT_UNITS)
    parts = [
        "# Delivery data format (数据交付格式)",
        "",
        "<!-- Generated by `python -m ingestion.docs > docs/data-format.md` from "
        "ingestion/models.py and ingestion/headers.toml. Do not edit by hand. -->",
        "",
        "A delivery is one folder. Each file holds one record kind; `riskgraph` reads it with "
        "`ingestion.formats.read_delivery`, validates every row against the canonical models "
        "and quarantines the rows that fail, naming file, line and field. Nothing is dropped "
        "silently and nothing is guessed.",
        "",
        "## Files",
        "",
        f"- Names: `<kind>.<ext>` or `<kind>-<part>.<ext>`, ext one of "
        f"{', '.join(f'`{ext}`' for ext in EXTENSIONS)}. Several parts of one kind are read "
        "in name order (numbers in names compare as numbers: `-2` before `-10`; the file "
        "without a part first) and concatenated.",
        "- Beneficial Ownership Data Standard files: "
        f"{' / '.join(f'`*{suffix}`' for suffix in BODS_SUFFIXES)} (BODS 0.2-0.4), mapped to "
        "`enterprises`, `people`, `shareholdings` and `officers` by `ingestion.bods`; their rows "
        "come after those of the plain files, BODS files in name order.",
        "- Any other file name is an error that lists the accepted names; hidden files "
        "(`.name`) are ignored with a note.",
        "- A kind without a file is simply not part of the delivery (monthly updates send "
        "only what changed).",
        "",
        "## Load order",
        "",
        "What a record points at is loaded before it:",
        "",
        order,
        "",
        "## Formats and encodings",
        "",
        "- **CSV**: comma-separated, `\"` quoting, first line the header (line 0); data lines "
        "are numbered from 1 in quarantine reports. Encoding UTF-8 (with or without BOM) or "
        "GB18030 (which includes GBK and GB2312), detected: strict UTF-8 first. Every column is "
        "read as text, so leading zeros of codes and phone numbers are kept. Blank lines are "
        "skipped; when a file has blank lines or cells with line breaks, line numbers count "
        "data records (a note says so).",
        "- **JSON Lines**: one JSON object per line, keys as CSV headers; UTF-8 (or GB18030, "
        "detected). Line numbers are the file's lines (blank lines skipped but counted). "
        "Values may be JSON strings, numbers, booleans, arrays (for lists) or null.",
        "- **Parquet**: columns as CSV headers; typed columns (dates, numbers, booleans, lists) "
        "are taken as they are, text columns are normalised like CSV cells. Rows are numbered "
        "from 1.",
        "- `write_delivery` writes CSV as UTF-8 with BOM (so that Excel opens it as UTF-8) or "
        "GB18030, lists as `a;b`, dates as `YYYY-MM-DD`, booleans as `true`/`false`.",
        "",
        "## Headers",
        "",
        "- The English field name is always accepted; so are the Chinese headers listed per "
        "record kind below (`ingestion/headers.toml`; pass your own mapping file to replace "
        "it). Headers are compared after NFKC (full-width to half-width), without blanks and "
        "ignoring case: `注册资本（万元）` and `注册资本(万元)` are the same.",
        f"- A unit in brackets at the end of a header sets how an amount column is converted: "
        f"{units}, also `(人民币万元)`, `(单位：万元)`; `(%)`, `(百分比)` or a trailing `%` mark "
        "a ratio column as percent. A unit that does not fit the field is an error.",
        "- Event kinds share the headers of their common fields (`event_id`, `uscc`, `date`, "
        "`source`, `publicity_end`); each event kind adds its own (e.g. `处罚决定日期` for a "
        "penalty's date).",
        "- Unknown columns are dropped with a note. A missing required column, two columns "
        "for one field, or a file whose first line maps to no field at all (no header line) "
        "is an error naming the file.",
        "",
        "## Values",
        "",
        "Conversion follows each field's type. A cell that cannot be converted is left as "
        "given: validation then rejects the row naming the field (and a note counts such "
        "cells per column). Cell values are never printed in notes or errors.",
        "",
        f"- **Missing**: {nulls} (after trimming blanks). A missing cell of a field with a "
        "default other than empty takes that default (`penalty.amount`: 0).",
        "- **Dates**: `2025-03-02`, `2025/3/2`, `2025.03.02`, `20250302`, `2025年3月2日`, "
        "each optionally followed by a time of day (which is dropped), and 5-digit Excel "
        "serial day numbers (noted). Impossible dates such as `2025-02-30` are left as given.",
        "- **Amounts** (yuan): thousands separators (`1,200`) and currency prefixes (`¥`, "
        "`RMB`, `人民币`) removed; a column unit from the header or a unit suffix in the cell "
        "(`85万元`, `85万`, `1.2亿`, `300元`; the cell's suffix wins) converts to yuan, rounded "
        "to the fen (0.01). Other currencies (`100万美元`) are left as given.",
        "- **Ratios**: 0-1 or 0-100, with or without `%`. Decided per file and column: "
        "percent when the header says `(%)`, when any cell has a `%` sign, or when any value "
        "is above 1; otherwise fractions. The decision is stated in the notes. A column of "
        "percentages all at most 1% is read as fractions unless its header says `(%)`.",
        "- **Codes** (USCC, identity numbers, 注册号, region codes): full-width characters to "
        "ASCII, surrounding blanks trimmed; validation checks length and check characters.",
        "- **Industry codes**: `5251` or `F5251` give `5251`; a section letter that "
        "contradicts the division (`G5251`) is left as given.",
        "- **Booleans**: `是`/`否`, `true`/`false`, `Y`/`N`, `yes`/`no`, `1`/`0`, any case.",
        "- **Integers**: `2024`, `2024.0`, `2024年`, `2024年度`.",
        "- **Lists** (`sectors`): items separated by `;` `；` `、` `,` or `，`; an empty cell "
        "is an empty list. Items are codes or their Chinese labels.",
        "- **Coded values**: the code or a Chinese label from the tables at the end.",
        "- **Text** (names, addresses, free text): stored exactly as given. Names are matched "
        "with `ingestion.normalise.normalise_name` (NFKC, brackets unified, blanks removed, "
        "Latin letters case-folded), so `杭州 （滨江）科技有限公司` and `杭州(滨江)科技有限公司` "
        "match.",
        "",
        "## Record kinds",
        "",
    ]
    for kind in RECORD_KINDS:
        parts += _kind_section(kind, mapping)
    parts += _labels_section(mapping)
    return "\n".join(parts).rstrip("\n") + "\n"


def main() -> None:
    # bytes, so that the file is UTF-8 whatever the locale of the shell
    sys.stdout.buffer.write(data_format_markdown().encode("utf-8"))


if __name__ == "__main__":
    main()
