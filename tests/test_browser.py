"""The pages in a real browser: the training films and the backward stepper, driven by Playwright in Chromium.

Chromium is the system's (Debian's `chromium`, which .ci/run installs), never a browser Playwright
downloads. Without it (or without the `playwright` package) these tests are skipped on a developer's
machine and fail under CI=true.
"""

import math
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from chainrule import Value, nn, viz
from chainrule.cli import main
from chainrule.viz.text import number

pytestmark = pytest.mark.slow

CHROMIUM = os.environ.get("CHAINRULE_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-default-apps", "--mute-audio"]
LOADED = "document.getElementById('film').dataset.frames !== '0'"


def _missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    if CHROMIUM is None:
        return "no chromium on PATH (apt-get install chromium; CI installs it)"
    return None


@pytest.fixture(scope="module")
def browser():
    reason = _missing()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"browser tests must run on CI: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


class Visit:
    """A page opened from disk, with every console message, page error and request it caused."""

    def __init__(self, browser, path: Path, width: int = 1400):
        self.page = browser.new_page(viewport={"width": width, "height": 1000})
        self.messages, self.errors, self.requests = [], [], []
        self.page.on("console", lambda message: self.messages.append((message.type, message.text)))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.url = path.resolve().as_uri()
        self.page.goto(self.url)

    def player(self, name: str) -> str:
        return self.page.get_attribute("#film", f"data-{name}")

    def frame(self) -> int:
        return int(self.player("frame"))

    def clean(self) -> None:
        assert self.errors == []
        assert [m for m in self.messages if m[0] in ("error", "warning")] == []
        assert self.requests == [self.url]


@pytest.fixture(scope="module")
def films(tmp_path_factory):
    folder = tmp_path_factory.mktemp("films")
    paths = {"xor": folder / "xor.html", "moons": folder / "moons.html"}
    assert main(["gate", "xor", "--film", str(paths["xor"])]) == 0
    assert main(["moons", "--film", str(paths["moons"])]) == 0
    return paths


@pytest.fixture(params=["xor", "moons"])
def film(request, browser, films):
    visit = Visit(browser, films[request.param])
    visit.page.wait_for_function(LOADED, timeout=20_000)
    visit.name = request.param
    yield visit
    visit.page.close()


def test_the_film_loads_with_no_error_and_asks_for_nothing_but_itself(film):
    frames = {"xor": 301, "moons": 101}[film.name]
    assert film.player("frames") == str(frames) and film.frame() == 0
    assert film.page.locator("#status").text_content() == ""
    assert film.page.locator("circle.point").count() == {"xor": 4, "moons": 100}[film.name]
    film.clean()


def test_keys_move_the_frame(film):
    last = int(film.player("frames")) - 1
    film.page.keyboard.press("ArrowRight")
    assert film.frame() == 1
    film.page.keyboard.press("ArrowRight")
    film.page.keyboard.press("ArrowLeft")
    assert film.frame() == 1
    film.page.keyboard.press("End")
    assert film.frame() == last
    film.page.keyboard.press("ArrowRight")
    assert film.frame() == last
    film.page.keyboard.press("Home")
    assert film.frame() == 0
    assert film.page.input_value("#slider") == "0"
    film.clean()


def test_space_plays_and_the_frame_advances_by_itself_then_space_pauses(film):
    film.page.keyboard.press("Space")
    assert film.player("playing") == "true"
    film.page.wait_for_function("Number(document.getElementById('film').dataset.frame) >= 3", timeout=10_000)
    film.page.keyboard.press("Space")
    assert film.player("playing") == "false"
    paused = film.frame()
    film.page.wait_for_timeout(400)
    assert film.frame() == paused > 0
    film.clean()


def test_buttons_and_the_slider_move_the_frame(film):
    film.page.click("#next")
    film.page.click("#next")
    assert film.frame() == 2
    film.page.click("#prev")
    assert film.frame() == 1
    film.page.fill("#slider", "5")
    assert film.frame() == 5
    assert "frame 5 of" in film.page.text_content("#counter")


def activations(visit):
    return visit.page.eval_on_selector_all(".diagram rect.frame", "frames => frames.map(f => f.dataset.activation)")


def test_clicking_a_point_selects_its_sample_and_the_diagram_follows(film):
    film.page.keyboard.press("End")
    before = activations(film)
    chosen = film.page.evaluate(
        """() => {
            for (const point of document.querySelectorAll('circle.point')) {
                const box = point.getBoundingClientRect();
                const top = document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2);
                if (top === point && point.dataset.sample !== '0') return point.dataset.sample;
            }
        }"""
    )
    film.page.click(f"circle.point[data-sample='{chosen}']")
    assert film.player("sample") == chosen
    after = activations(film)
    assert after != before and len(after) == len(before)
    assert f"Sample #{chosen} of" in film.page.text_content("#sample")
    film.clean()


