"""Issue 24, item 5 "Journal formats": figures.formats takes pdf and tiff besides png and svg; TIFF
is LZW-compressed at 300-600 dpi; PDF and SVG keep their text as text in an embedded TrueType font
(editable); figures.width_in is a width in inches or a column preset (single 3.5 in, double 7 in)."""

from __future__ import annotations

import re
import zlib
from pathlib import Path

import numpy as np
import pytest
from snakemake_interface_common.exceptions import WorkflowError
from PIL import Image

from conftest import load_config
from ino_study.figures.km import draw_km, km_figure_data
from ino_study.figures.theme import FigureSettings, save_figure


def km_figure(settings: FigureSettings):
    rng = np.random.default_rng(2)
    data = km_figure_data(rng.exponential(12, 17), (rng.random(17) < 0.6).astype(int), None, 0.95, "plain")
    return draw_km(data, settings, "OS", "plain", 0.95)


@pytest.mark.parametrize("figures, width", [({"width_in": "single"}, 3.5), ({"width_in": "double"}, 7.0),
                                            ({"width_in": 5.2}, 5.2), ({}, 7.0)])
def test_width_presets_in_config_and_settings(figures, width):
    config = load_config(figures={"formats": ["png", "pdf", "svg", "tiff"], **figures})
    settings = FigureSettings.from_config(config["figures"])
    assert settings.width_in == width and settings.formats == ("png", "pdf", "svg", "tiff")


@pytest.mark.parametrize("figures", [{"width_in": "triple"}, {"width_in": 0}, {"formats": ["jpeg"]},
                                     {"formats": ["tiff"], "dpi": 150}, {"formats": ["png", "tiff"], "dpi": 1200}])
def test_config_refuses_what_a_journal_would_not_take(figures):
    with pytest.raises(WorkflowError, match="figures"):
        load_config(figures=figures)


def test_settings_refuse_tiff_outside_300_to_600_dpi_and_unknown_presets():
    with pytest.raises(ValueError, match="300-600 dpi"):
        FigureSettings.from_config({"formats": ["tiff"], "dpi": 200})
    with pytest.raises(ValueError, match="single, double"):
        FigureSettings.from_config({"width_in": "half"})
    assert FigureSettings.from_config({"formats": ["tiff"], "dpi": 600}).dpi == 600


def test_every_format_written_at_the_configured_width(tmp_path):
    settings = FigureSettings.from_config({"width_in": "single", "dpi": 300, "formats": ["pdf", "svg", "tiff"]})
    fig = km_figure(settings)
    paths = [tmp_path / f"km.{fmt}" for fmt in ("png", "pdf", "svg", "tiff")]
    save_figure(fig, paths, settings.dpi)
    with Image.open(tmp_path / "km.tiff") as tiff:
        assert tiff.format == "TIFF" and tiff.info["compression"] == "tiff_lzw"
        assert tiff.size[0] == round(3.5 * 300)
        assert tuple(round(float(v)) for v in tiff.info["dpi"]) == (300, 300)
    with Image.open(tmp_path / "km.png") as png:
        assert png.size[0] == round(3.5 * 300)
    svg = (tmp_path / "km.svg").read_text(encoding="utf-8")
    assert re.search(r'<svg[^>]* width="252pt"', svg)  # 3.5 in x 72
    assert "<text" in svg and "Overall survival" in svg  # text as text, not glyph paths
    pdf = (tmp_path / "km.pdf").read_bytes()
    assert b"/MediaBox [ 0 0 252 " in pdf


def test_pdf_text_is_an_embedded_truetype_font(tmp_path):
    """pdf.fonttype 42: the font is embedded as TrueType (/FontFile2), not drawn as Type 3 glyph
    procedures, so the text can be selected and edited; the words are in the page's text objects."""
    settings = FigureSettings.from_config({"formats": ["pdf"]})
    save_figure(km_figure(settings), [tmp_path / "km.pdf"], settings.dpi)
    pdf = (tmp_path / "km.pdf").read_bytes()
    assert b"/FontFile2" in pdf and b"/Subtype /Type3" not in pdf
    assert b"DejaVuSans" in pdf
    streams = [zlib.decompress(m) for m in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S)
               if m[:1] == b"x"]
    assert any(b" Tj" in s or b"TJ" in s for s in streams)


def test_tiff_is_byte_identical_run_to_run(tmp_path):
    settings = FigureSettings.from_config({"formats": ["tiff"], "dpi": 300})
    save_figure(km_figure(settings), [tmp_path / "a.tiff"], settings.dpi)
    save_figure(km_figure(settings), [tmp_path / "b.tiff"], settings.dpi)
    assert Path(tmp_path / "a.tiff").read_bytes() == Path(tmp_path / "b.tiff").read_bytes()
