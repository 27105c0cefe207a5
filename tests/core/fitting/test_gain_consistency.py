"""A background or template run reduced with other SPE gains is refused, naming both runs."""

from __future__ import annotations

import numpy as np
import pytest

from analysis_core.errors import CalibrationError
from analysis_core.fitting.peak_step import compute_peak
from analysis_core.rqfile import RQTable
from analysis_core.steps import StepInputs


def _table(name, gains, seed, pe_units="PE"):
    rng = np.random.default_rng(seed)
    pe = np.concatenate([rng.normal(180, 17, 3000), rng.exponential(150, 3000)])
    meta = {
        "pe_units": pe_units,
        "spe_gain_adc_ns": gains,
        "run": {"livetime_s": 100.0, "run_type": "kr83m", "path": f"/runs/{name}.h5"},
        "input": {"path": f"/runs/{name}.h5"},
    }
    return RQTable({"total_pe": pe.astype(np.float32), "event": np.arange(pe.size)}, meta)


SETTINGS = {"role": "kr", "column": "total_pe", "range": [130, 230], "bins": 50}


def test_same_gains_subtract():
    gains = {"top": 239.0, "bottom": 212.0}
    inputs = StepInputs(rq={"kr": _table("kr", gains, 1), "background": _table("bkg", gains, 2)})
    result = compute_peak(inputs, {**SETTINGS, "background_role": "background"})
    assert result.subtracted is not None


@pytest.mark.parametrize(
    ("bkg_gains", "units", "match"),
    [
        ({"top": 214.8, "bottom": 198.6}, "PE", "SPE gain bottom = 198.6"),  # gains B vs A
        (None, "ADC*ns", "background run is in ADC\\*ns"),
    ],
)
def test_other_gains_are_refused(bkg_gains, units, match):
    kr = _table("kr", {"top": 239.0, "bottom": 212.0}, 1)
    bkg = _table("bkg", bkg_gains, 2, pe_units=units)
    inputs = StepInputs(rq={"kr": kr, "background": bkg})
    with pytest.raises(CalibrationError, match=match):
        compute_peak(inputs, {**SETTINGS, "background_role": "background"})