def test_hovering_an_edge_and_a_neuron_shows_their_numbers(film):
    film.page.hover(".diagram canvas >> nth=3")
    card = film.page.text_content("#card")
    assert "local gradient da/dz" in card and "bias b =" in card
    film.page.dispatch_event(".diagram .hit >> nth=0", "mouseenter")
    card = film.page.text_content("#card")
    assert "Weight from x1 to" in card and "w = " in card and "\u2202L/\u2202w" in card


def test_first_and_last_frames_look_different(film, tmp_path):
    first = film.page.screenshot(path=str(tmp_path / "first.png"), full_page=True)
    film.page.keyboard.press("End")
    last = film.page.screenshot(path=str(tmp_path / "last.png"), full_page=True)
    assert first != last


def test_at_the_last_frame_of_the_xor_film_the_boundary_is_right_on_all_four_points(browser, films):
    visit = Visit(browser, films["xor"])
    visit.page.wait_for_function(LOADED, timeout=20_000)
    visit.page.keyboard.press("End")
    visit.clean()  # before reading pixels back, which makes Chromium advise willReadFrequently
    points = visit.page.evaluate(
        """() => {
            const canvas = document.getElementById('map');
            const [x0, x1, y0, y1] = canvas.dataset.extent.split(' ').map(Number);
            const side = document.getElementById('points').viewBox.baseVal.width;
            const context = canvas.getContext('2d');
            return [...document.querySelectorAll('circle.point')].map((point) => {
                const [cx, cy] = [Number(point.getAttribute('cx')), Number(point.getAttribute('cy'))];
                const [r, g, b] = context.getImageData(Math.floor(cx / side * canvas.width),
                                                       Math.floor(cy / side * canvas.height), 1, 1).data;
                return {x: x0 + cx / side * (x1 - x0), y: y1 - cy / side * (y1 - y0), r, b,
                        label: Number(point.dataset.label), correct: point.dataset.correct};
            });
        }"""
    )
    for point in points:
        point["x"], point["y"] = round(point["x"], 6), round(point["y"], 6)
    assert sorted((p["x"], p["y"], p["label"]) for p in points) == [(0, 0, 0), (0, 1, 1), (1, 0, 1), (1, 1, 0)]
    for point in points:
        assert point["correct"] == "true"
        purple = point["b"] > point["r"]  # the map is purple above the threshold (class 1), orange below
        assert purple == (point["label"] == 1), point
    visit.page.close()


def test_the_film_plays_inside_jupyters_iframe(browser, tmp_path):
    from chainrule import nn

    X, y = nn.data.logic_gate("and")
    model = nn.MLP(2, [2, 1], activation="tanh", output_activation="sigmoid", seed=0)
    recorder = nn.Recorder(model, X, y, "binary_cross_entropy")
    nn.fit(model, X, y, "binary_cross_entropy", "adam", epochs=5, progress=False, on_step_end=recorder)
    notebook_like = tmp_path / "cell.html"
    notebook_like.write_text(f"<!DOCTYPE html><html><body>{viz.film(recorder)._repr_html_()}</body></html>",
                             encoding="utf-8")
    visit = Visit(browser, notebook_like)
    inner = visit.page.frame_locator("iframe")
    inner.locator("#film[data-frames='6']").wait_for(timeout=20_000)
    inner.locator("h1").click()  # the keys go to the film once its frame has the focus, as in a notebook
    visit.page.keyboard.press("ArrowRight")
    assert inner.locator("#film").get_attribute("data-frame") == "1"
    assert visit.errors == [] and [m for m in visit.messages if m[0] == "error"] == []
    assert [url for url in visit.requests if url != visit.url] in ([], ["about:srcdoc"])
    visit.page.close()


def test_the_backward_stepper_advances_with_the_arrow_key(browser, tmp_path):
    x1, x2, w1, w2 = Value(2.0, "x1"), Value(0.0, "x2"), Value(-3.0, "w1"), Value(1.0, "w2")
    b = Value(6.8813735870195432, "b")
    o = (x1 * w1 + x2 * w2 + b).tanh()
    o.label = "o"
    path = viz.backward_steps(o, tmp_path / "steps.html", renderer="graphviz-pure")
    visit = Visit(browser, path)
    formula = "document.querySelector('section.step.current .formula').textContent"
    first = visit.page.evaluate(formula)
    assert visit.page.evaluate("location.hash") == "#step-0"
    visit.page.keyboard.press("ArrowRight")
    assert visit.page.evaluate("location.hash") == "#step-1"
    second = visit.page.evaluate(formula)
    assert second != first and second.startswith("grad(")
    visit.page.keyboard.press("End")
    assert visit.page.evaluate("document.querySelector('section.step.current').dataset.step") == str(
        visit.page.locator("section.step").count() - 1
    )
    visit.page.keyboard.press("ArrowDown")  # down goes back, up forward, on the page as on its slider
    shown = "location.hash"
    last = visit.page.locator("section.step").count() - 1
    assert visit.page.evaluate(shown) == f"#step-{last - 1}"
    visit.page.keyboard.press("ArrowUp")
    assert visit.page.evaluate(shown) == f"#step-{last}"
    visit.page.click("input[type=range]")
    visit.page.keyboard.press("Home")
    visit.page.keyboard.press("ArrowUp")
    assert visit.page.evaluate(shown) == "#step-1"
    visit.clean()
    visit.page.close()


