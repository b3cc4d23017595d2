// Mouse and touchpad: drag pans, wheel zooms at the cursor, a click selects, a Ctrl/Cmd-click
// picks the node for comparison, a double click zooms in on the node.
import type { TreeCanvas } from './treeCanvas';

const CLICK_SLOP = 4;

export function attachPointerInput(view: TreeCanvas, onPick: (id: string) => void): void {
  const canvas = view.canvas;
  let dragging = false;
  let moved = 0;
  let lastX = 0;
  let lastY = 0;

  canvas.addEventListener('pointerdown', (e) => {
    if (e.button !== 0) return;
    dragging = true;
    moved = 0;
    lastX = e.clientX;
    lastY = e.clientY;
    canvas.setPointerCapture(e.pointerId);
    canvas.focus();
  });
  canvas.addEventListener('pointermove', (e) => {
    if (!dragging) return;
    const dx = e.clientX - lastX;
    const dy = e.clientY - lastY;
    lastX = e.clientX;
    lastY = e.clientY;
    moved += Math.abs(dx) + Math.abs(dy);
    if (moved > CLICK_SLOP) view.pan(dx, dy);
  });
  canvas.addEventListener('pointerup', (e) => {
    if (!dragging) return;
    dragging = false;
    canvas.releasePointerCapture(e.pointerId);
    if (moved <= CLICK_SLOP) {
      const r = canvas.getBoundingClientRect();
      const id = view.nodeAt(e.clientX - r.left, e.clientY - r.top);
      if ((e.ctrlKey || e.metaKey) && id) onPick(id);
      else view.select(id);
    }
  });
  canvas.addEventListener('dblclick', (e) => {
    const r = canvas.getBoundingClientRect();
    const id = view.nodeAt(e.clientX - r.left, e.clientY - r.top);
    if (id) view.zoomAt(e.clientX - r.left, e.clientY - r.top, 2);
  });
  canvas.addEventListener(
    'wheel',
    (e) => {
      e.preventDefault();
      const r = canvas.getBoundingClientRect();
      if (e.ctrlKey || Math.abs(e.deltaY) >= Math.abs(e.deltaX)) {
        // Pinch gestures arrive as ctrl+wheel with small deltas.
        const factor = Math.exp(-e.deltaY * (e.ctrlKey ? 0.01 : 0.0015));
        view.zoomAt(e.clientX - r.left, e.clientY - r.top, factor);
      } else {
        view.pan(-e.deltaX, 0);
      }
    },
    { passive: false },
  );
}
