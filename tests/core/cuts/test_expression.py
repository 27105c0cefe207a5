"""Cut expressions: the spec grammar is accepted, anything else refused, masks equal numpy."""

from __future__ import annotations

import numpy as np
import pytest

from analysis_core.cuts import CutError, parse_expression

SPEC_EXAMPLE = "f90 > 0.2 and f90 < 0.45 and ftop > 0.3 and ftop < 0.7"


def test_spec_example_matches_numpy(rq_table):
    expr = parse_expression(SPEC_EXAMPLE)
    assert expr.columns == ("f90", "ftop")
    f90, ftop = rq_table["f90"], rq_table["ftop"]
    with np.errstate(invalid="ignore"):
        ref = (f90 > 0.2) & (f90 < 0.45) & (ftop > 0.3) & (ftop < 0.7)
    np.testing.assert_array_equal(expr.evaluate(rq_table), ref)
    assert 0 < ref.sum() < len(ref)  # the test is not trivial


@pytest.mark.parametrize(
    ("text", "ref"),
    [
        ("0.2 < f90 <= 0.45", lambda t: (t["f90"] > 0.2) & (t["f90"] <= 0.45)),
        ("not saturated or ftop >= 0.5", lambda t: ~t["saturated"] | (t["ftop"] >= 0.5)),
        ("abs(ftop - 0.5) < 0.1", lambda t: np.abs(t["ftop"] - 0.5) < 0.1),
        (
            "i35_pe * cos(radians(37.5)) - i55_pe * sin(radians(37.5)) < -5",
            lambda t: (
                t["i35_pe"] * np.cos(np.radians(37.5)) - t["i55_pe"] * np.sin(np.radians(37.5)) < -5
            ),
        ),
        ("total_pe_top / total_pe != 0.5 and -f90 > -0.3", None),
        ("(f90 > 0.3 or f90 < 0.25) and not (ftop == 0.5)", None),
        ("saturated == 0", lambda t: ~t["saturated"]),
        ("total_pe > 1e2 and event % 2 == 0", "error"),
    ],
)
def test_grammar_matches_numpy(rq_table, text, ref):
    if ref == "error":
        with pytest.raises(CutError, match="'%' not allowed"):
            parse_expression(text)
        return
    got = parse_expression(text).evaluate(rq_table)
    if ref is None:
        t = rq_table
        with np.errstate(invalid="ignore", divide="ignore"):
            ref_mask = {
                "total_pe_top / total_pe != 0.5 and -f90 > -0.3": (
                    t["total_pe_top"] / t["total_pe"] != 0.5
                )
                & (-t["f90"] > -0.3),
                "(f90 > 0.3 or f90 < 0.25) and not (ftop == 0.5)": (
                    (t["f90"] > 0.3) | (t["f90"] < 0.25)
                )
                & ~(t["ftop"] == 0.5),
            }[text]
    else:
        with np.errstate(invalid="ignore"):
            ref_mask = ref(rq_table)
    np.testing.assert_array_equal(got, ref_mask)


@pytest.mark.parametrize(
    ("text", "fault"),
    [
        ("__import__('os')", "unknown function '__import__'"),
        ("__import__('os').system('true') == 0", "only abs, cos, sin, radians"),
        ("f90.real > 0", "attribute access"),
        ("(lambda: 1)() > 0", "only abs, cos, sin, radians"),
        ("lambda: f90 > 0", "lambda"),
        ("f90[0] > 0", "subscripts"),
        ("bogus > 1", "unknown column 'bogus'"),
        ("f90 > ", "syntax error"),
        ("f90 >> 2", "not allowed"),
        ("f90 ** 2 > 0.1", "'\\*\\*' not allowed"),
        ("f90 > 0.2 & ftop < 1", "use 'and'"),
        ("'a' < 'b'", "numbers only"),
        ("f90 + 1", "not a condition"),
        ("f90 and ftop", "needs a condition"),
        ("abs(f90, 2) > 0", "exactly one argument"),
        ("f90 if ftop else 0", "conditional"),
        ("[f90][0] > 1", "subscripts"),
        ("", "empty"),
        ("f90 > 0\nftop > 0", "one line"),
        ("(" * 400 + "f90 > 0" + ")" * 400, "cut"),
        ("f90 in (1, 2)", "not allowed"),
        ("x := 1", "syntax error"),
    ],
)
def test_refused(text, fault):
    with pytest.raises(CutError, match=fault):
        parse_expression(text)


def test_error_names_expression_and_position():
    with pytest.raises(CutError) as err:
        parse_expression("f90 > 0.2 and ftopp < 0.7")
    msg = str(err.value)
    assert "'f90 > 0.2 and ftopp < 0.7'" in msg
    assert "col 15" in msg  # 1-based column of 'ftopp'


def test_custom_column_set_and_missing_column():
    expr = parse_expression("energy_kev > 5", columns=["energy_kev"])
    np.testing.assert_array_equal(expr.evaluate({"energy_kev": np.array([1.0, 9.0])}), [0, 1])
    with pytest.raises(CutError, match="no column 'ftop'"):
        parse_expression("ftop > 0").evaluate({"f90": np.zeros(2)})


def test_constant_expression_broadcasts():
    out = parse_expression("True").evaluate({"f90": np.zeros(4)})
    assert out.shape == (4,)
    assert out.all()