def test_the_pages_numbers_match_pythons(browser):
    """film.js's `num` (run in Chromium, as the page runs it) writes numbers as viz.text.number does."""
    script = (Path(viz.__file__).parent / "assets" / "film.js").read_text(encoding="utf-8")
    source = "".join(
        re.search(rf"^  function {name}\(\w+\) \{{\n.*?^  \}}\n", script, re.S | re.M).group(0)
        for name in ("num", "fourDigits")
    )
    page = browser.new_page()
    rng = np.random.default_rng(0)
    signs, exponents = rng.choice([-1, 1], 2000) * rng.random(2000), rng.uniform(-8, 9, 2000)
    spread = [float(s * 10.0**e) for s, e in zip(signs, exponents)]
    try:
        cases = [-1.5e-5, 1.5e-5, -123456.0, 0.70710678, -3.0, 2.5e7, -0.0, 12345.0, -12355.0, 99999.0, 9999.5, 1234.5,
                 0.000099996, 0.00012345, 1e-4, 1e4, 0.12345, 2.0**-20, 5e-324, 1.7976931348623157e308, *spread]
        shown = page.evaluate(f"(xs) => {{ {source} return xs.map(num); }}", cases)
    finally:
        page.close()
    assert shown == [number(x) for x in cases]


def _one_outlier_film(path: Path, every: int = 25) -> nn.Recording:
    """300 separable samples, one of them a mislabelled outlier no line can fix: the accuracy stays under 100%."""
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(600, 2))
    X = X[np.abs(X.sum(axis=1)) > 0.3][:300]
    y = (X[:, 0] + X[:, 1] > 0).astype(float)
    y[0], X[0] = 1.0 - y[0], ([0.9, 0.9] if y[0] == 1.0 else [-0.9, -0.9])
    model = nn.MLP(2, [1], output_activation="sigmoid", seed=0)
    recorder = nn.Recorder(model, X, y, "binary_cross_entropy", every=every)
    nn.fit(model, X, y, "binary_cross_entropy", nn.Adam(model.parameters(), lr=0.1), epochs=60, progress=False,
           on_step_end=recorder)
    viz.film(recorder, path)
    return recorder.recording


def test_the_counter_never_rounds_a_wrong_sample_up_to_100_percent(browser, tmp_path):
    recording = _one_outlier_film(tmp_path / "outlier.html")
    wrong = int((~recording.sample_correct[-1]).sum())
    assert wrong >= 1 and recording.accuracy[-1] > 0.995  # so a whole percent would read 100
    visit = Visit(browser, tmp_path / "outlier.html")
    visit.page.wait_for_function(LOADED, timeout=20_000)
    visit.page.keyboard.press("End")
    counter = visit.page.text_content("#counter")
    shown = f"accuracy {math.floor(1000 * recording.accuracy[-1] + 1e-6) / 10:.1f}%"
    assert counter.endswith(shown) and "100" not in shown
    assert visit.page.locator("circle.point.wrong").count() == wrong
    assert visit.page.text_content("#about").count("Each frame is the network after the optimizer steps its counter")
    assert recording.steps.tolist() == [0, 25, 50, 60]
    assert "a frame every 25 steps and one at the last, step 60" in visit.page.text_content("#reproduce")
    visit.page.keyboard.press("Home")
    visit.page.keyboard.press("ArrowRight")
    assert f"step {recording.steps[1]} " in visit.page.text_content("#counter") and recording.steps[1] == 25
    visit.clean()
    visit.page.close()


def test_the_counter_shows_the_share_of_samples_drawn_right_at_every_frame(browser, films):
    """The accuracy to 0.1 is the count of points not ringed as wrong: 57 of 100 reads 57.0%, not 56.9%."""
    visit = Visit(browser, films["moons"])
    visit.page.wait_for_function(LOADED, timeout=20_000)
    shown = set()
    for frame in range(int(visit.player("frames"))):
        right = 100 - visit.page.locator("circle.point.wrong").count()
        assert visit.page.text_content("#counter").endswith(f"accuracy {right:.1f}%" if right < 100 else "100%"), frame
        shown.add(right)
        visit.page.keyboard.press("ArrowRight")
    assert len(shown) > 10  # many different shares were checked, not one
    visit.clean()
    visit.page.close()


