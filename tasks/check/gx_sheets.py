"""One GX context, one batch per sheet: how the sheet suites (IKU sheets, the reference workbook)
are run. Entries are the suite file's own dicts (type, kwargs, meta); each result's meta names
its sheet as `lembar`, since GX returns results out of suite order."""

from __future__ import annotations

import logging
import os
from typing import Any

import pandas as pd


def validate_sheets(
    source: str,
    works: dict[str, pd.DataFrame],
    entries: dict[str, list[dict[str, Any]]],
    index: list[str],
) -> dict[str, Any]:
    """GX's validation result per sheet of `works` that has entries (empty sheets are skipped)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    import triwulan.tasks.check.gx_custom  # noqa: F401  (registers expect_column_values_to_be_true)

    # GX announces its temporary docs folder at INFO on every run: noise for the secretariat
    logging.getLogger("great_expectations.data_context.types.base").setLevel(logging.WARNING)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    datasource = context.data_sources.add_pandas(source)
    out = {}
    for sheet, work in works.items():
        chosen = entries.get(sheet, [])
        if not chosen or work.empty:
            continue
        suite = gx.ExpectationSuite(
            name=f"{source}_{sheet}",
            expectations=[
                ExpectationConfiguration(
                    type=e["type"], kwargs=e["kwargs"], meta={**e["meta"], "lembar": sheet}
                ).to_domain_obj()
                for e in chosen
            ],
        )
        batch = (
            datasource.add_dataframe_asset(sheet)
            .add_batch_definition_whole_dataframe("semua")
            .get_batch(batch_parameters={"dataframe": work})
        )
        out[sheet] = batch.validate(
            suite,
            result_format={
                "result_format": "COMPLETE",
                "unexpected_index_column_names": index,
                "return_unexpected_index_query": False,
            },
        )
    return out
