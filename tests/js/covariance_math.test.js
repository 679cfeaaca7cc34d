import test from "node:test";
import assert from "node:assert/strict";
import {
  toFloat64Array, decodeNames, centredCovariance, centredIntercepts, eigenSym2,
  contourRadius, ellipsePoints, paddedExtent, linearScale, nearestIndex,
  linesPath, polygonPath, formatNumber, clamp, ticks,
} from "../../js/covariance_math.js";

const close = (a, b, tol = 1e-9) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test("toFloat64Array reads little-endian doubles from a DataView at any offset", () => {
  const buf = new ArrayBuffer(8 * 3 + 4);
  const view = new DataView(buf, 4, 24);
  [1.5, -2, 1e300].forEach((v, i) => view.setFloat64(i * 8, v, true));
  assert.deepEqual(Array.from(toFloat64Array(view)), [1.5, -2, 1e300]);
  assert.equal(toFloat64Array(null).length, 0);
  assert.deepEqual(Array.from(toFloat64Array(new Float64Array([3, 4]))), [3, 4]);
  assert.throws(() => toFloat64Array("abc"), TypeError);
});

test("decodeNames splits NUL-separated UTF-8 and keeps markup as plain text", () => {
  const text = "308\0<img src=x onerror=alert(1)>\0Zürich";
  const bytes = new TextEncoder().encode(text);
  const names = decodeNames(new DataView(bytes.buffer), 3);
  assert.deepEqual(names, ["308", "<img src=x onerror=alert(1)>", "Zürich"]);
  assert.deepEqual(decodeNames(null, 0), []);
});

test("centredCovariance follows tau00 + 2c tau01 + c^2 tau11 and tau01 + c tau11", () => {
  const r = centredCovariance(612.1, 9.6044, 35.0717, 4.5);
  close(r.var0, 612.1 + 2 * 4.5 * 9.6044 + 4.5 * 4.5 * 35.0717);
  close(r.cov01, 9.6044 + 4.5 * 35.0717);
  close(r.var1, 35.0717);
  close(r.corr, r.cov01 / Math.sqrt(r.var0 * r.var1));
  const at0 = centredCovariance(612.1, 9.6044, 35.0717, 0);
  close(at0.corr, 0.06555, 1e-4);
});

test("centring at -tau01/tau11 makes intercept and slope uncorrelated", () => {
  const c = -9.6044 / 35.0717;
  close(centredCovariance(612.1, 9.6044, 35.0717, c).cov01, 0);
});

test("centredCovariance without slope variance gives NaN correlation", () => {
  assert.ok(Number.isNaN(centredCovariance(1, 0, 0, 2).corr));
});

test("centredIntercepts moves each point by c * u1", () => {
  const out = centredIntercepts([1, 2], [10, -1], 0.5);
  assert.deepEqual(Array.from(out), [6, 1.5]);
});

test("eigenSym2 returns eigenpairs that satisfy A v = l v", () => {
  const [a, b, d] = [4, 1.5, 2];
  const { l1, l2, v1, v2 } = eigenSym2(a, b, d);
  assert.ok(l1 >= l2);
  close(a * v1[0] + b * v1[1], l1 * v1[0]);
  close(b * v1[0] + d * v1[1], l1 * v1[1]);
  close(a * v2[0] + b * v2[1], l2 * v2[0]);
  close(l1 + l2, a + d);
  const diag = eigenSym2(1, 0, 3);
  assert.deepEqual(diag.v1, [0, 1]);
});

test("contourRadius matches the chi-square(2) quantile", () => {
  close(contourRadius(0.95) ** 2, 5.991464547, 1e-6);
  assert.throws(() => contourRadius(1), RangeError);
});

test("ellipsePoints lie on the contour x' A^-1 x = r^2", () => {
  const [a, b, d] = [612.1, 9.6, 35.07];
  const det = a * d - b * b;
  for (const [x, y] of ellipsePoints(a, b, d, 2, 16)) {
    const q = (d * x * x - 2 * b * x * y + a * y * y) / det;
    close(q, 4, 1e-8);
  }
});

test("ellipsePoints of a singular matrix collapse onto a line", () => {
  const pts = ellipsePoints(1, 1, 1, 1, 8);
  for (const [x, y] of pts) close(x, y, 1e-12);
});