def test_points_far_from_zero_are_drawn_where_they_are(browser, tmp_path):
    """Inputs near 1e7 (float32 steps by 1 there) still land at their own place on the plane, in line with X."""
    rng = np.random.default_rng(1)
    X = 1e7 + rng.normal(0, 2, size=(20, 2))
    y = (X[:, 0] > 1e7).astype(float)
    model = nn.MLP(2, [1], output_activation="sigmoid", seed=0)
    recorder = nn.Recorder(model, X, y, "binary_cross_entropy")
    viz.film(recorder, tmp_path / "far.html")
    visit = Visit(browser, tmp_path / "far.html")
    visit.page.wait_for_function(LOADED, timeout=20_000)
    points = visit.page.locator("circle.point")
    for axis, name in ((0, "cx"), (1, "cy")):
        drawn = np.array([float(points.nth(i).get_attribute(name)) for i in range(len(X))])
        slope, offset = np.polyfit(X[:, axis] - 1e7, drawn, 1)
        assert np.abs(drawn - (slope * (X[:, axis] - 1e7) + offset)).max() < 0.02  # the page rounds to 0.01 px
    visit.clean()
    visit.page.close()


def test_space_on_the_slider_plays_and_pauses(film):
    film.page.fill("#slider", "2")
    film.page.focus("#slider")
    film.page.keyboard.press("Space")
    assert film.player("playing") == "true"
    film.page.keyboard.press("Space")
    assert film.player("playing") == "false"
    film.clean()


def test_space_plays_after_a_click_on_a_frame_button_and_presses_one_reached_with_tab(film):
    film.page.click("#next")
    film.page.keyboard.press("ArrowRight")
    film.page.keyboard.press("Space")  # as the legend says: the mouse's button has no use for it
    assert film.player("playing") == "true"
    film.page.keyboard.press("Space")
    assert film.player("playing") == "false"
    paused = film.frame()
    film.page.focus("#slider")
    film.page.keyboard.press("Shift+Tab")  # to ▶ by the keyboard: Space presses it, as any button
    assert film.page.evaluate("document.activeElement.id") == "next"
    film.page.keyboard.press("Space")
    assert film.frame() == paused + 1 and film.player("playing") == "false"
    assert film.page.evaluate("document.activeElement.id") == "next"  # and it keeps the keys
    film.clean()


def test_moving_the_slider_pauses_as_the_buttons_and_keys_do(film):
    film.page.focus("#slider")
    film.page.keyboard.press("Space")
    assert film.player("playing") == "true"
    film.page.keyboard.press("ArrowRight")
    assert film.player("playing") == "false"
    frame = film.frame()
    film.page.wait_for_timeout(400)
    assert film.frame() == frame
    film.clean()


def test_brackets_pin_each_neuron_after_the_weights_into_it_and_escape_unpins(film):
    sizes = [int(size) for size in film.page.evaluate("JSON.parse(document.getElementById('film-data').textContent)"
                                                      ".sizes")]
    expected = ["Input"] * sizes[0]
    for layer in range(1, len(sizes)):
        for _ in range(sizes[layer]):
            expected += ["Weight"] * sizes[layer - 1] + ["neuron"]
    seen = []
    for _ in expected:
        film.page.keyboard.press("]")
        seen.append(film.page.text_content("#card .title"))
    assert [title.split()[0] if title.startswith(("Input", "Weight")) else "neuron" for title in seen] == expected
    assert seen[sizes[0]].startswith("Weight from") and len(set(seen)) == len(seen)  # each one once
    assert "press Esc" in film.page.text_content("#pinned")
    film.page.keyboard.press("]")
    assert film.page.text_content("#card .title") == seen[0]  # round again
    film.page.keyboard.press("[")
    assert film.page.text_content("#card .title") == seen[-1]
    film.page.keyboard.press("Escape")
    assert film.page.text_content("#pinned") == "" and "press ] to step" in film.page.text_content("#card")
    film.clean()


def test_a_pinned_edge_shows_the_recordings_numbers(browser, tmp_path):
    """The card's weight, batch gradient and one sample's chain-rule product, against the recording itself."""
    recording = _one_outlier_film(tmp_path / "card.html", every=5)
    visit = Visit(browser, tmp_path / "card.html")
    visit.page.wait_for_function(LOADED, timeout=20_000)
    frame, sample, k = 3, 7, 1
    visit.page.fill("#slider", str(frame))
    visit.page.click(f"circle.point[data-sample='{sample}']", force=True)
    visit.page.dispatch_event("g[data-layer='0'][data-to='0'][data-from='1'] .hit", "click")
    card = visit.page.text_content("#card")
    x = recording.X[sample, k]
    delta = recording.sample_deltas[0][frame, sample, 0]
    assert f"w = {number(recording.weights[0][frame, 0, k])}" in card
    assert f"\u2202L/\u2202w = {number(recording.weight_gradients[0][frame, 0, k])} over all samples" in card
    assert f"for sample #{sample}:" in card and card.count(f"= {number(x * delta)}") >= 1
    assert "gradient descent moves w against it" in card
    visit.clean()
    visit.page.close()


@pytest.mark.parametrize("width", [375, 768, 1240, 1400])
def test_the_moons_film_fits_the_window_at_every_width(browser, films, width):
    visit = Visit(browser, films["moons"], width=width)
    visit.page.wait_for_function(LOADED, timeout=20_000)
    assert visit.page.evaluate("document.documentElement.scrollWidth") <= width
    visit.clean()
    visit.page.close()


