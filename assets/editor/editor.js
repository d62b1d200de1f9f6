// Vary (Region) editor: paint the part of the image to regenerate, then send a black-and-white
// PNG mask the size of the image (mj-protocol.md §6: white = regenerate, black = keep).
//
// Every edit is an operation in IMAGE pixels (not screen pixels), kept in a list: the screen
// overlay and the mask are both drawn from that list, so undo is a pop and a redraw, and the
// mask never depends on how large the image happened to be on screen.
"use strict";

(() => {
  const root = document.getElementById("editor");
  const W = Number(root.dataset.width);
  const H = Number(root.dataset.height);
  const $ = (id) => document.getElementById(id);
  const area = $("area");
  const stage = $("stage");
  const paint = $("paint"); // committed operations
  const live = $("live"); // the shape being drawn, and the brush outline
  const pctx = paint.getContext("2d");
  const lctx = live.getContext("2d");
  const status = $("status");
  const undoButton = $("undo");
  const clearButton = $("clear");
  const submitButton = $("submit");
  const COLOUR = "#ff2d75"; // shown at half opacity by the stylesheet

  const ops = [];
  let current = null; // the operation under the pointer, committed on pointerup
  let finished = false;

  // -- layout: the image scaled to fit the free area, canvases on top of it ----------------

  function fit() {
    const scale = Math.min(area.clientWidth / W, area.clientHeight / H);
    stage.style.width = `${Math.max(1, Math.floor(W * scale))}px`;
    stage.style.height = `${Math.max(1, Math.floor(H * scale))}px`;
  }
  new ResizeObserver(fit).observe(area);
  fit();

  function toImage(event) {
    const box = live.getBoundingClientRect();
    const x = ((event.clientX - box.left) * W) / box.width;
    const y = ((event.clientY - box.top) * H) / box.height;
    return [Math.min(W, Math.max(0, x)), Math.min(H, Math.max(0, y))];
  }

  function brushSize() {
    // The slider is in screen pixels: a stroke looks as wide as the cursor outline.
    return (Number($("size").value) * W) / live.getBoundingClientRect().width;
  }

  const tool = () => new FormData($("tools")).get("tool");

  // -- drawing one operation; `off` null means erase to transparency (the screen layer) -----

  function render(ctx, op, on, off) {
    ctx.save();
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    if (op.erase && off === null) {
      ctx.globalCompositeOperation = "destination-out";
      ctx.fillStyle = ctx.strokeStyle = "#000";
    } else {
      ctx.fillStyle = ctx.strokeStyle = op.erase ? off : on;
    }
    if (op.kind === "stroke") {
      const [first, ...rest] = op.points;
      ctx.beginPath();
      ctx.arc(first[0], first[1], op.size / 2, 0, 2 * Math.PI); // a click is a dot
      ctx.fill();
      if (rest.length) {
        ctx.lineWidth = op.size;
        ctx.beginPath();
        ctx.moveTo(first[0], first[1]);
        for (const [x, y] of rest) ctx.lineTo(x, y);
        ctx.stroke();
      }
    } else if (op.kind === "rect") {
      const [[x0, y0], [x1, y1]] = op.points;
      ctx.fillRect(Math.min(x0, x1), Math.min(y0, y1), Math.abs(x1 - x0), Math.abs(y1 - y0));
    } else if (op.kind === "lasso") {
      ctx.beginPath();
      op.points.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
      ctx.closePath();
      ctx.fill();
    } else if (op.kind === "clear") {
      if (off === null) ctx.clearRect(0, 0, W, H);
      else {
        ctx.fillStyle = off;
        ctx.fillRect(0, 0, W, H);
      }
    }
    ctx.restore();
  }

  function redraw() {
    pctx.clearRect(0, 0, W, H);
    for (const op of ops) render(pctx, op, COLOUR, null);
    undoButton.disabled = finished || ops.length === 0;
    clearButton.disabled = finished || ops.length === 0;
  }

  function commit(op) {
    ops.push(op);
    redraw();
  }

  function outline(point) {
    lctx.clearRect(0, 0, W, H);
    if (!point || (tool() !== "brush" && tool() !== "eraser")) return;
    lctx.save();
    lctx.strokeStyle = COLOUR;
    lctx.lineWidth = Math.max(1, W / live.getBoundingClientRect().width);
    lctx.beginPath();
    lctx.arc(point[0], point[1], brushSize() / 2, 0, 2 * Math.PI);
    lctx.stroke();
    lctx.restore();
  }

  // -- pointer input --------------------------------------------------------------------

  live.addEventListener("pointerdown", (event) => {
    if (finished || event.button !== 0) return;
    live.setPointerCapture(event.pointerId);
    const point = toImage(event);
    const kind = tool();
    if (kind === "brush" || kind === "eraser") {
      current = { kind: "stroke", erase: kind === "eraser", size: brushSize(), points: [point] };
      render(pctx, current, COLOUR, null); // strokes are drawn as they go, segment by segment
    } else {
      current = { kind, points: kind === "rect" ? [point, point] : [point] };
    }
    event.preventDefault();
  });

  live.addEventListener("pointermove", (event) => {
    const point = toImage(event);
    if (!current) {
      outline(point);
      return;
    }
    if (current.kind === "stroke") {
      const last = current.points[current.points.length - 1];
      current.points.push(point);
      render(pctx, { ...current, points: [last, point] }, COLOUR, null);
      outline(point);
    } else {
      if (current.kind === "rect") current.points[1] = point;
      else current.points.push(point);
      lctx.clearRect(0, 0, W, H);
      render(lctx, current, COLOUR, null);
    }
  });

  function release() {
    if (!current) return;
    const op = current;
    current = null;
    lctx.clearRect(0, 0, W, H);
    if (op.kind === "lasso" && op.points.length < 3) return;
    commit(op);
  }
  live.addEventListener("pointerup", release);
  live.addEventListener("pointercancel", release);
  live.addEventListener("pointerleave", () => current || outline(null));

  undoButton.addEventListener("click", () => {
    ops.pop();
    redraw();
  });
  clearButton.addEventListener("click", () => commit({ kind: "clear" }));
  document.addEventListener("keydown", (event) => {
    const typing = event.target instanceof HTMLTextAreaElement;
    if (!typing && !finished && (event.ctrlKey || event.metaKey) && event.key === "z") {
      event.preventDefault();
      ops.pop();
      redraw();
    }
  });

  // -- the mask and the submit ----------------------------------------------------------

  function maskDataUrl() {
    const canvas = document.createElement("canvas");
    canvas.width = W;
    canvas.height = H;
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    ctx.imageSmoothingEnabled = false;
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, W, H);
    for (const op of ops) render(ctx, op, "#fff", "#000");
    // Edges are anti-aliased: threshold so no grey pixel reaches the PNG.
    const image = ctx.getImageData(0, 0, W, H);
    const px = image.data;
    for (let i = 0; i < px.length; i += 4) {
      const v = px[i] >= 128 ? 255 : 0;
      px[i] = px[i + 1] = px[i + 2] = v;
      px[i + 3] = 255;
    }
    ctx.putImageData(image, 0, 0);
    return canvas.toDataURL("image/png");
  }

  function say(text, state) {
    status.textContent = text;
    status.dataset.state = state;
  }

  function finish() {
    finished = true;
    root.classList.add("finished");
    for (const el of root.querySelectorAll("input, button, textarea")) el.disabled = true;
  }

  $("send").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (finished) return;
    submitButton.disabled = true;
    say("Sending…", "busy");
    let answer = null;
    let code = 0;
    try {
      // A relative URL: the page's own address, whatever prefix a proxy puts before it.
      const response = await fetch(root.dataset.token, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ mask: maskDataUrl(), prompt: $("prompt").value }),
        credentials: "omit",
        cache: "no-store",
      });
      code = response.status;
      answer = await response.json();
    } catch (err) {
      answer = null;
    }
    if (answer && answer.ok) {
      say(answer.message, "done");
      finish();
      return;
    }
    say(answer ? answer.error : "The bot could not be reached. Try again.", "error");
    if (code === 403 || code === 410) finish(); // the link is spent: nothing more to send
    else submitButton.disabled = false;
  });

  $("image").addEventListener("error", () => {
    say("The image could not be loaded. Reload the page.", "error");
  });
  say(status.textContent, "ready");
})();
