// Intercept–slope covariance explorer (anywidget front end).
// Every text taken from data is set with textContent, never parsed as markup.
// The kernel only receives {kind: "centre", value} and {kind: "select", index} messages, and the
// show_own switch (a boolean trait).
import {
  toFloat64Array, decodeNames, centredCovariance, centredIntercepts, contourRadius,
  ellipsePoints, paddedExtent, linearScale, nearestIndex, linesPath, polygonPath,
  formatNumber, clamp, ticks,
} from "./covariance_math.js";

const SVG_NS = "http://www.w3.org/2000/svg";
const W = 340;
const H = 280;
const M = { left: 56, right: 12, top: 12, bottom: 40 };
const STYLE = `
.mw-cov { font-family: var(--jp-ui-font-family, sans-serif); font-size: 12px;
  color: var(--jp-ui-font-color1, #222); max-width: 720px; overflow-wrap: anywhere; }
.mw-cov-title { font-weight: 600; margin: 2px 0 6px; }
.mw-cov-caption { color: var(--jp-ui-font-color2, #555); margin: 0 0 2px 8px; font-size: 11px;
  max-width: ${W - 8}px; line-height: 1.35; }
.mw-cov-panel { flex: 0 1 ${W}px; min-width: 0; }
.mw-cov-panels { display: flex; flex-wrap: wrap; gap: 8px; }
.mw-cov svg { background: var(--jp-layout-color0, #fff); overflow: visible; }
.mw-cov .axis line, .mw-cov .axis path { stroke: #888; }
.mw-cov .axis text { fill: var(--jp-ui-font-color2, #555); font-size: 10px; }
.mw-cov .zero { stroke: #bbb; stroke-dasharray: 3 3; }
.mw-cov .ellipse { fill: rgba(31,119,180,0.08); stroke: #1f77b4; stroke-width: 1.5; }
.mw-cov .pt { fill: #2f3b48; fill-opacity: 0.75; }
.mw-cov .pt.hover { fill: #4c78a8; fill-opacity: 1; }
.mw-cov .pt.selected { fill: #e08a00; fill-opacity: 1; stroke: #000; stroke-width: 1.5; }
.mw-cov .own { fill: #fff; stroke: #8c8c8c; stroke-width: 1; }
.mw-cov .shrink { stroke: #8c8c8c; stroke-width: 0.8; fill: none; }
.mw-cov .all-lines { stroke: #4c78a8; fill: none; }
.mw-cov .hover-line { stroke: #4c78a8; stroke-width: 3; fill: none; }
.mw-cov .selected-line { stroke: #e08a00; stroke-width: 3; fill: none; }
.mw-cov-own { margin: 4px 0; display: flex; align-items: center; gap: 6px; }
.mw-cov-svg { max-width: 100%; height: auto; }
.mw-cov .centre-line { stroke: #2ca02c; stroke-width: 1.5; stroke-dasharray: 5 3; }
.mw-cov-controls { margin: 8px 0 4px; display: flex; align-items: center; gap: 8px; }
.mw-cov-controls input { width: 260px; }
.mw-cov-readout div { margin: 2px 0; font-variant-numeric: tabular-nums; }
.mw-cov-hover { min-height: 1.4em; color: var(--jp-ui-font-color2, #555); }
.mw-cov-note { color: var(--jp-ui-font-color2, #555); font-style: italic; }
`;

function svgEl(tag, attrs = {}, parent = null) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (parent) parent.appendChild(node);
  return node;
}

function htmlEl(tag, cls, parent, text = "") {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text) node.textContent = text;
  if (parent) parent.appendChild(node);
  return node;
}

function readModel(model) {
  const n = model.get("n_levels");
  const tau = model.get("tau");
  return {
    names: decodeNames(model.get("levels_utf8"), n),
    u0: toFloat64Array(model.get("u0")),
    u1: toFloat64Array(model.get("u1")),
    own0: toFloat64Array(model.get("own0")),
    own1: toFloat64Array(model.get("own1")),
    showOwn: Boolean(model.get("show_own")),
    tau00: tau[0], tau01: tau[1], tau11: tau[2],
    beta0: model.get("beta")[0], beta1: model.get("beta")[1],
    xRange: model.get("x_range"),
    cRange: model.get("centre_range"),
    group: model.get("group"),
    slope: model.get("slope_name"),
    yLabel: model.get("response_label") || "group-specific line",
    level: model.get("contour_level"),
    note: model.get("note"),
  };
}