def _widest_edge(visit) -> tuple[int, int, int]:
    """(layer, to, from) of the edge the diagram draws widest."""
    return tuple(visit.page.evaluate(
        """() => {
            let best = null, width = -1;
            for (const group of document.querySelectorAll('.diagram g[data-layer]')) {
                const w = parseFloat(group.querySelector('.edge').getAttribute('stroke-width'));
                if (w > width) { width = w; best = group; }
            }
            return [best.dataset.layer, best.dataset.to, best.dataset.from].map(Number);
        }"""
    ))


def test_the_edge_modes_size_edges_by_the_recordings_weights_and_gradients(browser, tmp_path):
    model = nn.MLP(2, [3, 1], output_activation="sigmoid", seed=1)
    X, y = nn.data.moons(40, seed=0)
    recorder = nn.Recorder(model, X, y, "binary_cross_entropy")
    nn.fit(model, X, y, "binary_cross_entropy", nn.SGD(model.parameters(), lr=0.5), epochs=3, progress=False,
           on_step_end=recorder)
    viz.film(recorder, tmp_path / "modes.html")
    r, frame, sample = recorder.recording, 0, 0  # where the three modes' widest edges are three different edges
    visit = Visit(browser, tmp_path / "modes.html")
    visit.page.wait_for_function(LOADED, timeout=20_000)
    visit.page.fill("#slider", str(frame))
    visit.page.click(f"circle.point[data-sample='{sample}']", force=True)

    def widest(values: list[np.ndarray]) -> tuple[int, int, int]:
        layer = max(range(len(values)), key=lambda l: np.abs(values[l]).max())
        to, source = np.unravel_index(np.abs(values[layer]).argmax(), values[layer].shape)
        return layer, int(to), int(source)

    weights = [w[frame] for w in r.weights]
    gradients = [g[frame] for g in r.weight_gradients]
    inputs = [r.X[sample], *[a[frame, sample] for a in r.sample_activations[:-1]]]
    per_sample = [np.outer(d[frame, sample], x) for d, x in zip(r.sample_deltas, inputs)]
    expected = {"weight": widest(weights), "gradient": widest(gradients), "sample": widest(per_sample)}
    assert len(set(expected.values())) == 3
    for mode, edge in expected.items():
        visit.page.select_option("#edges", mode)
        assert _widest_edge(visit) == edge, mode
    visit.clean()
    visit.page.close()


def test_discretize_paints_the_plane_in_the_two_class_colours_only(film):
    colours = """() => {
        const canvas = document.getElementById('map');
        const copy = document.createElement('canvas');  // read a copy: the page's own canvas is never read back
        copy.width = canvas.width;
        copy.height = canvas.height;
        const context = copy.getContext('2d', {willReadFrequently: true});
        context.drawImage(canvas, 0, 0);
        const data = context.getImageData(0, 0, copy.width, copy.height).data;
        const seen = new Set();
        for (let i = 0; i < data.length; i += 4) seen.add(data[i] + ',' + data[i + 1] + ',' + data[i + 2]);
        return seen.size;
    }"""
    film.page.keyboard.press("End")
    assert film.page.evaluate(colours) > 2
    film.page.check("#discretize")
    assert film.page.evaluate(colours) == 2
    film.page.uncheck("#discretize")
    assert film.page.evaluate(colours) > 2
    film.clean()


def test_the_speed_sets_how_many_frames_play_each_second(film):
    for fps, low, high in (("1", 0, 3), ("30", 12, 10_000)):
        film.page.keyboard.press("Home")
        film.page.select_option("#speed", fps)
        film.page.click("#play")
        film.page.wait_for_timeout(1000)
        film.page.click("#play")
        assert low <= film.frame() <= high, (fps, film.frame())
    film.clean()


def test_n_and_p_choose_the_sample_without_a_mouse(film):
    samples = {"xor": 4, "moons": 100}[film.name]
    film.page.keyboard.press("n")
    film.page.keyboard.press("n")
    assert film.player("sample") == "2" and "Sample #2 of" in film.page.text_content("#sample")
    film.page.keyboard.press("p")
    film.page.keyboard.press("p")
    film.page.keyboard.press("p")
    assert film.player("sample") == str(samples - 1)
    assert film.frame() == 0
    film.clean()


def test_the_keys_still_work_after_the_slider_or_a_list_picked_with_the_mouse(film):
    film.page.fill("#slider", "2")
    film.page.focus("#slider")
    film.page.keyboard.press("n")
    assert film.player("sample") == "1"  # n and p choose the sample on the slider too
    film.page.keyboard.press("ArrowRight")
    assert film.frame() == 3  # the slider's own arrow key
    film.page.dispatch_event("#edges", "pointerdown")
    film.page.select_option("#edges", "gradient")
    assert film.page.evaluate("document.activeElement.id") != "edges"
    film.page.keyboard.press("ArrowRight")
    film.page.keyboard.press("n")
    assert film.frame() == 4 and film.player("sample") == "2"
    assert film.page.input_value("#edges") == "gradient"  # the arrow moved the frame, not the list
    film.page.focus("#edges")
    film.page.keyboard.press("ArrowDown")  # a list moved with the keys keeps them
    assert film.page.evaluate("document.activeElement.id") == "edges"
    assert film.page.input_value("#edges") == "sample" and film.frame() == 4
    film.clean()


