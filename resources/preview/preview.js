// The preview's own code. Injected by desktop_blog/ui/preview.py into the ApplicationWorld (an
// isolated JavaScript world: it shares the DOM with the page but none of its globals), after
// qwebchannel.js, at DocumentReady. It runs even with the page's JavaScript switched off, while a
// post's own scripts and inline handlers do not. The page (main world) cannot see `__db` or the
// channel, so a post cannot reach the application.
//
// Python calls __db.* through runJavaScript(..., ApplicationWorld); reports go back through the
// channel object `previewBridge` (ready, painted, clicked).
(() => {
  "use strict";
  if (window.__db) return;

  let bridge = null;
  const queued = [];  // reports made before the channel is up
  function report(name, value) {
    if (bridge) bridge[name](value);
    else queued.push([name, value]);
  }
  if (typeof QWebChannel !== "undefined" && typeof qt !== "undefined") {
    new QWebChannel(qt.webChannelTransport, (channel) => {
      bridge = channel.objects.previewBridge;
      bridge.ready(1);
      for (const [name, value] of queued.splice(0)) bridge[name](value);
    });
  }

  // Block id -> the top-level nodes it made; and the ids in document order.
  const blocks = new Map();
  const nodeIds = new WeakMap();
  let order = [];
  // Elements carrying data-source-line, in document order; rebuilt lazily after each update.
  let lineEls = null;

  const content = () => document.getElementById("db-content");

  function parse(html) {
    // A <template> parses without running anything: no scripts, no handlers, no loads yet.
    const t = document.createElement("template");
    t.innerHTML = html;
    // A <meta http-equiv="refresh"> would try to take the preview away (and be refused).
    for (const m of t.content.querySelectorAll("meta[http-equiv]")) m.remove();
    return Array.from(t.content.childNodes);
  }

  // With embeds on, a <script> parsed through innerHTML stays inert; a fresh copy runs
  // (in the page's own world, where the element belongs).
  function activateScripts(nodes) {
    for (const node of nodes) {
      if (node.nodeType !== 1) continue;
      const scripts = node.tagName === "SCRIPT" ? [node] : node.querySelectorAll("script");
      for (const old of scripts) {
        const s = document.createElement("script");
        for (const a of old.attributes) s.setAttribute(a.name, a.value);
        s.textContent = old.textContent;
        old.replaceWith(s);
      }
    }
  }

  // Reports `gen` once the frame showing it has been painted. A requestAnimationFrame callback
  // runs just before the browser updates style and layout and paints the frame; a message
  // posted from it is handled in the next task, after that paint has been done and handed to
  // the compositor. (A second requestAnimationFrame would say the same one frame later.)
  // Timings of the last update (ms), for benchmarks: the swap itself, the wait for the
  // frame, and the frame's style, layout and paint.
  const timing = { swap: 0, toFrame: 0, frame: 0 };
  let swapEnd = 0;
  let frameStart = 0;
  const afterPaintChannel = new MessageChannel();
  afterPaintChannel.port1.onmessage = (e) => {
    timing.frame = performance.now() - frameStart;
    report("painted", e.data);
  };
  function afterPaint(gen) {
    swapEnd = performance.now();
    requestAnimationFrame(() => {
      frameStart = performance.now();
      timing.toFrame = frameStart - swapEnd;
      afterPaintChannel.port2.postMessage(gen);
    });
  }

  function lineOf(el) {
    return parseInt(el.getAttribute("data-source-line"), 10) || 0;
  }

  function lines() {
    if (lineEls === null) {
      lineEls = Array.from(content().querySelectorAll("[data-source-line]")).filter(
        (el) => el.getClientRects().length > 0,
      );
    }
    return lineEls;
  }

  function docTop(el) {
    return el.getBoundingClientRect().top + window.scrollY;
  }

  // Index of the last element whose key(el) <= value (keys ascend in document order), or -1.
  function lastAtOrBefore(els, value, key) {
    let lo = 0;
    let hi = els.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (key(els[mid]) <= value) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  // The next element after index i that starts on a later source line.
  function nextLater(els, i) {
    const line = lineOf(els[i]);
    for (let j = i + 1; j < els.length; j++) if (lineOf(els[j]) > line) return j;
    return -1;
  }

  // Scroll anchoring by block: the block at the top of the view keeps its place on screen
  // across a swap, even when it or the blocks above it were replaced (CSS scroll anchoring
  // cannot follow a replaced node, so it is off in base.css and done here).
  function topAnchor() {
    if (window.scrollY <= 0) return null;
    const kids = content().children;
    let lo = 0;
    let hi = kids.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (kids[mid].getBoundingClientRect().bottom > 0) {
        found = mid;
        hi = mid - 1;
      } else {
        lo = mid + 1;
      }
    }
    if (found < 0) return null;
    const node = kids[found];
    return { node, id: nodeIds.get(node), top: node.getBoundingClientRect().top };
  }

  function restoreAnchor(anchor) {
    if (!anchor) return;
    let node = anchor.node.isConnected ? anchor.node : null;
    if (!node && anchor.id !== undefined) {
      node = (blocks.get(anchor.id) || []).find((n) => n.nodeType === 1 && n.isConnected);
    }
    if (!node) return;
    const shift = node.getBoundingClientRect().top - anchor.top;
    if (shift) window.scrollBy(0, shift);
  }

  // A post loaded with the shell (start-up shows the last open post from its cache): each
  // block's nodes follow a <!--db-block:ID--> comment. The comments go; the nodes become the
  // blocks, as if an update had put them there, and the frame showing them is reported.
  function adoptShellContent() {
    const c = content();
    if (!c) return;
    let id = null;
    for (const n of Array.from(c.childNodes)) {
      if (n.nodeType === 8 && n.data.startsWith("db-block:")) {
        id = decodeURIComponent(n.data.slice(9));
        n.remove();
        blocks.set(id, []);
        order.push(id);
      } else if (id !== null) {
        blocks.get(id).push(n);
        nodeIds.set(n, id);
      }
    }
    if (order.length) afterPaint(parseInt(c.getAttribute("data-generation"), 10) || 0);
  }

  window.__db = {
    // Apply one rendered version. `newOrder` is the full list of block ids, or null when it is
    // unchanged; `changed` maps ids to the HTML of new or changed blocks; `shifts` maps ids of
    // blocks that only moved to other source lines to the number of lines they moved. Returns
    // the count of swapped blocks.
    update(gen, newOrder, changed, shifts, embeds) {
      const started = performance.now();
      const c = content();
      const anchor = topAnchor();
      let orderChanged = newOrder !== null;
      if (orderChanged) {
        const keep = new Set(newOrder);
        for (const [id, nodes] of blocks) {
          if (!keep.has(id)) {
            for (const n of nodes) n.remove();
            blocks.delete(id);
          }
        }
        order = newOrder;
      }
      let swapped = 0;
      for (const id in changed) {
        const nodes = parse(changed[id]);
        const old = blocks.get(id);
        if (old && old.length && old[0].parentNode === c) {
          // In place, so an unchanged order needs no further moves.
          const anchor = old[0];
          for (const n of nodes) c.insertBefore(n, anchor);
          for (const n of old) n.remove();
        } else {
          if (old) for (const n of old) n.remove();
          orderChanged = true;  // the new nodes still need their place
        }
        blocks.set(id, nodes);
        for (const n of nodes) nodeIds.set(n, id);
        if (embeds) activateScripts(nodes);
        swapped++;
      }
      if (orderChanged) {
        // One pass: nodes already in place are stepped over, others moved or inserted.
        let ref = c.firstChild;
        for (const id of order) {
          for (const n of blocks.get(id) || []) {
            if (n === ref) ref = ref.nextSibling;
            else c.insertBefore(n, ref);
          }
        }
        // Anything left after the last block (a stray node) goes.
        while (ref) {
          const next = ref.nextSibling;
          ref.remove();
          ref = next;
        }
      }
      for (const id in shifts) {
        const delta = shifts[id];
        for (const n of blocks.get(id) || []) {
          if (n.nodeType !== 1) continue;
          const els = Array.from(n.querySelectorAll("[data-source-line]"));
          if (n.hasAttribute("data-source-line")) els.push(n);
          for (const el of els) el.setAttribute("data-source-line", String(lineOf(el) + delta));
        }
      }
      lineEls = null;
      restoreAnchor(anchor);
      timing.swap = performance.now() - started;
      afterPaint(gen);
      return swapped;
    },

    clear() {
      content().replaceChildren();
      blocks.clear();
      order = [];
      lineEls = null;
      window.scrollTo(0, 0);
      return true;
    },

    setStyle(id, css) {
      const el = document.getElementById(id);
      if (!el) return false;
      el.textContent = css;
      lineEls = null;
      return true;
    },

    setTheme(name, colorScheme, themeCss, codeCss) {
      document.documentElement.setAttribute("data-theme", name);
      const meta = document.querySelector('meta[name="color-scheme"]');
      if (meta) meta.setAttribute("content", colorScheme);
      this.setStyle("db-theme", themeCss);
      this.setStyle("db-code", codeCss);
      return getComputedStyle(document.documentElement).backgroundColor;
    },

    // Scroll so that source line n is at the top of the view, between the element that starts
    // at or before it and the next one. Instant, no animation. Returns the new scrollY.
    scrollToLine(n, total) {
      const els = lines();
      let y = 0;
      const i = lastAtOrBefore(els, n, lineOf);
      if (i > 0 || (i === 0 && n > lineOf(els[0]))) {
        const a = els[i];
        const la = lineOf(a);
        const ya = docTop(a);
        const j = nextLater(els, i);
        if (j >= 0) {
          const lb = lineOf(els[j]);
          y = ya + ((n - la) / (lb - la)) * (docTop(els[j]) - ya);
        } else {
          const span = Math.max(1, (total || la) - la + 1);
          y = ya + Math.min(1, (n - la) / span) * a.getBoundingClientRect().height;
        }
      }
      window.scrollTo(0, Math.max(0, Math.round(y)));
      return window.scrollY;
    },

    // The source line shown at the top of the view (the inverse of scrollToLine).
    lineAtTop(total) {
      const els = lines();
      if (!els.length) return 1;
      const y = window.scrollY;
      const i = lastAtOrBefore(els, y + 1, docTop);
      if (i < 0) return 1;
      const a = els[i];
      const la = lineOf(a);
      const ya = docTop(a);
      const j = nextLater(els, i);
      let line = la;
      if (j >= 0) {
        const yb = docTop(els[j]);
        if (yb > ya) line = la + Math.floor(((y - ya) / (yb - ya)) * (lineOf(els[j]) - la));
        line = Math.min(line, lineOf(els[j]) - 1);
      } else if (total && total > la) {
        const h = a.getBoundingClientRect().height;
        if (h > 0) line = la + Math.floor(Math.min(1, (y - ya) / h) * (total - la));
      }
      return Math.max(1, line);
    },

    // The source line under a point of the view (CSS pixels), interpolated inside the element.
    lineAtPoint(x, y) {
      let el = document.elementFromPoint(x, y);
      el = el && el.closest("[data-source-line]");
      if (!el || !content().contains(el)) return 0;
      const els = lines();
      const la = lineOf(el);
      const i = els.indexOf(el);
      const j = i >= 0 ? nextLater(els, i) : -1;
      if (j < 0) return la;
      const lb = lineOf(els[j]);
      const r = el.getBoundingClientRect();
      const frac = r.height > 0 ? Math.min(1, Math.max(0, (y - r.top) / r.height)) : 0;
      // Blocks are mostly followed by a blank line, which belongs to neither of them.
      return Math.min(lb - 1, la + Math.floor(frac * Math.max(0, lb - la - 1)));
    },

    lastClickLine: 0,
    timing,
    blockCount() {
      return blocks.size;
    },
  };

  adoptShellContent();

  // A click (not the end of a text selection, not synthesised by a page script) reports its
  // source line, so the editor can put its cursor there.
  document.addEventListener(
    "click",
    (e) => {
      if (!e.isTrusted || e.button !== 0) return;
      const sel = window.getSelection();
      if (sel && !sel.isCollapsed) return;
      const line = window.__db.lineAtPoint(e.clientX, e.clientY);
      if (line > 0) {
        window.__db.lastClickLine = line;
        report("clicked", line);
      }
    },
    true,
  );
})();
