import io

import pandas as pd

from ml.export import escape_cell, to_safe_csv


def test_formula_like_text_is_escaped_and_numbers_are_not():
    frame = pd.DataFrame({"product": ["=HYPERLINK(\"http://x\")", "+1", "@SUM(A1)", "-2+3", "Tea", "绿茶"], "value": [-1.5, 2, 3, 4, 5, 6]})
    text = to_safe_csv(frame).decode("utf-8-sig")
    back = pd.read_csv(io.StringIO(text))
    assert back["product"].tolist() == ["'=HYPERLINK(\"http://x\")", "'+1", "'@SUM(A1)", "'-2+3", "Tea", "绿茶"]
    assert back["value"].tolist() == [-1.5, 2, 3, 4, 5, 6]


def test_escape_cell_leaves_safe_values_alone():
    assert escape_cell("Coffee") == "Coffee"
    assert escape_cell(-3) == -3
    assert escape_cell("=1+1") == "'=1+1"


def test_headers_that_start_a_formula_are_escaped():
    frame = pd.DataFrame({"=cmd|' /C calc'!A0": ["a"], "+1": ["b"], "-2": ["c"], "@SUM(A1)": ["d"], "price": [1.5]})
    text = to_safe_csv(frame).decode("utf-8-sig")
    header = text.splitlines()[0]
    back = pd.read_csv(io.StringIO(text))
    assert list(back.columns) == ["'=cmd|' /C calc'!A0", "'+1", "'-2", "'@SUM(A1)", "price"], header
    assert back["price"].tolist() == [1.5]
