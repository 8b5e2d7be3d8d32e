"""A matplotlib backend that writes PNG files with pypng and zlib-ng instead of Pillow: same pixels,
less CPU.

    fig.savefig(path, format="png", backend=BACKEND)

Matplotlib draws the figure with Agg as usual; only the encoding changes. Pillow's PNG encoder tries
up to four PNG row filters on every row of pixels and keeps the one with the smallest sum, which for
these figures (flat colours on white) costs more than the compression and buys little: the 15
default figures at 300 dpi took 1.40 s to encode with Pillow at zlib level 1 and 0.46 s with pypng,
which writes every row unfiltered (PNG filter type 0), for 2.62 MB of files instead of 2.46 MB
(benchmarks, README). Nearly all of pypng's time was Python's zlib, so the rows are compressed with
zlib-ng (the same deflate format, a faster implementation: 0.43 s -> 0.11 s for the 15 figures'
pixels, files 2.1 MB) and pypng writes the file around them: signature, header, resolution, the
compressed rows (one IDAT chunk) and the checksums. The pixels are the same (tests/test_figures.py),
and so is the resolution recorded in the file (the pHYs chunk).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import png
from matplotlib import cbook
from matplotlib.backends.backend_agg import FigureCanvasAgg
from zlib_ng import zlib_ng

#: The name to pass to `Figure.savefig(..., backend=BACKEND)`.
BACKEND = f"module://{__name__}"
#: zlib-ng level: PNG is lossless at every level. For the 15 default figures' pixels, level 1 took
#: 0.09 s for 3.7 MB, level 2 0.11 s for 2.1 MB, level 6 0.26 s for 1.8 MB (Python's zlib at level 1:
#: 0.43 s for 2.7 MB).
COMPRESSION = 2
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
        writer = png.Writer(width, height, greyscale=False, alpha=True, bitdepth=8,
                            x_pixels_per_unit=per_metre, y_pixels_per_unit=per_metre, unit_is_meter=True)
        # each row of pixels behind its PNG filter type, 0 (none), as pypng's own `write_packed` lays them out
        rows = np.zeros((height, 1 + width * 4), dtype=np.uint8)
        rows[:, 1:] = pixels.reshape(height, width * 4)
        with cbook.open_file_cm(filename_or_obj, "wb") as stream:
            writer.write_preamble(stream)
            png.write_chunk(stream, b"IDAT", zlib_ng.compress(rows, COMPRESSION))
            png.write_chunk(stream, b"IEND")


FigureCanvas = FigureCanvasPypng
