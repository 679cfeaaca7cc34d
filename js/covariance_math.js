// Pure functions behind the intercept–slope covariance explorer.
// No DOM here: everything is tested with `node --test tests/js/`.

/** Copy little-endian float64 values out of a DataView, ArrayBuffer or typed array. */
export function toFloat64Array(source) {
  if (source == null) return new Float64Array(0);
  const view = asDataView(source);
  const n = Math.floor(view.byteLength / 8);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i += 1) out[i] = view.getFloat64(i * 8, true);
  return out;
}

function asDataView(source) {
  if (source instanceof DataView) return source;
  if (source instanceof ArrayBuffer) return new DataView(source);
  if (ArrayBuffer.isView(source)) {
    return new DataView(source.buffer, source.byteOffset, source.byteLength);
  }
  throw new TypeError("expected binary data");
}

/** Decode NUL-separated UTF-8 names (the kernel sends level labels this way). */
export function decodeNames(source, count) {
  if (source == null || count === 0) return [];
  const view = asDataView(source);
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  const names = new TextDecoder("utf-8").decode(bytes).split("\0");
  return names.slice(0, count);
}

/** Random-effect covariance after moving the predictor's zero to c. */
export function centredCovariance(tau00, tau01, tau11, c) {
  const var0 = tau00 + 2 * c * tau01 + c * c * tau11;
  const cov01 = tau01 + c * tau11;
  const denom = Math.sqrt(Math.max(var0, 0) * Math.max(tau11, 0));
  const corr = denom > 0 ? clamp(cov01 / denom, -1, 1) : NaN;
  return { var0, cov01, var1: tau11, corr };
}

/** Intercept deviations at centring point c: u0 + c * u1. */
export function centredIntercepts(u0, u1, c) {
  const out = new Float64Array(u0.length);
  for (let i = 0; i < u0.length; i += 1) out[i] = u0[i] + c * u1[i];
  return out;
}

/** Eigen-decomposition of the symmetric 2×2 matrix [[a, b], [b, d]]. */
export function eigenSym2(a, b, d) {
  const mean = (a + d) / 2;
  const radius = Math.hypot((a - d) / 2, b);
  const l1 = mean + radius;
  const l2 = mean - radius;
  let v1;
  if (Math.abs(b) > 1e-300) v1 = normalise([l1 - d, b]);
  else v1 = a >= d ? [1, 0] : [0, 1];
  return { l1, l2, v1, v2: [-v1[1], v1[0]] };
}

function normalise(v) {
  const n = Math.hypot(v[0], v[1]);
  return [v[0] / n, v[1] / n];
}

/** Radius (in SDs) of the bivariate-normal contour holding `level` of the mass. */
export function contourRadius(level) {
  if (!(level > 0 && level < 1)) throw new RangeError("level must lie in (0, 1)");
  return Math.sqrt(-2 * Math.log(1 - level));
}

/** Points [x, y] on the covariance ellipse of [[a, b], [b, d]] at the given radius. */
export function ellipsePoints(a, b, d, radius, n = 72) {
  const { l1, l2, v1, v2 } = eigenSym2(a, b, d);
  const s1 = Math.sqrt(Math.max(l1, 0)) * radius;
  const s2 = Math.sqrt(Math.max(l2, 0)) * radius;
  const pts = [];
  for (let k = 0; k <= n; k += 1) {
    const t = (2 * Math.PI * k) / n;
    const p = s1 * Math.cos(t);
    const q = s2 * Math.sin(t);
    pts.push([p * v1[0] + q * v2[0], p * v1[1] + q * v2[1]]);
  }
  return pts;
}

/** [min, max] of finite values, widened by `pad` of the span (never zero-width). */
export function paddedExtent(values, pad = 0.05) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const list of values) {
    for (const v of list) {
      if (Number.isFinite(v)) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
  }
  if (lo === Infinity) return [-1, 1];
  const span = hi - lo || Math.abs(hi) || 1;
  return [lo - pad * span, hi + pad * span];
}

/** Linear map from a domain [d0, d1] onto a range [r0, r1]. */
export function linearScale(domain, range) {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const k = d1 === d0 ? 0 : (r1 - r0) / (d1 - d0);
  const scale = (v) => r0 + (v - d0) * k;
  scale.invert = (p) => (k === 0 ? d0 : d0 + (p - r0) / k);
  return scale;
}

/** Index of the point nearest to (px, py) within maxDist pixels, or -1. */
export function nearestIndex(px, py, xs, ys, maxDist) {
  let best = -1;
  let bestD2 = maxDist * maxDist;
  for (let i = 0; i < xs.length; i += 1) {
    const dx = xs[i] - px;
    const dy = ys[i] - py;
    const d2 = dx * dx + dy * dy;
    if (d2 <= bestD2) {
      bestD2 = d2;
      best = i;
    }
  }
  return best;
}

/** One SVG path string drawing every group's line y = a_i + b_i x over [x0, x1]. */
export function linesPath(intercepts, slopes, x0, x1, sx, sy) {
  const parts = [];
  for (let i = 0; i < intercepts.length; i += 1) {
    const y0 = intercepts[i] + slopes[i] * x0;
    const y1 = intercepts[i] + slopes[i] * x1;
    if (Number.isFinite(y0) && Number.isFinite(y1)) {
      parts.push(`M${fmt(sx(x0))},${fmt(sy(y0))}L${fmt(sx(x1))},${fmt(sy(y1))}`);
    }
  }
  return parts.join("");
}

/** SVG path string through a list of [x, y] points (closed). */
export function polygonPath(points, sx, sy) {
  if (points.length === 0) return "";
  const head = `M${fmt(sx(points[0][0]))},${fmt(sy(points[0][1]))}`;
  const rest = points.slice(1).map(([x, y]) => `L${fmt(sx(x))},${fmt(sy(y))}`);
  return head + rest.join("") + "Z";
}

function fmt(v) {
  return Number.isFinite(v) ? v.toFixed(1) : "0";
}

/** Short human-readable number: 4 significant digits, no exponent for ordinary sizes. */
export function formatNumber(v) {
  if (!Number.isFinite(v)) return "—";
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-3) return v.toExponential(3);
  return Number(v.toPrecision(4)).toString();
}

/** Keep a number inside [lo, hi]; non-numbers become lo. */
export function clamp(v, lo, hi) {
  if (!Number.isFinite(v)) return lo;
  return Math.min(hi, Math.max(lo, v));
}

/** Nice round tick values covering [lo, hi], about `count` of them. */
export function ticks(lo, hi, count = 5) {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw);
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
    out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  }
  return out;
}
