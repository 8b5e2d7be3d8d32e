"""A matplotlib backend that writes PNG files with pypng instead of Pillow: same pixels, less CPU.

    fig.savefig(path, format="png", backend=BACKEND)

Matplotlib draws the figure with Agg as usual; only the encoding changes. Pillow's PNG encoder tries
up to four PNG row filters on every row of pixels and keeps the one with the smallest sum, which for
these figures (flat colours on white) costs more than the compression and buys little: the 15
default figures at 300 dpi took 1.40 s to encode with Pillow at zlib level 1 and 0.46 s with pypng,
which writes every row unfiltered (PNG filter type 0), for 2.62 MB of files instead of 2.46 MB
(benchmarks, README). The pixels are the same (tests/test_figures.py), and so is the resolution
recorded in the file (the pHYs chunk).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import png
from matplotlib import cbook
from matplotlib.backends.backend_agg import FigureCanvasAgg

#: The name to pass to `Figure.savefig(..., backend=BACKEND)`.
BACKEND = f"module://{__name__}"
#: zlib level: PNG is lossless at every level; 1 is the fastest that still compresses (level 6,
#: zlib's default, took 1.9 s for the 15 default figures instead of 0.46 s, for files 30% smaller).
COMPRESSION = 1
INCHES_PER_METRE = 1 / 0.0254


class FigureCanvasPypng(FigureCanvasAgg):
    """Agg's canvas, with PNG files written by pypng."""

    def print_png(self, filename_or_obj: Any, *, metadata: dict[str, Any] | None = None,
                  pil_kwargs: dict[str, Any] | None = None, **applied: Any) -> None:
        """Draw with Agg and write an 8-bit RGBA PNG with the figure's dpi; no text metadata (the
        theme writes none: matplotlib's default `Software` entry is switched off).

        `applied`: what `savefig` passes to every print method of a backend that is not one of
        matplotlib's own (dpi, facecolor, edgecolor, orientation, ...); it has already set them on
        the figure, which is what Agg draws."""
        if any(value is not None for value in (metadata or {}).values()) or pil_kwargs:
            raise ValueError("this PNG writer takes no metadata or Pillow options; use matplotlib's own "
                             "PNG writer (no `backend=` in savefig) for those")
        FigureCanvasAgg.draw(self)
        pixels = np.asarray(self.buffer_rgba())
        height, width, _ = pixels.shape
        per_metre = round(self.figure.dpi * INCHES_PER_METRE)
        writer = png.Writer(width, height, greyscale=False, alpha=True, bitdepth=8, compression=COMPRESSION,
                            x_pixels_per_unit=per_metre, y_pixels_per_unit=per_metre, unit_is_meter=True)
        with cbook.open_file_cm(filename_or_obj, "wb") as stream:
            writer.write_packed(stream, pixels.reshape(height, width * 4))


FigureCanvas = FigureCanvasPypng