function hasOwn(d) {
  return d.own0.length === d.u0.length && d.own0.length > 0;
}

function finiteOnly(values) {
  return Array.from(values).filter((v) => Number.isFinite(v));
}

function fixedDomains(d) {
  const radius = contourRadius(d.level);
  const showOwn = d.showOwn && hasOwn(d);
  const ends = d.cRange.map((c) => {
    const cov = centredCovariance(d.tau00, d.tau01, d.tau11, c);
    const ell = ellipsePoints(cov.var0, cov.cov01, cov.var1, radius, 24);
    const own = showOwn ? finiteOnly(centredIntercepts(d.own0, d.own1, c)) : [];
    return { pts: centredIntercepts(d.u0, d.u1, c), ell, own };
  });
  const xs = ends.flatMap((e) => [e.pts, e.ell.map((p) => p[0]), e.own]);
  const ys = [d.u1, ends[0].ell.map((p) => p[1]), [0], showOwn ? finiteOnly(d.own1) : []];
  const lineX = [Math.min(d.xRange[0], d.cRange[0]), Math.max(d.xRange[1], d.cRange[1])];
  const lineY = [];
  for (const x of lineX) {
    lineY.push(Array.from(d.u0, (u, i) => d.beta0 + u + (d.beta1 + d.u1[i]) * x));
  }
  return { x: paddedExtent([...xs, [0]]), y: paddedExtent(ys), lineX, lineY: paddedExtent(lineY) };
}

function drawAxes(svg, sx, sy, xDomain, yDomain, xLabel, yLabel) {
  const g = svgEl("g", { class: "axis" }, svg);
  const y0 = H - M.bottom;
  svgEl("line", { x1: M.left, x2: W - M.right, y1: y0, y2: y0 }, g);
  svgEl("line", { x1: M.left, x2: M.left, y1: M.top, y2: y0 }, g);
  for (const t of ticks(xDomain[0], xDomain[1], 5)) {
    svgEl("line", { x1: sx(t), x2: sx(t), y1: y0, y2: y0 + 4 }, g);
    svgEl("text", { x: sx(t), y: y0 + 15, "text-anchor": "middle" }, g).textContent = formatNumber(t);
  }
  for (const t of ticks(yDomain[0], yDomain[1], 5)) {
    svgEl("line", { x1: M.left - 4, x2: M.left, y1: sy(t), y2: sy(t) }, g);
    svgEl("text", { x: M.left - 6, y: sy(t) + 3, "text-anchor": "end" }, g).textContent = formatNumber(t);
  }
  svgEl("text", { x: (M.left + W - M.right) / 2, y: H - 6, "text-anchor": "middle" }, g).textContent = xLabel;
  const ly = svgEl("text", { x: 12, y: (M.top + y0) / 2, "text-anchor": "middle" }, g);
  ly.setAttribute("transform", `rotate(-90 12 ${(M.top + y0) / 2})`);
  ly.textContent = yLabel;
}

function scalesFor(xDomain, yDomain) {
  return {
    sx: linearScale(xDomain, [M.left, W - M.right]),
    sy: linearScale(yDomain, [H - M.bottom, M.top]),
  };
}

function buildPointsPanel(svg, d, dom) {
  svg.replaceChildren();
  const { sx, sy } = scalesFor(dom.x, dom.y);
  drawAxes(svg, sx, sy, dom.x, dom.y, `intercept deviation at ${d.slope} = c`, `${d.slope} slope deviation`);
  svgEl("line", { class: "zero", x1: sx(0), x2: sx(0), y1: M.top, y2: H - M.bottom }, svg);
  svgEl("line", { class: "zero", x1: M.left, x2: W - M.right, y1: sy(0), y2: sy(0) }, svg);
  const ellipse = svgEl("path", { class: "ellipse" }, svg);
  const shrink = svgEl("path", { class: "shrink" }, svg);
  const ownGroup = svgEl("g", {}, svg);
  const showOwn = d.showOwn && hasOwn(d);
  const own = showOwn ? Array.from(d.own1, (v) => (Number.isFinite(v)
    ? svgEl("circle", { class: "own", r: 2.5, cy: sy(v).toFixed(1) }, ownGroup) : null)) : [];
  const g = svgEl("g", {}, svg);
  const r = d.u0.length > 500 ? 2 : 3.5;
  const circles = Array.from(d.u1, (v) => svgEl("circle", { class: "pt", r, cy: sy(v).toFixed(1) }, g));
  return { sx, sy, ellipse, circles, g, own, shrink };
}