test("paddedExtent ignores non-finite values and never returns zero width", () => {
  assert.deepEqual(paddedExtent([[0, 10, NaN], [Infinity]], 0.1), [-1, 11]);
  const [lo, hi] = paddedExtent([[5, 5]]);
  assert.ok(hi > lo);
  assert.deepEqual(paddedExtent([[]]), [-1, 1]);
});

test("linearScale maps domain ends onto range ends", () => {
  const s = linearScale([0, 10], [100, 0]);
  close(s(0), 100);
  close(s(10), 0);
  close(s(2.5), 75);
  close(linearScale([3, 3], [0, 1])(3), 0);
});

test("nearestIndex finds the closest point within the radius", () => {
  const xs = [0, 10, 20];
  const ys = [0, 0, 0];
  assert.equal(nearestIndex(11, 1, xs, ys, 5), 1);
  assert.equal(nearestIndex(50, 0, xs, ys, 5), -1);
});

test("linesPath draws one segment per finite line", () => {
  const id = (v) => v;
  const d = linesPath([0, 1, NaN], [1, 2, 0], 0, 1, id, id);
  assert.equal(d, "M0.0,0.0L1.0,1.0M0.0,1.0L1.0,3.0");
});

test("polygonPath closes the shape", () => {
  const id = (v) => v;
  assert.equal(polygonPath([[0, 0], [1, 0], [1, 1]], id, id), "M0.0,0.0L1.0,0.0L1.0,1.0Z");
  assert.equal(polygonPath([], id, id), "");
});

test("formatNumber keeps four significant digits", () => {
  assert.equal(formatNumber(612.100158), "612.1");
  assert.equal(formatNumber(0.0655512), "0.06555");
  assert.equal(formatNumber(0), "0");
  assert.equal(formatNumber(NaN), "—");
  assert.equal(formatNumber(1.5e7), "1.500e+7");
});

test("clamp keeps values in range and rejects non-numbers", () => {
  assert.equal(clamp(5, 0, 3), 3);
  assert.equal(clamp(-1, 0, 3), 0);
  assert.equal(clamp(NaN, 0, 3), 0);
  assert.equal(clamp("2", 0, 3), 0);
});

test("ticks are round numbers inside the range", () => {
  assert.deepEqual(ticks(0, 9, 5), [0, 2, 4, 6, 8]);
  assert.deepEqual(ticks(-1, 1, 4), [-1, -0.5, 0, 0.5, 1]);
  assert.deepEqual(ticks(3, 3), [3]);
});

test("linearScale.invert undoes the scale (used to pick a line by a click)", () => {
  const s = linearScale([2, 12], [50, 350]);
  for (const v of [2, 5.5, 12, -3]) assert.ok(Math.abs(s.invert(s(v)) - v) < 1e-12);
  assert.equal(linearScale([1, 1], [0, 10]).invert(4), 1);
});

test("a negative intercept-slope covariance gives a negative correlation and an ellipse tilted downwards", () => {
  // tau01 < 0: corr = tau01 / sqrt(tau00 tau11) = -12 / sqrt(400 * 1) = -0.6 (not clamped at 0)
  const r = centredCovariance(400, -12, 1, 0);
  close(r.corr, -0.6, 1e-12);
  // centring moves it through zero to positive values past c = 12 (tau01 + c tau11 = 0 at c = 12)
  close(centredCovariance(400, -12, 1, 12).corr, 0, 1e-12);
  assert.ok(centredCovariance(400, -12, 1, 20).corr > 0);
  // the long axis of the ellipse of [[400, -12], [-12, 1]] points down-right: x and y of opposite sign
  const { v1, l1, l2 } = eigenSym2(400, -12, 1);
  assert.ok(v1[0] * v1[1] < 0, `v1 = ${v1}`);
  close(l1 + l2, 401, 1e-9);
  close(l1 * l2, 400 - 144, 1e-9);
  const points = ellipsePoints(400, -12, 1, 1);
  const cov = points.reduce((s, [x, y]) => s + x * y, 0) / (points.length - 1);
  assert.ok(cov < 0, `sample covariance of the ellipse points ${cov}`);
  close(centredCovariance(1, -1, 1, 0).corr, -1, 1e-12);  // a singular r = -1 keeps its sign
});
