"""Headless figures: PNG bytes of a predictable size, written atomically."""

import struct

import pytest
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg

from mvgraph.plot.canvas import DPI, new_figure, png_bytes, save_png

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the PNG header (the IHDR chunk comes first)."""
    assert data[:8] == PNG_SIGNATURE and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def drawn(width=3.0, height=2.0):
    figure = new_figure(width, height)
    axes = figure.add_subplot()
    axes.plot([0, 1, 2], [1, 0, 2])
    axes.set_title("a title")
    return figure


class Broken(Artist):
    def draw(self, renderer):
        raise RuntimeError("this artist cannot be drawn")


def test_a_figure_is_w_by_h_inches_at_100_pixels_per_inch():
    assert DPI == 100
    figure = new_figure(3.0, 2.5)
    assert tuple(figure.get_size_inches()) == (3.0, 2.5) and figure.dpi == 100
    assert isinstance(figure.canvas, FigureCanvasAgg)
    assert png_size(png_bytes(figure)) == (300, 250)


def test_the_figure_is_not_registered_with_pyplot():
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    new_figure(1.0, 1.0)
    assert plt.get_fignums() == before


def test_png_bytes_keep_the_figure_size_and_carry_no_software_tag():
    data = png_bytes(drawn(4.0, 1.5))  # no tight cropping: the size stays
    assert png_size(data) == (400, 150)
    assert b"Software" not in data and b"matplotlib" not in data


def test_the_same_figure_gives_the_same_bytes():
    figure = drawn()
    assert png_bytes(figure) == png_bytes(figure)
    assert png_bytes(figure) == png_bytes(drawn())


def test_save_png_writes_the_png_bytes_and_nothing_else(tmp_path):
    figure = drawn()
    path = tmp_path / "pictures" / "curve.png"  # the folder is made
    save_png(figure, path)
    assert path.read_bytes() == png_bytes(figure)
    assert [p.name for p in path.parent.iterdir()] == ["curve.png"]
    save_png(new_figure(1.0, 1.0), str(path))  # replaces the file
    assert png_size(path.read_bytes()) == (100, 100)


def test_a_figure_that_fails_to_render_leaves_the_old_file_untouched(tmp_path):
    path = tmp_path / "curve.png"
    path.write_bytes(b"the old picture")
    figure = drawn()
    figure.add_artist(Broken())
    with pytest.raises(RuntimeError, match="cannot be drawn"):
        save_png(figure, path)
    assert path.read_bytes() == b"the old picture"
    assert [p.name for p in tmp_path.iterdir()] == ["curve.png"]
