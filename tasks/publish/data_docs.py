"""GX Data Docs of a quarter's validation result: static pages beside validasi.html.

Kept apart from validasi.html (tasks.publish.validation_report), which only links to them, because this
is the part that drives GX itself: a throwaway ephemeral context builds the pages from the run's
result. What a unit typed reaches those pages only escaped, and the row lists only bounded
(docs_safe_result): GX puts result values into its pages as they are.
"""

from __future__ import annotations

import html
import logging
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

DOCS_EXAMPLES = 50  # failing values/rows per expectation kept for the Data Docs page
DOCS_TEXT_MAX = 2_000  # characters of one long text (e.g. GX's unexpected_index_query)
DATA_DOCS_DIR = "data-docs"

# Lists in an expectation result that grow with the failing rows; Data Docs show a few anyway.
_LONG_LISTS = (
    "unexpected_list",
    "unexpected_index_list",
    "partial_unexpected_list",
    "partial_unexpected_index_list",
    "partial_unexpected_counts",
)


def _escaped(value: Any) -> Any:
    """Every string HTML-escaped: GX Data Docs put result values into the page unescaped."""
    if isinstance(value, str):
        return html.escape(value, quote=True)
    if isinstance(value, Mapping):
        return {_escaped(k): _escaped(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_escaped(v) for v in value]
    return value


def _trimmed(result: Mapping[str, Any]) -> dict[str, Any]:
    """An expectation's result with its row lists cut to DOCS_EXAMPLES and long texts shortened."""
    out = dict(result)
    for key in _LONG_LISTS:
        if isinstance(out.get(key), list):
            out[key] = out[key][:DOCS_EXAMPLES]
    for key, value in out.items():
        if isinstance(value, str) and len(value) > DOCS_TEXT_MAX:
            out[key] = value[: DOCS_TEXT_MAX - 1] + "…"
    return out


def docs_safe_result(gx_result: Any) -> Any:
    """A copy of the validation result fit for Data Docs: values escaped, row lists bounded.

    What a unit typed (file names, cell values) reaches the page only escaped. The expectation
    configurations come from the suite file and are kept as they are.
    """
    from great_expectations.core.expectation_validation_result import (
        expectationSuiteValidationResultSchema,
    )

    data = gx_result.to_json_dict()
    results = []
    for item in data.get("results") or []:
        item = dict(item)
        if isinstance(item.get("result"), Mapping):
            item["result"] = _escaped(_trimmed(item["result"]))
        for key in ("exception_info", "meta"):
            if item.get(key) is not None:
                item[key] = _escaped(item[key])
        results.append(item)
    data["results"] = results
    for key in ("meta", "statistics", "suite_parameters"):
        if data.get(key) is not None:
            data[key] = _escaped(data[key])
    return expectationSuiteValidationResultSchema.load(data)


def write_data_docs(folder: Path, gx_result: Any, run_name: str = "triwulan") -> Path | None:
    """GX Data Docs of one validation result under folder/data-docs; the index, or None.

    A throwaway ephemeral context with one local site: the result (escaped, bounded) goes into
    its in-memory results store, the suite into its suites, and build_data_docs writes static
    pages (index.html, validations/…, expectations/…, static/). Pages load their styling from
    public CDNs, as GX's own pages do; offline they are plain but complete. A failure is logged
    and gives None: the run's reports do not depend on the docs.
    """
    if gx_result is None:
        return None
    try:
        return _build_data_docs(folder / DATA_DOCS_DIR, gx_result, run_name)
    except Exception as exc:  # noqa: BLE001  (the quarter's reports matter more than its docs)
        logging.getLogger(__name__).warning("Data Docs Great Expectations tidak dibuat: %s", exc)
        return None


def _build_data_docs(target: Path, gx_result: Any, run_name: str) -> Path | None:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    import triwulan.tasks.check.gx_custom  # noqa: F401  (custom expectation types of the suite)

    logging.getLogger("great_expectations.data_context.types.base").setLevel(logging.WARNING)
    target.mkdir(parents=True, exist_ok=True)
    result = docs_safe_result(gx_result)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    context.add_data_docs_site(
        "triwulan",
        {
            "class_name": "SiteBuilder",
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(target.resolve()),
            },
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        },
    )
    try:  # the suite's own page; a suite GX cannot rebuild only loses that page
        expectations = [r.expectation_config.to_domain_obj() for r in result.results]
        context.suites.add(gx.ExpectationSuite(name=result.suite_name, expectations=expectations))
    except Exception as exc:  # noqa: BLE001
        logging.getLogger(__name__).warning("Halaman suite Data Docs dilewati: %s", exc)
    run_id = RunIdentifier(run_name=re.sub(r"[^A-Za-z0-9._-]+", "-", run_name) or "triwulan")
    key = ValidationResultIdentifier(
        expectation_suite_identifier=ExpectationSuiteIdentifier(name=result.suite_name),
        run_id=run_id,
        batch_identifier="triwulan",
    )
    result.meta = {**(result.meta or {}), "run_id": run_id.to_json_dict()}  # page title and info
    context.validation_results_store.set(key, result)
    context.build_data_docs(site_names=["triwulan"])
    _prune_static(target)
    index = target / "index.html"
    return index if index.is_file() else None


_STATIC_REF = re.compile(r"""(?:\.\./|\./)*static/([^"'()\s>]+)""")


def _prune_static(site: Path) -> None:
    """Drop GX's static files no page refers to (fonts and images: ~4 MB per version)."""
    static = site / "static"
    if not static.is_dir():
        return
    used = set()
    for page in site.rglob("*.html"):
        used |= set(_STATIC_REF.findall(page.read_text(encoding="utf-8", errors="replace")))
    for path in sorted(static.rglob("*"), reverse=True):
        if path.is_file() and path.relative_to(static).as_posix() not in used:
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
