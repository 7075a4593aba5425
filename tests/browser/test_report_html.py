"""The HTML report in a real headless browser: its SVG charts must render.

Uses Debian's ``chromium`` (CI installs it: ``apt-get install -y chromium``).
The report page carries no script; the test appends one that measures every
chart's bars, points and segments with ``getBoundingClientRect`` and writes
the sizes into the DOM, which ``--dump-dom`` then prints.  A screenshot is
checked too: the chart colours must really be painted.
"""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.content import load_content
from bot.organiser.report_html import render_html
from bot.organiser.reports import GroupRow, Report, RiskRow, TrendPoint

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium is not installed (Debian: apt-get install -y chromium); CI installs it",
)

MEASURE = """
<script>
const out = {};
for (const svg of document.querySelectorAll("svg.chart")) {
  const box = svg.getBoundingClientRect();
  const marks = [...svg.querySelectorAll("rect.bar, circle.point, polyline.trend, rect.segment")]
    .map(el => { const b = el.getBoundingClientRect();
                 return [el.getAttribute("class"), Math.round(b.width), Math.round(b.height)]; });
  out[svg.dataset.chart] = {width: box.width, height: box.height, marks};
}
const pre = document.createElement("pre");
pre.id = "measured";
pre.textContent = JSON.stringify(out);
document.body.appendChild(pre);
</script>
"""


def _report() -> Report:
    def row(name: str, planned: int, held: int, agreement: str) -> GroupRow:
        return GroupRow(name, "pair", "active", 21, agreement, "10/10", "2026-12-01",
                        planned, held, 1, "2027-03-02", 4.2, 6)  # fmt: skip

    return Report(
        slug="stemup", name="STEM Up <test>", start="2026-12-01", end="2027-05-31",
        generated="2027-03-10T10:00+00:00", language="en",
        groups=[row("Anna & Bea", 6, 6, "complete"), row("Cecilia & Dana", 5, 2, "complete"),
                row("Greta & Hanna", 0, 0, "open")],
        trend=[TrendPoint("2026-12", 4.5, 4), TrendPoint("2027-01", 4.0, 3),
               TrendPoint("2027-02", 3.25, 4)],
        at_risk=[RiskRow("Cecilia & Dana", "no_meeting", "2027-01-20", "2027-01-27")],
    )  # fmt: skip


def _chromium(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={tmp / 'profile'}", *args],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_charts_render_with_real_sizes(tmp_path: Path) -> None:
    content = load_content(load_settings().content_dir)
    html = render_html(_report(), content)
    assert "<script" not in html  # the report itself is static
    assert "STEM Up &lt;test&gt;" in html  # names are escaped
    page = tmp_path / "report.html"
    page.write_text(html.replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    run = _chromium(tmp_path, "--dump-dom", page.as_uri())
    assert run.returncode == 0, run.stderr[-2000:]
    found = re.search(r'<pre id="measured">(.*?)</pre>', run.stdout, re.S)
    assert found, run.stdout[-2000:]
    measured = json.loads(found.group(1).replace("&quot;", '"'))
    assert set(measured) == {"meetings", "trend", "agreement"}
    for chart in measured.values():
        assert chart["width"] > 300 and chart["height"] > 50
    bars = measured["meetings"]["marks"]
    # planned and held bars per pair; Greta & Hanna have none, so zero width
    widths = [(cls, w) for cls, w, h in bars if h > 0]
    assert [w for cls, w in widths if cls == "bar planned"][:2] == [360, 300]
    assert [w for cls, w in widths if cls == "bar held"][:2] == [360, 120]
    trend = measured["trend"]["marks"]
    assert sum(1 for cls, w, h in trend if cls == "point" and w >= 9 and h >= 9) == 3
    assert any(cls == "trend" and w > 100 for cls, w, h in trend)
    segments = [(cls, w) for cls, w, h in measured["agreement"]["marks"] if h > 20]
    assert [cls for cls, w in segments] == ["segment complete", "segment open"]
    assert segments[0][1] > segments[1][1] > 100


def test_screenshot_paints_the_chart_colours(tmp_path: Path) -> None:
    content = load_content(load_settings().content_dir)
    page = tmp_path / "report.html"
    page.write_text(render_html(_report(), content), encoding="utf-8")
    shot = tmp_path / "shot.png"
    run = _chromium(tmp_path, f"--screenshot={shot}", "--window-size=1000,1000", page.as_uri())
    assert run.returncode == 0 and shot.exists(), run.stderr[-2000:]
    pixels = _decode_png(shot.read_bytes())
    held = sum(1 for p in pixels if _near(p, (0x2E, 0x7D, 0x5B)))
    planned = sum(1 for p in pixels if _near(p, (0x9D, 0xB4, 0xD3)))
    line = sum(1 for p in pixels if _near(p, (0x7B, 0x3F, 0xA0)))
    amber = sum(1 for p in pixels if _near(p, (0xE0, 0xA5, 0x26)))
    assert held > 2000 and planned > 2000 and line > 300 and amber > 1000, (
        held, planned, line, amber,
    )  # fmt: skip


def _near(p: tuple[int, int, int], q: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= 6 for a, b in zip(p, q, strict=True))


def _decode_png(data: bytes) -> list[tuple[int, int, int]]:
    """A small PNG reader (8-bit RGB/RGBA, not interlaced) – enough for screenshots."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    channels = 4
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        chunk = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, _height, depth, colour, _c, _f, interlace = struct.unpack(">IIBBBBB", chunk)
            assert depth == 8 and interlace == 0 and colour in (2, 6)
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    previous = bytearray(stride)
    out: list[tuple[int, int, int]] = []
    i = 0
    while i < len(raw):
        kind, line = raw[i], bytearray(raw[i + 1 : i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            left = line[x - channels] if x >= channels else 0
            up = previous[x]
            up_left = previous[x - channels] if x >= channels else 0
            if kind == 1:
                line[x] = (line[x] + left) & 0xFF
            elif kind == 2:
                line[x] = (line[x] + up) & 0xFF
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 0xFF
            elif kind == 4:
                pa, pb, pc = abs(up - up_left), abs(left - up_left), abs(left + up - 2 * up_left)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else up_left
                line[x] = (line[x] + pred) & 0xFF
        out += [tuple(line[x : x + 3]) for x in range(0, stride, channels)]  # type: ignore[misc]
        previous = line
    return out