def test_the_film_says_which_parameters_are_frozen(browser, tmp_path):
    X, y = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]), np.array([0.0, 1.0, 1.0, 0.0])
    model = nn.MLP(2, [3, 1], activation="tanh", output_activation="sigmoid", seed=0, backend="numpy")
    model.layers[0].weight.requires_grad = False
    model.layers[1].bias.requires_grad = False
    recorder = nn.Recorder(model, X, y, "binary_cross_entropy")
    nn.fit(model, X, y, "binary_cross_entropy", nn.SGD(model.parameters(), lr=0.5), epochs=5, progress=False,
           on_step_end=recorder)
    viz.film(recorder, tmp_path / "frozen.html")
    visit = Visit(browser, tmp_path / "frozen.html")
    visit.page.wait_for_function(LOADED, timeout=20_000)
    about = visit.page.text_content("#about")
    assert about.endswith(" Frozen with requires_grad=False at every step: the hidden layer 1's weights, the output "
                          "layer's biases; no step moves them, though their gradients are shown (dotted in the "
                          "diagram).")
    assert visit.page.locator("g[data-layer='0'] path.edge.frozen").count() == 6  # 2 inputs x 3 hidden
    assert visit.page.locator("path.edge.frozen").count() == 6 and visit.page.locator("path.edge").count() == 9
    assert visit.page.locator("rect.bias.frozen").count() == 1 and visit.page.locator("rect.bias").count() == 4
    visit.page.dispatch_event("g[data-layer='0'][data-to='0'][data-from='1'] .hit", "mouseenter")
    card = visit.page.text_content("#card")
    assert "w is frozen (requires_grad=False): no step moves it, whatever its gradient" in card
    visit.page.dispatch_event("g[data-layer='1'][data-to='0'][data-from='1'] .hit", "mouseenter")
    assert "gradient descent moves w against it" in visit.page.text_content("#card")  # the output's weights move
    visit.page.hover(".diagram canvas >> nth=5")  # the output neuron
    assert "over all samples (b is frozen: no step moves it)" in visit.page.text_content("#card")
    visit.clean()
    visit.page.close()


def test_a_layer_made_without_bias_is_drawn_and_described_with_none(browser, tmp_path):
    X, y = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]), np.array([0.0, 1.0, 1.0, 0.0])
    model = nn.Sequential(nn.Linear(2, 3, bias=False, activation="tanh", seed=0), nn.Linear(3, 1, seed=1),
                          nn.Sigmoid())
    recorder = nn.Recorder(model, X, y, "binary_cross_entropy")
    nn.fit(model, X, y, "binary_cross_entropy", nn.SGD(model.parameters(), lr=0.5), epochs=3, progress=False,
           on_step_end=recorder)
    assert recorder.recording.info["no_bias"] == [0]
    viz.film(recorder, tmp_path / "nobias.html")
    visit = Visit(browser, tmp_path / "nobias.html")
    visit.page.wait_for_function(LOADED, timeout=20_000)
    assert visit.page.locator("rect.bias").count() == 1  # the output neuron's only
    visit.page.hover(".diagram canvas >> nth=2")  # hidden neuron 1
    card = visit.page.text_content("#card")
    assert "no bias (its layer was made with bias=False)" in card
    assert "b =" not in card and "\u2202L/\u2202b" not in card
    visit.page.hover(".diagram canvas >> nth=5")  # the output neuron, which has one
    assert "bias b = " in visit.page.text_content("#card")
    visit.clean()
    visit.page.close()


def _small_film(path: Path, sizes: list[int], backend: str = "numpy", **recorder_options) -> nn.Recording:
    """A short run of a 2-input network of `sizes` on the moons, filmed to `path`."""
    X, y = nn.data.moons(40, seed=0)
    model = nn.MLP(2, sizes, output_activation="sigmoid", seed=0, backend=backend)
    recorder = nn.Recorder(model, X, y, "binary_cross_entropy", **recorder_options)
    nn.fit(model, X, y, "binary_cross_entropy", nn.SGD(model.parameters(), lr=0.5), epochs=2, batch_size=20,
           progress=False, on_step_end=recorder)
    viz.film(recorder, path)
    return recorder.recording


