// The drawing pad: pen strokes kept in 0..1 units (so they redraw at any size, resolution or
// theme), each point with the time it was drawn, an undo history in which Clear is one more
// step, and the upload: only the ink, and the strokes in the uploaded image's pixels.

// Pen sizes are expressed against this canvas width so a digit keeps its proportions on any
// screen; the MNIST preprocessing on the server expects strokes about 1/20 of the canvas wide.
const REFERENCE_WIDTH = 280;
// Room left around the ink in an upload, as a share of the pad's longer side.
const UPLOAD_MARGIN = 0.04;

/**
 * An upload's limits as the server gives them on #app: `side`, the pad's longer side as
 * uploaded, in pixels (data-upload-side, the server's UPLOAD_SIDE: the side at which its two
 * "too small" rules agree, so a cropped upload is refused exactly when the whole pad would have
 * been; strokes stay 4-20 px wide, plenty to read), and what the strokes may hold, `strokes`
 * and `points` (data-max-strokes, data-max-stroke-points: MAX_STROKES and MAX_STROKE_POINTS).
 */
export function serverLimits(app = document.getElementById("app")) {
  return {
    side: Number(app.dataset.uploadSide),
    strokes: Number(app.dataset.maxStrokes),
    points: Number(app.dataset.maxStrokePoints),
  };
}

/** The ink's bounding box [x0, y0, x1, y1) in `canvas` pixels, or null when nothing is drawn. */
function inkBounds(canvas) {
  const { width, height } = canvas;
  const rgba = canvas.getContext("2d").getImageData(0, 0, width, height).data;
  const pixels = new Uint32Array(rgba.buffer); // 0 exactly where fully transparent
  let [x0, y0, x1, y1] = [width, height, 0, 0];
  for (let y = 0; y < height; y += 1) {
    const row = pixels.subarray(y * width, (y + 1) * width);
    const first = row.findIndex((p) => p !== 0);
    if (first < 0) continue;
    const last = row.findLastIndex((p) => p !== 0);
    [x0, x1] = [Math.min(x0, first), Math.max(x1, last + 1)];
    [y0, y1] = [Math.min(y0, y), y + 1];
  }
  return x1 > x0 ? [x0, y0, x1, y1] : null;
}

/** The part of `canvas` worth sending: the ink's box with a margin, within the canvas. */
function uploadRect(canvas, bounds) {
  const margin = UPLOAD_MARGIN * Math.max(canvas.width, canvas.height);
  const x = Math.max(0, Math.floor(bounds[0] - margin));
  const y = Math.max(0, Math.floor(bounds[1] - margin));
  const right = Math.min(canvas.width, Math.ceil(bounds[2] + margin));
  const bottom = Math.min(canvas.height, Math.ceil(bounds[3] + margin));
  return { x, y, width: right - x, height: bottom - y };
}

/** Whether a point in 0..1 units lies on the pad (a pen dragged past its edge draws nothing). */
function onPad({ x, y }) {
  return x >= 0 && x <= 1 && y >= 0 && y <= 1;
}

/** `strokes` (lists of points) split where they leave the pad, keeping what lies on it. */
function visibleRuns(strokes) {
  const runs = [];
  for (const points of strokes) {
    let run = [];
    for (const point of points) {
      if (onPad(point)) {
        run.push(point);
      } else if (run.length) {
        runs.push(run);
        run = [];
      }
    }
    if (run.length) runs.push(run);
  }
  return runs;
}

/** `strokes` with every `step`-th point kept (and each stroke's last), to bound their size. */
function thinned(strokes, step) {
  return strokes.map((s) => s.filter((_, i) => i % step === 0 || i === s.length - 1));
}

/**
 * The pad's strokes as an upload sends them: `toImage(point)` maps a point in 0..1 units to the
 * uploaded image's pixels, `[x, y, t]` with t in ms since the drawing's first point. Within
 * `limits` {strokes, points}: points are thinned to fit, and too many strokes send none.
 */
