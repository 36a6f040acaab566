"""dlkit.book: glue formats what the prose shows; Checks prints one table and fails loudly."""
import numpy as np
import pytest

from dlkit.book import Checks, glue


def test_glue_returns_the_formatted_text():
    assert glue("acc", 0.92833, ".1%") == "92.8%"
    assert glue("n_params", np.int64(4353), ",d") == "4,353"
    assert glue("ratio", np.float32(2.0), ".1f") == "2.0"
    assert glue("word", "stalls") == "stalls"
    assert isinstance(glue("acc", 0.5, ".0%"), str) and glue("acc", 0.5, ".0%")._ipython_display_() is None


def test_glue_as_the_last_line_of_a_cell_shows_no_output():
    import nbclient
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("from dlkit.book import glue\nglue('x', 0.25, '.0%')")]
    nbclient.NotebookClient(nb, kernel_name="python3", timeout=60).execute()
    outputs = nb.cells[0].outputs
    assert [o.output_type for o in outputs] == ["display_data"], outputs  # the glue record only, no Out[]
    assert outputs[0].metadata["scrapbook"]["name"] == "x"
    assert outputs[0].data["application/papermill.record/text/plain"] == "'25%'"


@pytest.mark.parametrize("name", ["", "two words", 3])
def test_glue_rejects_bad_names(name):
    with pytest.raises(ValueError, match="name"):
        glue(name, 1.0, ".1f")


def test_glue_rejects_a_non_string_format():
    with pytest.raises(TypeError, match="fmt"):
        glue("x", 1.0, 2)


def test_checks_pass_prints_table_without_measured_differences(capsys):
    c = Checks("title")
    assert c.close("a = b", [1.0, 2.0], [1.0, 2.0 + 1e-9], atol=1e-6)
    assert c.equal("labels", [1, 2], [1, 2])
    assert c.true("claim", 3 > 2)
    c.show()
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "title" and out.count("✓") == 3 and "✗" not in out
    assert "e-09" not in out  # measured differences change with the CPU: never printed


@pytest.mark.parametrize("fill", [
    lambda c: c.close("far", [1.0], [1.1], atol=1e-3),
    lambda c: c.close("shape", [1.0, 2.0], [1.0], atol=1e-3),
    lambda c: c.equal("labels", [1, 2], [2, 1]),
    lambda c: c.true("claim", False),
])
def test_checks_fail_loudly(fill, capsys):
    c = Checks()
    c.true("fine", True)
    fill(c)
    with pytest.raises(AssertionError, match="verification failed"):
        c.show()
    assert "✗" in capsys.readouterr().out


def test_checks_rtol_and_empty():
    assert Checks().close("rel", [1000.0], [1000.5], atol=0.0, rtol=1e-3)
    with pytest.raises(ValueError, match="nothing"):
        Checks().show()