def test_the_diagram_zooms_out_in_a_narrow_window_and_back_in_when_it_widens_again(browser, tmp_path):
    _small_film(tmp_path / "wide.html", [8, 8, 1])
    visit = Visit(browser, tmp_path / "wide.html", width=1600)
    visit.page.wait_for_function(LOADED, timeout=20_000)
    zoom = "document.getElementById('diagram').style.zoom"
    assert visit.page.evaluate(zoom) == ""  # no needless 0.999 where the diagram fits
    visit.page.set_viewport_size({"width": 400, "height": 1000})
    visit.page.wait_for_function(f"{zoom} !== '' && Number({zoom}) < 0.9", timeout=5_000)
    narrow = float(visit.page.evaluate(zoom))
    visit.page.set_viewport_size({"width": 900, "height": 1000})
    visit.page.wait_for_function(f"{zoom} === '' || Number({zoom}) > {narrow}", timeout=5_000)
    visit.page.set_viewport_size({"width": 1600, "height": 1000})
    visit.page.wait_for_function(f"{zoom} === ''", timeout=5_000)
    visit.clean()
    visit.page.close()


def test_infinite_and_nan_gradients_are_drawn_widest_while_the_others_keep_the_frames_finite_scale(browser, tmp_path):
    """A run can reach gradients of ±inf or NaN with a finite loss (a tiny weight before a huge one): such an edge is
    drawn at full width (NaN in grey), and the finite ones are sized against the largest finite one."""
    recording = _small_film(tmp_path / "plain.html", [3, 1])
    gradients = recording.weight_gradients[0]
    gradients[0, 0, 0], gradients[0, 1, 0] = -np.inf, np.nan
    viz.film(recording, tmp_path / "broken.html")
    visit = Visit(browser, tmp_path / "broken.html")
    visit.page.wait_for_function(LOADED, timeout=20_000)
    visit.page.select_option("#edges", "gradient")
    drawn = visit.page.evaluate(
        """() => [...document.querySelectorAll('.diagram g[data-layer]')].map((group) => [
            Number(group.dataset.layer), Number(group.dataset.to), Number(group.dataset.from),
            group.querySelector('.edge').getAttribute('stroke-width'),
            group.querySelector('.edge').getAttribute('stroke')])"""
    )
    widths = {(layer, to, source): float(width) for layer, to, source, width, _ in drawn}
    strokes = {(layer, to, source): stroke for layer, to, source, _, stroke in drawn}
    assert all(np.isfinite(list(widths.values())))
    assert widths[(0, 0, 0)] == widths[(0, 1, 0)] == 6.0 and strokes[(0, 1, 0)] == "#888"
    finite = {edge: abs(float(gradients[0][edge[1:]] if edge[0] == 0 else recording.weight_gradients[1][0][edge[1:]]))
              for edge in widths if edge not in ((0, 0, 0), (0, 1, 0))}
    widest = max(finite, key=finite.get)
    assert widths[widest] == 6.0  # the largest finite gradient, not flattened by the inf
    smallest = min(finite, key=finite.get)
    expected = 0.6 + 5.4 * np.sqrt(finite[smallest] / finite[widest])
    assert widths[smallest] == pytest.approx(expected, abs=0.006)
    visit.clean()
    visit.page.close()


def test_space_plays_after_a_mouse_click_on_discretize(film):
    film.page.click("#discretize")
    assert film.page.is_checked("#discretize")
    film.page.keyboard.press("Space")
    assert film.player("playing") == "true" and film.page.is_checked("#discretize")
    film.page.keyboard.press("Space")
    film.page.focus("#discretize")
    film.page.keyboard.press("Space")  # reached with the keys, the box keeps them: Space unticks it
    assert not film.page.is_checked("#discretize") and film.player("playing") == "false"
    film.clean()


def test_the_footer_shows_nested_hyperparameters_as_written_and_deep_column_labels_do_not_overlap(browser, tmp_path):
    _small_film(tmp_path / "deep.html", [10, 10, 10, 10, 10, 1],
                hyperparameters={"optimizer": {"name": "sgd", "lr": 0.5}, "sizes": [10, 1]})
    visit = Visit(browser, tmp_path / "deep.html", width=1280)
    visit.page.wait_for_function(LOADED, timeout=20_000)
    footer = visit.page.text_content("#reproduce")
    assert 'optimizer = {"name":"sgd","lr":0.5}, sizes = [10,1]' in footer and "[object Object]" not in footer
    boxes = visit.page.evaluate(
        "[...document.querySelectorAll('.diagram text.column')].map((t) => { const b = t.getBoundingClientRect(); "
        "return [b.left, b.right]; })"
    )
    assert len(boxes) == 7
    assert all(right < next_left for (_, right), (next_left, _) in zip(boxes, boxes[1:]))
    visit.clean()
    visit.page.close()


def test_the_backward_stepper_follows_an_address_changed_after_loading(browser, tmp_path):
    x, w = Value(2.0, "x"), Value(-3.0, "w")
    out = (x * w).tanh()
    path = viz.backward_steps(out, tmp_path / "steps.html", renderer="graphviz-pure")
    visit = Visit(browser, path)
    current = "document.querySelector('section.step.current').dataset.step"
    visit.page.evaluate("location.hash = '#step-2'")
    visit.page.wait_for_function(f"{current} === '2'", timeout=5_000)
    visit.page.evaluate("location.hash = '#step-99'")  # beyond the last: the last, and the address says so
    last = str(visit.page.locator("section.step").count() - 1)
    visit.page.wait_for_function(f"{current} === '{last}'", timeout=5_000)
    assert visit.page.evaluate("location.hash") == f"#step-{last}"
    visit.clean()
    visit.page.close()