export function uploadStrokes(strokes, toImage, limits = serverLimits()) {
  const all = visibleRuns(strokes.map((stroke) => stroke.points));
  if (all.length > limits.strokes) return [];
  const count = (r) => r.reduce((n, points) => n + points.length, 0);
  let runs = all;
  for (let step = 2; count(runs) > limits.points; step += 1) runs = thinned(all, step);
  const start = runs.length ? runs[0][0].t : 0;
  const round = (v, digits) => Number(v.toFixed(digits));
  return runs.map((points) =>
    points.map((point) => {
      const [x, y] = toImage(point);
      return [round(x, 2), round(y, 2), round(point.t - start, 1)];
    }),
  );
}

/**
 * Only the ink of `canvas`, cropped and scaled so the pad's longer side would be `limits.side` px,
 * as black ink on transparency (the server reads the alpha): `{image, strokes, place}` where
 * `strokes` are the pad's `strokes` in the image's pixels (`uploadStrokes`, within `limits`) and
 * `place` maps a box [x0, y0, x1, y1] in the image's pixels back to the canvas's. Null when
 * nothing is drawn.
 */
export function inkUpload(canvas, strokes = [], limits = serverLimits()) {
  const bounds = inkBounds(canvas);
  if (!bounds) return null;
  const rect = uploadRect(canvas, bounds);
  const scale = Math.min(1, limits.side / Math.max(canvas.width, canvas.height));
  const out = document.createElement("canvas");
  out.width = Math.max(1, Math.round(rect.width * scale));
  out.height = Math.max(1, Math.round(rect.height * scale));
  const ctx = out.getContext("2d");
  ctx.imageSmoothingQuality = "high";
  ctx.drawImage(canvas, rect.x, rect.y, rect.width, rect.height, 0, 0, out.width, out.height);
  // One colour, whatever the ink: the PNG shrinks, and the server only reads the coverage.
  ctx.globalCompositeOperation = "source-in";
  ctx.fillRect(0, 0, out.width, out.height);
  const [kx, ky] = [rect.width / out.width, rect.height / out.height];
  // The same crop and scale as the image: pad units -> canvas pixels -> the image's pixels.
  const toImage = ({ x, y }) => [
    (x * canvas.width - rect.x) / kx,
    (y * canvas.height - rect.y) / ky,
  ];
  const place = ([x0, y0, x1, y1]) => [
    rect.x + x0 * kx,
    rect.y + y0 * ky,
    rect.x + x1 * kx,
    rect.y + y1 * ky,
  ];
  const image = out.toDataURL("image/png");
  return { image, strokes: uploadStrokes(strokes, toImage, limits), place };
}

/** The pointer position relative to the canvas, in 0..1 units, and when it was there (ms). */
function relativePoint(event, rect) {
  return {
    x: (event.clientX - rect.left) / rect.width,
    y: (event.clientY - rect.top) / rect.height,
    // An event's timeStamp is on performance.now()'s clock; coalesced events keep their own.
    t: event.timeStamp || performance.now(),
  };
}

/**
 * The pad on `canvas`. `inkColour(name)` gives a stroke's colour in the current theme;
 * `pen()` the {size, colour} for a new stroke; `onChange(kind)` hears "down", "move", "up"
 * and "history" (undo, redo, clear); `limits` {side, strokes, points} bound an upload
 * (`serverLimits`).
 */
export class Pad {
  constructor(canvas, { inkColour, pen, onChange, limits = serverLimits() }) {
    this.canvas = canvas;
    this.limits = limits;
    this.ctx = canvas.getContext("2d", { willReadFrequently: true });
    this.inkColour = inkColour;
    this.pen = pen;
    this.onChange = onChange;
    this.strokes = [];
    this.past = []; // earlier `strokes` arrays, the newest last
    this.future = []; // undone ones, for redo
    this.current = null;
    this.pointer = null;
    this.version = 0; // counts changes, so an answer can be matched to what it read
    this.listen();
  }

  get drawing() {
    return this.pointer !== null;
  }

  get empty() {
    return this.strokes.length === 0;
  }

  get canUndo() {
    return this.past.length > 0 && !this.drawing;
  }

  get canRedo() {
    return this.future.length > 0 && !this.drawing;
  }

  listen() {
    const c = this.canvas;
    c.addEventListener("pointerdown", (e) => this.down(e));
    c.addEventListener("pointermove", (e) => this.move(e));
    for (const type of ["pointerup", "pointercancel", "lostpointercapture"]) {
      c.addEventListener(type, (e) => this.up(e));
    }
    c.addEventListener("contextmenu", (e) => e.preventDefault());
  }