function buildLinesPanel(svg, d, dom) {
  svg.replaceChildren();
  const { sx, sy } = scalesFor(dom.lineX, dom.lineY);
  drawAxes(svg, sx, sy, dom.lineX, dom.lineY, d.slope, d.yLabel);
  const intercepts = Array.from(d.u0, (u) => d.beta0 + u);
  const slopes = Array.from(d.u1, (u) => d.beta1 + u);
  const opacity = Math.min(0.35, 4 / Math.sqrt(Math.max(intercepts.length, 1)));
  const d0 = linesPath(intercepts, slopes, dom.lineX[0], dom.lineX[1], sx, sy);
  const allLines = svgEl("path", { class: "all-lines", d: d0 }, svg);
  allLines.style.strokeOpacity = String(opacity);
  const centre = svgEl("line", { class: "centre-line", y1: M.top, y2: H - M.bottom }, svg);
  const selected = svgEl("path", { class: "selected-line" }, svg);
  const hover = svgEl("path", { class: "hover-line" }, svg);
  return { sx, sy, intercepts, slopes, centre, selected, hover, x: dom.lineX };
}

function lineFor(lines, i) {
  if (i < 0) return "";
  return linesPath([lines.intercepts[i]], [lines.slopes[i]], lines.x[0], lines.x[1], lines.sx, lines.sy);
}

function buildDom(el) {
  el.replaceChildren();
  htmlEl("style", "", el).textContent = STYLE;
  const root = htmlEl("div", "mw-cov", el);
  const ui = { root, title: htmlEl("div", "mw-cov-title", root) };
  ui.note = htmlEl("div", "mw-cov-note", root);
  ui.body = htmlEl("div", "mw-cov-body", root);
  const panels = htmlEl("div", "mw-cov-panels", ui.body);
  const left = htmlEl("div", "mw-cov-panel", panels);
  ui.pointsCaption = htmlEl("div", "mw-cov-caption", left);
  ui.pointsSvg = svgEl("svg", { class: "mw-cov-points mw-cov-svg", width: W, height: H,
    viewBox: `0 0 ${W} ${H}` }, left);
  const right = htmlEl("div", "mw-cov-panel", panels);
  ui.linesCaption = htmlEl("div", "mw-cov-caption", right);
  ui.linesSvg = svgEl("svg", { class: "mw-cov-lines mw-cov-svg", width: W, height: H,
    viewBox: `0 0 ${W} ${H}` }, right);
  const ownRow = htmlEl("label", "mw-cov-own", ui.body);
  ui.ownBox = htmlEl("input", "mw-cov-own-switch", ownRow);
  ui.ownBox.type = "checkbox";
  ui.ownText = htmlEl("span", "", ownRow);
  ui.ownRow = ownRow;
  const controls = htmlEl("div", "mw-cov-controls", ui.body);
  ui.label = htmlEl("label", "mw-cov-label", controls);
  ui.slider = htmlEl("input", "mw-cov-centre", controls);
  ui.slider.type = "range";
  // keep JupyterLab's notebook shortcuts (arrow keys move between cells) away from the slider
  ui.slider.setAttribute("data-lm-suppress-shortcuts", "true");
  ui.slider.setAttribute("aria-label", "centring point c");
  const readout = htmlEl("div", "mw-cov-readout", ui.body);
  ui.var0 = htmlEl("div", "mw-cov-var0", readout);
  ui.tau01 = htmlEl("div", "mw-cov-tau01", readout);
  ui.corr = htmlEl("div", "mw-cov-corr", readout);
  ui.hover = htmlEl("div", "mw-cov-hover", ui.body);
  return ui;
}