def test_a_long_unbroken_title_wraps_in_a_narrow_window(browser, tmp_path):
    o = Value(2.0, "x") * 3
    title = "x" * 300
    pages = [viz.backward_steps(o, tmp_path / "steps.html", renderer="graphviz-pure")]
    recording = _small_film(tmp_path / "plain.html", [2, 1])
    viz.film(recording, tmp_path / "titled.html", title=title)
    pages.append(tmp_path / "titled.html")
    o.label = "a" * 300  # the stepper's titles and notes name it
    pages.append(viz.backward_steps(o, tmp_path / "labelled.html", renderer="graphviz-pure"))
    for path in pages:
        visit = Visit(browser, path, width=400)
        assert visit.page.evaluate("document.documentElement.scrollWidth") <= 400
        visit.clean()
        visit.page.close()


@pytest.mark.parametrize(
    ("hidden", "title"),
    [([2, 1], None), ([6, 1], None), ([8, 1], None), ([12, 1], None), ([8, 8, 1], None), ([16, 16, 1], None),
     ([3, 1], "A two-layer network learns the moons, filmed every step, with its loss and its decision boundary"),
     ([16, 1], "A two-layer network learns the moons, filmed every step, with its loss and its decision boundary")],
)
def test_a_films_notebook_frame_is_as_tall_as_its_page(browser, tmp_path, hidden, title):
    X, y = nn.data.moons(30, seed=0)
    model = nn.MLP(2, hidden, output_activation="sigmoid", seed=0, backend="numpy")
    shown = viz.film(nn.Recorder(model, X, y, "binary_cross_entropy"), title=title)
    shown.save(tmp_path / "film.html")
    for width in (900, 1000, 1200, 1400):  # a notebook's cells, narrow to wide
        visit = Visit(browser, tmp_path / "film.html", width=width)
        visit.page.wait_for_function(LOADED, timeout=20_000)
        assert visit.page.evaluate("document.documentElement.scrollHeight") <= shown.height, width
        visit.clean()
        visit.page.close()


def test_a_perceptrons_card_names_rosenblatts_rule_and_a_one_frame_film_cannot_play(browser, tmp_path):
    path = tmp_path / "and.html"
    assert main(["gate", "and", "--model", "perceptron", "--film", str(path)]) == 0
    visit = Visit(browser, path)
    visit.page.wait_for_function(LOADED, timeout=20_000)
    visit.page.dispatch_event("g[data-layer='0'][data-to='0'][data-from='0'] .hit", "click")
    card = visit.page.text_content("#card")
    assert "Rosenblatt's rule moves w by" in card and "gradient descent" not in card
    visit.clean()
    visit.page.close()
    X, y = nn.data.logic_gate("xor")
    model = nn.MLP(2, [2, 1], activation="tanh", output_activation="sigmoid", seed=0, dtype="float64")
    viz.film(nn.Recorder(model, X, y, "binary_cross_entropy").recording, tmp_path / "one.html")
    visit = Visit(browser, tmp_path / "one.html")
    visit.page.wait_for_function(LOADED, timeout=20_000)
    assert visit.page.is_disabled("#play")
    visit.page.keyboard.press("Space")
    assert visit.player("playing") != "true"
    visit.clean()
    visit.page.close()


def test_the_keyboards_focus_moves_to_the_other_button_when_the_one_it_pressed_is_disabled(film, browser, tmp_path):
    frames = int(film.player("frames"))
    film.page.fill("#slider", str(frames - 2))
    film.page.focus("#next")
    film.page.keyboard.press("Enter")
    assert film.frame() == frames - 1
    assert film.page.evaluate("document.activeElement.id") == "prev"
    film.page.fill("#slider", "1")
    film.page.focus("#prev")
    film.page.keyboard.press("Enter")
    assert film.frame() == 0 and film.page.evaluate("document.activeElement.id") == "next"
    film.clean()
    x = Value(2.0, "x")
    y = x * x + 3.0 * x
    y.label = "y"
    y.backward()
    visit = Visit(browser, viz.backward_steps(y, tmp_path / "steps.html", renderer="graphviz-pure"))
    last = visit.page.locator("section.step").count() - 1
    visit.page.evaluate(f"location.hash = '#step-{last - 1}'")
    visit.page.wait_for_function(f"location.hash === '#step-{last - 1}'")
    visit.page.focus("#next")
    visit.page.keyboard.press("Enter")
    assert visit.page.evaluate("location.hash") == f"#step-{last}"
    assert visit.page.evaluate("document.activeElement.id") == "prev"
    visit.clean()
    visit.page.close()