  /** Replace the strokes with `next`, keeping the old ones for undo. */
  commit(next) {
    this.past.push(this.strokes);
    this.future = [];
    this.strokes = next;
    this.version += 1;
  }

  down(event) {
    if (this.drawing || (event.pointerType === "mouse" && event.button !== 0)) return;
    event.preventDefault();
    this.pointer = event.pointerId;
    try {
      this.canvas.setPointerCapture(event.pointerId);
    } catch {
      // A pointer that is already gone cannot be captured; drawing still works without it.
    }
    // Take focus from a previously clicked button so Enter predicts rather than clicking it again.
    this.canvas.focus({ preventScroll: true });
    const point = relativePoint(event, this.canvas.getBoundingClientRect());
    this.current = { ...this.pen(), points: [point] };
    this.commit([...this.strokes, this.current]);
    this.prepare();
    this.drawStroke(this.current);
    this.onChange("down");
  }

  move(event) {
    if (event.pointerId !== this.pointer) return;
    event.preventDefault();
    const rect = this.canvas.getBoundingClientRect();
    const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
    const from = this.current.points.length;
    for (const e of events.length ? events : [event]) {
      this.current.points.push(relativePoint(e, rect));
    }
    this.version += 1;
    this.drawStroke(this.current, from);
    this.onChange("move");
  }

  up(event) {
    if (event.pointerId !== this.pointer) return;
    this.pointer = null;
    this.current = null;
    if (this.canvas.hasPointerCapture(event.pointerId)) {
      this.canvas.releasePointerCapture(event.pointerId);
    }
    this.onChange("up");
  }

  /** Step through the history: `from` loses its newest state to `to`. */
  step(from, to) {
    if (!from.length || this.drawing) return;
    to.push(this.strokes);
    this.strokes = from.pop();
    this.version += 1;
    this.redraw();
    this.onChange("history");
  }

  undo() {
    this.step(this.past, this.future);
  }

  redo() {
    this.step(this.future, this.past);
  }

  /** Wipe the pad, as one undoable step. */
  clear() {
    if (this.empty || this.drawing) return;
    this.commit([]);
    this.redraw();
    this.onChange("history");
  }

  /** Resize the backing store to the CSS size times devicePixelRatio, then redraw. */
  fit() {
    const dpr = window.devicePixelRatio || 1;
    const { clientWidth, clientHeight } = this.canvas;
    if (!clientWidth || !clientHeight) return;
    const width = Math.round(clientWidth * dpr);
    const height = Math.round(clientHeight * dpr);
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
    }
    this.redraw();
  }

  /** Draw in CSS pixels with a round pen. */
  prepare() {
    const dpr = this.canvas.width / (this.canvas.clientWidth || this.canvas.width);
    this.ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    this.ctx.lineCap = "round";
    this.ctx.lineJoin = "round";
  }

  /** Clear to transparent and draw every stroke again (after a resize, undo or theme change). */
  redraw() {
    this.ctx.setTransform(1, 0, 0, 1, 0, 0);
    this.ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    this.prepare();
    for (const stroke of this.strokes) this.drawStroke(stroke);
  }

  /** Draw one stroke (or the segment of it from point index `from`). */
  drawStroke(stroke, from = 0) {
    const ctx = this.ctx;
    const w = this.canvas.clientWidth;
    const h = this.canvas.clientHeight;
    const pts = stroke.points;
    ctx.lineWidth = (stroke.size * w) / REFERENCE_WIDTH;
    ctx.strokeStyle = this.inkColour(stroke.colour);
    ctx.fillStyle = ctx.strokeStyle;
    if (pts.length === 1) {
      ctx.beginPath();
      ctx.arc(pts[0].x * w, pts[0].y * h, ctx.lineWidth / 2, 0, Math.PI * 2);
      ctx.fill();
      return;
    }
    const start = Math.max(0, from - 1);
    ctx.beginPath();
    ctx.moveTo(pts[start].x * w, pts[start].y * h);
    for (let i = start + 1; i < pts.length; i += 1) ctx.lineTo(pts[i].x * w, pts[i].y * h);
    ctx.stroke();
  }

  /** What to send for the drawing as it is now: see `inkUpload`. */
  upload() {
    return inkUpload(this.canvas, this.strokes, this.limits);
  }
}
