// wfc ui: live updates (server-sent events), confirmed actions, graph interaction. No framework, no CDN.
"use strict";
(function () {
  const body = document.body;
  const csrf = document.querySelector('meta[name="wfc-csrf"]').content;
  const toast = document.getElementById("toast");

  function say(text, bad) {
    toast.textContent = text; // text, never HTML
    toast.className = "show" + (bad ? " bad" : "");
    clearTimeout(say.timer);
    say.timer = setTimeout(() => { toast.className = ""; }, 4000);
  }

  // ---- the live region: re-fetched (server-rendered, escaped there) when /api/live says it changed ----
  async function refresh() {
    const url = new URL(location.href);
    url.searchParams.set("partial", "1");
    const response = await fetch(url, { credentials: "same-origin", cache: "no-store" });
    if (!response.ok) return;
    document.getElementById("live").innerHTML = await response.text();
    decorate();
  }

  function connect() {
    const live = body.dataset.live;
    if (!live || !window.EventSource) return;
    const dot = document.getElementById("live-dot");
    const source = new EventSource(live);
    // On (re)connecting, fetch once: a change between rendering the page and opening the stream (or while it
    // was down) was compared against nothing.
    source.onopen = () => { dot.classList.add("on"); refresh(); };
    source.onerror = () => dot.classList.remove("on");
    source.addEventListener("change", () => { refresh(); });
  }

  // ---- actions: confirmed, POSTed as JSON with the CSRF header ----
  function formBody(form) {
    const out = {};
    for (const el of form.elements) {
      if (!el.name) continue;
      if (el.hasAttribute("data-optional") && el.value === "") continue;
      let value = el.value;
      if (el.hasAttribute("data-json")) {
        if (value === "") { value = null; } else {
          try { value = JSON.parse(value); } catch (e) { value = el.value; } // a bare word is sent as text
        }
      } else if (el.hasAttribute("data-int")) {
        value = parseInt(value, 10);
      }
      out[el.name] = value;
    }
    return out;
  }

  async function act(form) {
    if (!window.confirm(form.dataset.confirm || "Are you sure?")) return;
    const response = await fetch(form.dataset.action, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-WFC-CSRF": csrf },
      body: JSON.stringify(formBody(form)),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      const err = data.error || {};
      say((err.code ? err.code + ": " : "") + (err.message || response.statusText), true);
      return;
    }
    if (form.dataset.go && data[form.dataset.go]) {
      location.href = body.dataset.base + "/instances/" + encodeURI(data[form.dataset.go]);
      return;
    }
    say("done" + ("sent" in data ? (data.sent ? ": event sent" : ": a duplicate, dropped") : ""));
    if (form.id === "cancel") form.querySelector("button").disabled = true;
    refresh();
  }

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!form.dataset || !form.dataset.action) return;
    event.preventDefault();
    act(form).catch((e) => say(String(e), true));
  });

  // ---- the graph: click a state to see its history records; drag to pan, wheel to zoom ----
  let selected = null;
  function select(state) {
    selected = selected === state ? null : state;
    document.querySelectorAll(".history tbody tr").forEach((tr) => {
      tr.classList.toggle("hidden", selected !== null && tr.dataset.state !== selected);
    });
    document.querySelectorAll(".wfc-graph .node").forEach((g) => {
      g.classList.toggle("selected", g.dataset.state === selected);
    });
    const label = document.getElementById("history-filter");
    if (label) label.textContent = selected ? "at " + selected + " (click it again for all)" : "";
  }

  function panZoom(box) {
    const svg = box.querySelector("svg");
    if (!svg || svg.dataset.pz) return;
    svg.dataset.pz = "1";
    const vb = svg.viewBox.baseVal;
    const full = { x: vb.x, y: vb.y, w: vb.width, h: vb.height };
    svg.setAttribute("width", "100%");
    svg.style.height = Math.min(full.h, window.innerHeight * 0.7) + "px";
    let drag = null;
    box.addEventListener("wheel", (ev) => {
      ev.preventDefault();
      const k = ev.deltaY > 0 ? 1.15 : 1 / 1.15;
      const r = svg.getBoundingClientRect();
      const px = vb.x + (ev.clientX - r.left) / r.width * vb.width;
      const py = vb.y + (ev.clientY - r.top) / r.height * vb.height;
      vb.width *= k; vb.height *= k;
      vb.x = px - (px - vb.x) * k; vb.y = py - (py - vb.y) * k;
    }, { passive: false });
    box.addEventListener("mousedown", (ev) => { drag = { x: ev.clientX, y: ev.clientY, vx: vb.x, vy: vb.y }; });
    window.addEventListener("mouseup", () => { drag = null; });
    window.addEventListener("mousemove", (ev) => {
      if (!drag) return;
      const r = svg.getBoundingClientRect();
      vb.x = drag.vx - (ev.clientX - drag.x) / r.width * vb.width;
      vb.y = drag.vy - (ev.clientY - drag.y) / r.height * vb.height;
    });
    box.addEventListener("dblclick", () => { vb.x = full.x; vb.y = full.y; vb.width = full.w; vb.height = full.h; });
  }

  function decorate() {
    document.querySelectorAll(".wfc-graph .node").forEach((g) => {
      g.addEventListener("click", () => select(g.dataset.state));
      g.addEventListener("keydown", (ev) => { if (ev.key === "Enter") select(g.dataset.state); });
    });
    document.querySelectorAll(".graph-box").forEach(panZoom);
    document.querySelectorAll(".bar, .tick").forEach((bar) => {
      bar.style.left = bar.dataset.l + "%";
      if (bar.dataset.w) bar.style.width = bar.dataset.w + "%";
    });
    if (selected) { const s = selected; selected = null; select(s); }
  }

  decorate();
  connect();
})();