function createView(model, el) {
  const ui = buildDom(el);
  const state = { d: null, pts: null, lines: null, c: 0, hovered: -1, selected: -1, px: [], py: [] };

  function setup() {
    state.d = readModel(model);
    const d = state.d;
    ui.note.textContent = d.note;
    ui.body.style.display = d.note ? "none" : "";
    if (d.note) return;
    ui.title.textContent = `Intercept–slope covariance for ${d.group} (slope: ${d.slope})`;
    const pct = Math.round(d.level * 100);
    ui.pointsCaption.textContent = `Dots: each ${d.group}'s conditional modes (shrunken towards 0). `
      + `Ellipse: the model's estimated distribution of ${d.group} effects (${pct}%); the modes sit `
      + "inside it, tighter than the distribution itself.";
    ui.linesCaption.textContent = `Each ${d.group}'s fitted line from its conditional modes; `
      + `dashed green: ${d.slope} = c. Click a dot or a line to pick a ${d.group}.`;
    ui.ownRow.style.display = hasOwn(d) ? "" : "none";
    ui.ownBox.checked = d.showOwn;
    ui.ownText.textContent = `show each ${d.group}'s own least-squares fit (hollow, no pooling) with a line `
      + "to its conditional mode: the shrinkage";
    const dom = fixedDomains(d);
    state.pts = buildPointsPanel(ui.pointsSvg, d, dom);
    state.lines = buildLinesPanel(ui.linesSvg, d, dom);
    const [lo, hi] = d.cRange;
    ui.slider.min = String(lo);
    ui.slider.max = String(hi);
    ui.slider.step = String((hi - lo) / 200 || 1);
    state.hovered = -1;
    setCentre(model.get("centre"));
    syncSelected();
  }

  function setCentre(c) {
    const d = state.d;
    if (!d || d.note) return;
    state.c = clamp(c, d.cRange[0], d.cRange[1]);
    ui.slider.value = String(state.c);
    ui.label.textContent = `Centre ${d.slope} at c = ${formatNumber(state.c)}`;
    const cov = centredCovariance(d.tau00, d.tau01, d.tau11, state.c);
    ui.var0.textContent = `Intercept variance at c: τ00 + 2cτ01 + c²τ11 = ${formatNumber(cov.var0)}`;
    ui.tau01.textContent = `τ01 at c: τ01 + cτ11 = ${formatNumber(cov.cov01)}`;
    ui.corr.textContent = `Intercept–slope correlation at c: ${formatNumber(cov.corr)}`;
    movePoints(cov);
  }

  function movePoints(cov) {
    const { sx, sy, ellipse, circles } = state.pts;
    const xs = centredIntercepts(state.d.u0, state.d.u1, state.c);
    state.px = Array.from(xs, sx);
    state.py = Array.from(state.d.u1, sy);
    circles.forEach((circle, i) => circle.setAttribute("cx", state.px[i].toFixed(1)));
    moveOwn();
    const ell = ellipsePoints(cov.var0, cov.cov01, cov.var1, contourRadius(state.d.level));
    ellipse.setAttribute("d", polygonPath(ell, sx, sy));
    const x = state.lines.sx(state.c);
    state.lines.centre.setAttribute("x1", x);
    state.lines.centre.setAttribute("x2", x);
  }

  function moveOwn() {
    const { sx, sy, own, shrink } = state.pts;
    if (!own.length) {
      shrink.setAttribute("d", "");
      return;
    }
    const d = state.d;
    const ox = centredIntercepts(d.own0, d.own1, state.c);
    let path = "";
    own.forEach((circle, i) => {
      if (!circle) return;
      const x = sx(ox[i]);
      circle.setAttribute("cx", x.toFixed(1));
      path += `M${x.toFixed(1)},${sy(d.own1[i]).toFixed(1)}L${state.px[i].toFixed(1)},${state.py[i].toFixed(1)}`;
    });
    shrink.setAttribute("d", path);
  }

  function lineIndex(event) {
    const box = ui.linesSvg.getBoundingClientRect();
    const scale = W / (box.width || W);
    const px = (event.clientX - box.left) * scale;
    const py = (event.clientY - box.top) * scale;
    const lines = state.lines;
    const x = lines.sx.invert ? lines.sx.invert(px) : null;
    if (x === null) return -1;
    let best = -1;
    let bestDistance = 6;
    for (let i = 0; i < lines.intercepts.length; i += 1) {
      const distance = Math.abs(lines.sy(lines.intercepts[i] + lines.slopes[i] * x) - py);
      if (distance < bestDistance) {
        best = i;
        bestDistance = distance;
      }
    }
    return best;
  }

  function setHovered(i) {
    const circles = state.pts.circles;
    if (state.hovered >= 0) circles[state.hovered].classList.remove("hover");
    state.hovered = i;
    state.lines.hover.setAttribute("d", lineFor(state.lines, i));
    if (i < 0) {
      ui.hover.textContent = "";
      return;
    }
    circles[i].classList.add("hover");
    circles[i].parentNode.appendChild(circles[i]);
    const d = state.d;
    const u0c = d.u0[i] + state.c * d.u1[i];
    ui.hover.textContent = `${d.group} ${d.names[i]}: intercept deviation at c = ${formatNumber(u0c)}, `
      + `slope deviation = ${formatNumber(d.u1[i])}`;
  }

  function syncSelected() {
    const d = state.d;
    if (!d || d.note) return;
    const circles = state.pts.circles;
    if (state.selected >= 0 && circles[state.selected]) circles[state.selected].classList.remove("selected");
    state.selected = d.names.indexOf(model.get("selected_level"));
    state.lines.selected.setAttribute("d", lineFor(state.lines, state.selected));
    if (state.selected >= 0) {
      circles[state.selected].classList.add("selected");
      circles[state.selected].parentNode.appendChild(circles[state.selected]);
    }
  }

  function pointerIndex(event) {
    const box = ui.pointsSvg.getBoundingClientRect();
    const scale = W / (box.width || W);
    return nearestIndex((event.clientX - box.left) * scale, (event.clientY - box.top) * scale, state.px, state.py, 8);
  }

  const onMove = (event) => { if (state.pts) setHovered(pointerIndex(event)); };
  const onLeave = () => { if (state.pts) setHovered(-1); };
  const onClick = (event) => { if (state.pts) model.send({ kind: "select", index: pointerIndex(event) }); };
  const onInput = () => setCentre(Number(ui.slider.value));
  const onLineClick = (event) => {
    if (!state.lines) return;
    const i = lineIndex(event);
    if (i >= 0) model.send({ kind: "select", index: i });
  };
  const onOwn = () => {
    model.set("show_own", ui.ownBox.checked);  // fires change:show_own here too, which redraws
    model.save_changes();
  };
  ui.linesSvg.addEventListener("click", onLineClick);
  ui.ownBox.addEventListener("change", onOwn);
  // The kernel echoes accepted centring values back; ignore those echoes so that a fast series of
  // moves is not reset to an older value.
  const echoes = new Map();
  const onChange = () => {
    echoes.set(state.c, (echoes.get(state.c) || 0) + 1);
    model.send({ kind: "centre", value: state.c });
  };
  ui.pointsSvg.addEventListener("mousemove", onMove);
  ui.pointsSvg.addEventListener("mouseleave", onLeave);
  ui.pointsSvg.addEventListener("click", onClick);
  ui.slider.addEventListener("input", onInput);
  ui.slider.addEventListener("change", onChange);
  const onData = () => setup();
  const onCentre = () => {
    const value = model.get("centre");
    const pending = echoes.get(value) || 0;
    if (pending > 0) {
      if (pending === 1) echoes.delete(value);
      else echoes.set(value, pending - 1);
      return;
    }
    setCentre(value);
  };
  model.on("change:data_version", onData);
  model.on("change:centre", onCentre);
  model.on("change:selected_level", syncSelected);
  model.on("change:show_own", onData);
  setup();
  return () => {
    model.off("change:data_version", onData);
    model.off("change:centre", onCentre);
    model.off("change:selected_level", syncSelected);
    model.off("change:show_own", onData);
    ui.linesSvg.removeEventListener("click", onLineClick);
    ui.ownBox.removeEventListener("change", onOwn);
  };
}

export default {
  render({ model, el }) {
    return createView(model, el);
  },
};
