/*
 * Errand dashboard. Plain browser JavaScript, no build step: it reads only the public JSON API
 * (under <base>/api) and its event stream, and inserts every value it got from the server as text
 * (textContent / text nodes), never as HTML, so a payload holding <script> is shown, not run.
 */
(function () {
  "use strict";

  const BASE = document.querySelector('meta[name="errand-base"]').content;
  const KEY_ITEM = "errand.apiKey";
  const STATES = ["SCHEDULED", "QUEUED", "RUNNING", "RETRYING", "SUCCEEDED", "FAILED", "CANCELLED"];
  const STATE_COLORS = {
    SCHEDULED: "#9db8f5", QUEUED: "#2f6fed", RUNNING: "#6b3fd4", RETRYING: "#e0a100",
    SUCCEEDED: "#1a7f4b", FAILED: "#c62f3b", CANCELLED: "#8a94a3",
  };
  const PAGE = 50;
  const CHART_MINUTES = 60;

  const view = document.getElementById("view");

  // ------------------------------------------------------------------ DOM, text only

  /** An element; string and number children become text nodes, never markup. */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    if (attrs) {
      for (const [k, v] of Object.entries(attrs)) {
        if (v === undefined || v === null || v === false) continue;
        if (k === "class") el.className = v;
        else if (k === "text") el.textContent = v;
        else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
        else if (k === "dataset") Object.assign(el.dataset, v);
        else el.setAttribute(k, v === true ? "" : String(v));
      }
    }
    append(el, children);
    return el;
  }

  function append(el, children) {
    for (const c of children.flat(Infinity)) {
      if (c === undefined || c === null || c === false) continue;
      el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }

  function clear(el) {
    while (el.firstChild) el.removeChild(el.firstChild);
    return el;
  }

  function badge(state) {
    return h("span", { class: "badge " + (STATES.includes(state) ? state : ""), "data-state": state }, state);
  }

  function jobHref(id) {
    return "#/jobs/" + encodeURIComponent(String(id));
  }

  // ------------------------------------------------------------------ time and numbers

  function fmtTime(iso) {
    if (!iso) return "—";
    const d = new Date(iso);
    return isNaN(d) ? String(iso) : d.toLocaleString(undefined, {
      year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit",
    });
  }

  function ago(iso) {
    if (!iso) return "";
    const ms = Date.now() - new Date(iso).getTime();
    const future = ms < 0;
    const s = Math.round(Math.abs(ms) / 1000);
    let t;
    if (s < 5) return future ? "in a moment" : "just now";
    if (s < 60) t = s + " s";
    else if (s < 3600) t = Math.round(s / 60) + " min";
    else if (s < 86400) t = Math.round(s / 3600) + " h";
    else t = Math.round(s / 86400) + " d";
    return future ? "in " + t : t + " ago";
  }

  /** A time cell: relative text, the exact local time as a tooltip. */
  function when(iso) {
    if (!iso) return h("span", { class: "muted" }, "—");
    return h("time", { class: "rel", datetime: iso, title: fmtTime(iso) }, ago(iso));
  }

  // relative times keep telling the truth while a page stays open
  setInterval(() => {
    for (const t of view.querySelectorAll("time.rel")) t.textContent = ago(t.getAttribute("datetime"));
  }, 10000);

  function duration(ms) {
    if (ms === null || ms === undefined || isNaN(ms)) return "—";
    if (ms < 1000) return Math.round(ms) + " ms";
    if (ms < 60000) return (ms / 1000).toFixed(ms < 10000 ? 2 : 1) + " s";
    if (ms < 3600000) return Math.floor(ms / 60000) + " min " + Math.round((ms % 60000) / 1000) + " s";
    return (ms / 3600000).toFixed(1) + " h";
  }

  function pct(rate) {
    return rate === null || rate === undefined ? "—" : (rate * 100).toFixed(rate < 0.1 && rate > 0 ? 1 : 0) + " %";
  }

  function num(n) {
    return n === null || n === undefined ? "—" : Number(n).toLocaleString();
  }

  // ------------------------------------------------------------------ API

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  function authHeaders(headers) {
    const key = sessionStorage.getItem(KEY_ITEM);
    if (key) headers["Authorization"] = "Bearer " + key;
    return headers;
  }

  /**
   * One API call. State-changing calls send Content-Type: application/json (with or without a
   * body): with the browser's own Origin and Sec-Fetch-Site headers that is what the API's
   * cross-site check asks for.
   */
  async function api(method, path, body) {
    const headers = authHeaders({ Accept: "application/json" });
    if (method !== "GET") headers["Content-Type"] = "application/json";
    let res;
    try {
      res = await fetch(BASE + path, {
        method, headers, credentials: "same-origin", cache: "no-store",
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      throw new ApiError(0, "network_error", "the server did not answer (" + e.message + "); is it running?");
    }
    let data = null;
    const text = await res.text();
    try {
      data = text ? JSON.parse(text) : null;
    } catch (e) {
      data = null;
    }
    if (!res.ok) {
      const err = data && data.error ? data.error : { code: "http_" + res.status, message: text.slice(0, 300) };
      const x = new ApiError(res.status, err.code, err.message);
      if (res.status === 401) signIn.ask(x);
      throw x;
    }
    return data;
  }

  function query(params) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") q.set(k, v);
    const s = q.toString();
    return s ? "?" + s : "";
  }

  // ------------------------------------------------------------------ toasts and dialogs

  function toast(message, kind) {
    const t = h("div", { class: "toast " + (kind || "") }, message);
    document.getElementById("toasts").appendChild(t);
    setTimeout(() => t.remove(), kind === "bad" ? 9000 : 5000);
  }

  function confirmDialog(text, okLabel) {
    const d = document.getElementById("confirm");
    document.getElementById("confirm-text").textContent = text;
    document.getElementById("confirm-ok").textContent = okLabel || "OK";
    d.returnValue = "";
    d.showModal();
    return new Promise((resolve) => d.addEventListener("close", () => resolve(d.returnValue === "ok"), { once: true }));
  }

  /** Runs a state-changing call and reports the outcome as a toast. */
  async function act(label, fn) {
    try {
      const r = await fn();
      return r;
    } catch (e) {
      toast(label + " failed: " + e.message + (e.code ? " (" + e.code + ")" : ""), "bad");
      return undefined;
    }
  }

  const signIn = {
    dialog: document.getElementById("sign-in"),
    asking: false,
    ask(err) {
      const d = this.dialog;
      const msg = document.getElementById("sign-in-error");
      if (sessionStorage.getItem(KEY_ITEM)) {
        msg.textContent = err.code === "invalid_api_key"
          ? "That key was not accepted. Check it for typos, or ask for a current one."
          : err.message;
        msg.hidden = false;
        sessionStorage.removeItem(KEY_ITEM);
      }
      updateSignOut();
      if (!d.open) {
        d.showModal();
        document.getElementById("sign-in-key").focus();
      }
    },
  };

  document.getElementById("sign-in-form").addEventListener("submit", (e) => {
    const input = document.getElementById("sign-in-key");
    const key = input.value.trim();
    if (!key) {
      e.preventDefault();
      return;
    }
    sessionStorage.setItem(KEY_ITEM, key);
    input.value = "";
    document.getElementById("sign-in-error").hidden = true;
    updateSignOut();
    live.restart();
    render();
  });

  document.getElementById("sign-out").addEventListener("click", () => {
    sessionStorage.removeItem(KEY_ITEM);
    updateSignOut();
    live.stop();
    render();
  });

  function updateSignOut() {
    document.getElementById("sign-out").hidden = !sessionStorage.getItem(KEY_ITEM);
  }

  // ------------------------------------------------------------------ live events (SSE over fetch)

  /**
   * The job event stream, read with fetch so it can carry the API key header (EventSource
   * cannot). Parses Server-Sent Events, and reconnects with Last-Event-ID after the delay the
   * server's retry field gives, backing off to 30 s while the server is unreachable.
   */
  const live = {
    el: document.getElementById("live"),
    listeners: [],
    lastId: null,
    retryMs: 2000,
    failures: 0,
    reconnects: 0,
    controller: null,
    timer: null,
    running: false,

    on(fn) {
      this.listeners.push(fn);
    },

    status(state, text) {
      this.el.dataset.state = state;
      this.el.textContent = text;
    },

    start() {
      if (this.running) return;
      this.running = true;
      this.connect();
    },

    stop() {
      this.running = false;
      clearTimeout(this.timer);
      if (this.controller) this.controller.abort();
      this.status("offline", "Offline");
    },

    restart() {
      this.stop();
      this.start();
    },

    later() {
      if (!this.running) return;
      this.failures++;
      const delay = Math.min(30000, this.retryMs * Math.pow(2, Math.max(0, this.failures - 1)));
      this.status("reconnecting", "Reconnecting…");
      this.timer = setTimeout(() => {
        this.reconnects++;
        this.el.dataset.reconnects = String(this.reconnects);
        this.connect();
      }, delay);
    },

    async connect() {
      const controller = new AbortController();
      this.controller = controller;
      const headers = authHeaders({ Accept: "text/event-stream" });
      if (this.lastId) headers["Last-Event-ID"] = this.lastId;
      let res;
      try {
        res = await fetch(BASE + "/api/events", { headers, signal: controller.signal, cache: "no-store" });
      } catch (e) {
        if (!controller.signal.aborted) this.later();
        return;
      }
      if (!res.ok) {
        if (res.status === 401) {
          this.running = false;
          this.status("offline", "Signed out");
          return;
        }
        this.later();
        return;
      }
      this.failures = 0;
      this.status("live", "Live");
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let buf = "";
      let ev = { id: null, event: "message", data: [] };
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += decoder.decode(value, { stream: true });
          let nl;
          while ((nl = buf.search(/\r\n|\r|\n/)) >= 0) {
            const line = buf.slice(0, nl);
            buf = buf.slice(buf[nl] === "\r" && buf[nl + 1] === "\n" ? nl + 2 : nl + 1);
            if (line === "") {
              if (ev.id !== null) this.lastId = ev.id;
              if (ev.data.length) this.dispatch(ev.event, ev.data.join("\n"));
              ev = { id: null, event: "message", data: [] };
              continue;
            }
            if (line.startsWith(":")) continue;
            const colon = line.indexOf(":");
            const field = colon < 0 ? line : line.slice(0, colon);
            let val = colon < 0 ? "" : line.slice(colon + 1);
            if (val.startsWith(" ")) val = val.slice(1);
            if (field === "id") ev.id = val;
            else if (field === "event") ev.event = val;
            else if (field === "data") ev.data.push(val);
            else if (field === "retry" && /^\d+$/.test(val)) this.retryMs = Number(val);
          }
        }
      } catch (e) {
        if (controller.signal.aborted) return;
      }
      this.later();
    },

    dispatch(event, data) {
      if (event === "reset") {
        // the server no longer has the events after our Last-Event-ID (it restarted, or we were
        // away too long): every view reloads its state over the REST API
        this.resets = (this.resets || 0) + 1;
        this.el.dataset.resets = String(this.resets);
      }
      let payload;
      try {
        payload = JSON.parse(data);
      } catch (e) {
        return;
      }
      for (const fn of this.listeners) {
        try {
          fn(event, payload);
        } catch (e) {
          console.error("errand dashboard: event listener failed", e);
        }
      }
    },
  };

  // ------------------------------------------------------------------ routing

  let current = null; // { name, params, refresh(event), dispose() }

  function parseHash() {
    const raw = location.hash.replace(/^#/, "") || "/overview";
    const [path, qs] = raw.split("?");
    const parts = path.split("/").filter(Boolean);
    return { parts, params: new URLSearchParams(qs || "") };
  }

  function render() {
    if (current && current.dispose) current.dispose();
    current = null;
    const { parts, params } = parseHash();
    let name = parts[0] || "overview";
    let tab = name;
    if (name === "jobs" && parts[1]) {
      tab = "jobs";
      current = jobDetail(parts[1]);
    } else if (name === "jobs") {
      tab = params.get("state") === "FAILED" ? "failed" : "jobs";
      current = jobList(params);
    } else if (name === "queues") current = queuesView();
    else if (name === "schedules") current = schedulesView();
    else if (name === "nodes") current = nodesView();
    else {
      tab = "overview";
      current = overview();
    }
    for (const a of document.querySelectorAll(".tabs a")) a.classList.toggle("active", a.dataset.view === tab);
  }

  window.addEventListener("hashchange", render);

  /** Calls fn at most once per `ms`, trailing. */
  function throttle(fn, ms) {
    let timer = null;
    let pending = false;
    return function () {
      if (timer) {
        pending = true;
        return;
      }
      fn();
      timer = setTimeout(function tick() {
        if (pending) {
          pending = false;
          fn();
          timer = setTimeout(tick, ms);
        } else timer = null;
      }, ms);
    };
  }

  /** Shows an API failure where the view would be, with a way to try again. */
  function failure(err, retry) {
    return h("div", { class: "failure", role: "alert" },
      h("strong", null, err.status === 401 ? "Sign in to see this" : "Could not load this view"),
      h("div", null, err.message),
      err.code ? h("div", { class: "code" }, err.code) : null,
      retry ? h("p", null, h("button", { type: "button", onclick: retry }, "Try again")) : null);
  }

  function empty(title, text, action) {
    return h("div", { class: "empty" }, h("strong", null, title), text ? h("div", null, text) : null,
      action ? h("p", null, action) : null);
  }

  function pageHead(title, subtitle, right) {
    return h("div", { class: "page-head" }, h("div", null, h("h1", null, title), subtitle ? h("p", null, subtitle) : null),
      right || null);
  }

  // ------------------------------------------------------------------ failed count in the header

  // from the queues' depth: counts only, cheaper than /api/stats, which also reads finished jobs
  const failedCount = throttle(async () => {
    try {
      const r = await api("GET", "/api/queues");
      setFailedCount(r.queues.reduce((n, q) => n + (q.depth.FAILED || 0), 0));
    } catch (e) {
      /* the view shows errors */
    }
  }, 3000);

  function setFailedCount(n) {
    const el = document.getElementById("failed-count");
    el.textContent = String(n);
    el.hidden = !n;
  }

  // ------------------------------------------------------------------ overview

  /**
   * Finished-job counts per minute over the last hour: loaded from /api/stats/series (every job the
   * store counts, however busy), then kept live from the event stream and loaded again each minute.
   */
  const series = {
    loaded: false,
    loadedAt: 0,
    buckets: new Map(), // minute start (ms) -> {ok, bad}

    minute(ms) {
      return Math.floor(ms / 60000) * 60000;
    },

    add(finishedAt, ok) {
      const t = new Date(finishedAt).getTime();
      if (isNaN(t) || t < Date.now() - (CHART_MINUTES + 1) * 60000) return;
      const m = this.minute(t);
      const b = this.buckets.get(m) || { ok: 0, bad: 0 };
      if (ok) b.ok++;
      else b.bad++;
      this.buckets.set(m, b);
    },

    stale() {
      return !this.loaded || Date.now() - this.loadedAt > 60000;
    },

    async load() {
      const s = await api("GET", "/api/stats/series" + query({ window: "PT" + CHART_MINUTES + "M", step: "PT1M" }));
      const fresh = new Map();
      for (const p of s.points) fresh.set(new Date(p.at).getTime(), { ok: p.succeeded, bad: p.failed });
      this.buckets = fresh;
      this.loaded = true;
      this.loadedAt = Date.now();
    },

    data() {
      const end = this.minute(Date.now());
      const xs = [], ok = [], bad = [], rate = [];
      for (let i = CHART_MINUTES - 1; i >= 0; i--) {
        const m = end - i * 60000;
        const b = this.buckets.get(m) || { ok: 0, bad: 0 };
        xs.push(m / 1000);
        ok.push(b.ok);
        bad.push(b.bad);
        rate.push(b.ok + b.bad ? (100 * b.bad) / (b.ok + b.bad) : null);
      }
      return { xs, ok, bad, rate, total: ok.reduce((a, b) => a + b, 0) + bad.reduce((a, b) => a + b, 0) };
    },
  };

  live.on((event, e) => {
    if (event === "job" && (e.kind === "SUCCEEDED" || e.kind === "FAILED")) series.add(e.at, e.kind === "SUCCEEDED");
    if (event === "reset") series.loaded = false;
  });

  function chart(el, build) {
    let plot = null;
    const width = () => Math.max(260, el.clientWidth);
    const draw = () => {
      const spec = build();
      if (plot) plot.destroy();
      clear(el);
      plot = new uPlot(Object.assign({ width: width(), height: 220 }, spec.opts), spec.data, el);
    };
    const ro = new ResizeObserver(() => plot && plot.setSize({ width: width(), height: 220 }));
    ro.observe(el);
    return {
      draw,
      update() {
        if (!plot) return draw();
        plot.setData(build().data);
      },
      dispose() {
        ro.disconnect();
        if (plot) plot.destroy();
      },
    };
  }

  function overview() {
    const cards = h("div", { class: "cards" });
    const tpEl = h("div", { class: "chart", "data-chart": "throughput" });
    const frEl = h("div", { class: "chart", "data-chart": "failure-rate" });
    const types = h("div", { class: "panel flush" });
    clear(view);
    append(view, [
      pageHead("Overview", "Jobs finished over the last hour, and what is waiting now."),
      cards,
      h("div", { class: "charts" },
        h("section", { class: "panel" }, h("div", { class: "panel-head" }, h("h2", null, "Throughput (jobs / min)")), tpEl),
        h("section", { class: "panel" }, h("div", { class: "panel-head" }, h("h2", null, "Failure rate (%)")), frEl)),
      h("h2", null, "By job type"),
      types,
    ]);
    const axes = [{ stroke: "#5d6878", grid: { stroke: "#eef1f5" } }, { stroke: "#5d6878", grid: { stroke: "#eef1f5" }, size: 46 }];
    const tp = chart(tpEl, () => {
      const d = series.data();
      tpEl.dataset.finished = String(d.total); // what the chart shows, for tests and curious users
      return {
        opts: {
          axes, legend: { live: false }, cursor: { drag: { x: false, y: false } },
          scales: { y: { range: (u, min, max) => [0, Math.max(4, max)] } },
          series: [{}, { label: "Succeeded", stroke: "#1a7f4b", fill: "rgba(26,127,75,.12)", width: 2 },
            { label: "Failed", stroke: "#c62f3b", fill: "rgba(198,47,59,.12)", width: 2 }],
        },
        data: [d.xs, d.ok, d.bad],
      };
    });
    const fr = chart(frEl, () => {
      const d = series.data();
      return {
        opts: {
          axes, legend: { live: false }, cursor: { drag: { x: false, y: false } },
          scales: { y: { range: [0, 100] } },
          series: [{}, { label: "Failed %", stroke: "#c62f3b", width: 2, spanGaps: false, points: { show: true, size: 4 } }],
        },
        data: [d.xs, d.rate],
      };
    });

    async function loadStats() {
      const s = await api("GET", "/api/stats" + query({ window: "PT1H" }));
      const c = s.counts.byState;
      const w = s.window;
      setFailedCount(c.FAILED);
      const waiting = c.SCHEDULED + c.QUEUED + c.RETRYING;
      clear(cards);
      append(cards, [
        card("Waiting", num(waiting), "#/jobs?state=QUEUED", num(c.QUEUED) + " due, " + num(c.RETRYING) + " retrying"),
        card("Running", num(c.RUNNING), "#/jobs?state=RUNNING"),
        card("Failed", num(c.FAILED), "#/jobs?state=FAILED", "dead letter, retry by hand", c.FAILED ? "bad" : ""),
        card("Finished (1 h)", num(w.finished), null, num(w.succeeded) + " succeeded", "ok"),
        card("Failure rate (1 h)", pct(w.errorRate), null, "retried " + pct(w.retryRate) + ", timed out " + pct(w.timeoutRate),
          w.errorRate > 0.1 ? "bad" : ""),
        card("Duration (1 h)", duration(w.avgDurationMs), null, "average; max " + duration(w.maxDurationMs)),
        card("Throughput", (w.throughputPerMinute || 0).toFixed(1) + "/min", null, num(Math.round(w.jobsPerHour)) + " jobs per hour"),
      ]);
      const builtIn = (t) => t.startsWith("errand.");
      const rows = Object.entries(s.counts.byType).sort(([a], [b]) => (builtIn(a) - builtIn(b)) || a.localeCompare(b));
      clear(types);
      if (!rows.length) {
        types.appendChild(empty("No jobs yet", "Jobs appear here once something is enqueued."));
        return;
      }
      types.appendChild(h("div", { class: "table-scroll" }, h("table", { class: "cards-on-phone" },
        h("thead", null, h("tr", null, h("th", null, "Type"), STATES.map((st) => h("th", { class: "num" }, st.toLowerCase())))),
        h("tbody", null, rows.map(([type, byState]) => h("tr", { class: builtIn(type) ? "muted" : "" },
          h("td", { "data-label": "Type" }, h("a", { href: "#/jobs" + query({ type }) }, type)),
          STATES.map((st) => h("td", { class: "num", "data-label": st.toLowerCase() },
            byState[st] ? h("a", { href: "#/jobs" + query({ type, state: st }) }, num(byState[st])) : "0"))))))));
    }

    async function load() {
      try {
        if (series.stale()) await series.load();
        await loadStats();
        tp.draw();
        fr.draw();
      } catch (e) {
        clear(cards).appendChild(failure(e, load));
      }
    }

    const refresh = throttle(async () => {
      try {
        if (series.stale()) await series.load();
        await loadStats();
        tp.update();
        fr.update();
      } catch (e) {
        /* shown on the next full load */
      }
    }, 5000); // /api/stats reads the window's finished jobs: not on every event of a busy system
    const tick = setInterval(() => { tp.update(); fr.update(); }, 30000);
    load();
    return {
      refresh(event) {
        if (event === "reset" || ["ENQUEUED", "STARTED", "SUCCEEDED", "FAILED", "RETRY_SCHEDULED", "RETRIED", "DELETED", "CANCELLED"].includes(event.kind)) refresh();
      },
      dispose() {
        clearInterval(tick);
        tp.dispose();
        fr.dispose();
      },
    };
  }

  function card(label, value, href, note, kind) {
    return h(href ? "a" : "div", { class: "card " + (kind || ""), href: href || undefined },
      h("div", { class: "label" }, label), h("div", { class: "value" }, value), note ? h("div", { class: "muted small" }, note) : null);
  }

  // ------------------------------------------------------------------ job list

  /** datetime-local value (local time) -> ISO instant, or "" */
  function localToIso(v) {
    if (!v) return "";
    const d = new Date(v);
    return isNaN(d) ? "" : d.toISOString().replace(/\.\d{3}Z$/, "Z");
  }

  function isoToLocal(v) {
    if (!v) return "";
    const d = new Date(v);
    if (isNaN(d)) return "";
    const p = (n) => String(n).padStart(2, "0");
    return d.getFullYear() + "-" + p(d.getMonth() + 1) + "-" + p(d.getDate()) + "T" + p(d.getHours()) + ":" + p(d.getMinutes());
  }

  function jobList(params) {
    const filter = {
      state: params.get("state") || "", type: params.get("type") || "", queue: params.get("queue") || "",
      tag: params.get("tag") || "", from: params.get("from") || "", to: params.get("to") || "",
    };
    const cursors = [null]; // cursor of each page seen, for "newer"
    let page = 0;
    let jobs = [];
    const selected = new Set();
    const failedOnly = filter.state === "FAILED";

    const stateSel = h("select", { id: "f-state", name: "state" }, h("option", { value: "" }, "Any state"),
      STATES.map((s) => h("option", { value: s, selected: s === filter.state }, s.charAt(0) + s.slice(1).toLowerCase())));
    const typeIn = h("input", { id: "f-type", name: "type", value: filter.type, placeholder: "e.g. send-email", list: "type-names", autocomplete: "off" });
    const typeList = h("datalist", { id: "type-names" });
    const queueIn = h("input", { id: "f-queue", name: "queue", value: filter.queue, placeholder: "any", list: "queue-names", autocomplete: "off" });
    const queueList = h("datalist", { id: "queue-names" });
    const tagIn = h("input", { id: "f-tag", name: "tag", value: filter.tag, placeholder: "any", autocomplete: "off" });
    const fromIn = h("input", { id: "f-from", name: "from", type: "datetime-local", value: isoToLocal(filter.from) });
    const toIn = h("input", { id: "f-to", name: "to", type: "datetime-local", value: isoToLocal(filter.to) });
    const form = h("form", { class: "filters", id: "filters", onsubmit: (e) => {
      e.preventDefault();
      location.hash = "#/jobs" + query({
        state: stateSel.value, type: typeIn.value.trim(), queue: queueIn.value.trim(), tag: tagIn.value.trim(),
        from: localToIso(fromIn.value), to: localToIso(toIn.value),
      });
    } },
    field("State", stateSel), field("Type", typeIn, typeList), field("Queue", queueIn, queueList), field("Tag", tagIn),
    field("Enqueued from", fromIn), field("Enqueued before", toIn),
    h("div", { class: "filter-actions" }, h("button", { type: "submit", class: "primary", id: "apply-filters" }, "Apply"),
      h("button", { type: "button", onclick: () => { location.hash = failedOnly ? "#/jobs?state=FAILED" : "#/jobs"; } }, "Clear")));

    const listPanel = h("section", { class: "panel flush", id: "job-list" }, h("div", { class: "loading" }, "Loading jobs…"));
    const active = Object.entries(filter).filter(([k, v]) => v && !(failedOnly && k === "state"));
    // open on wide screens; on a phone folded away (the list comes first) unless a filter is set
    const box = h("details", { class: "panel filter-box", open: active.length > 0 || window.matchMedia("(min-width: 761px)").matches },
      h("summary", null, "Filters", active.length ? h("span", { class: "muted" }, " · " + active.map(([k, v]) => k + ": " + (k === "from" || k === "to" ? fmtTime(v) : v)).join(", ")) : null),
      form);
    clear(view);
    append(view, [
      pageHead(failedOnly ? "Failed jobs" : "Jobs",
        failedOnly ? "The dead letter: jobs that ran out of attempts or failed permanently. Retry them once the cause is fixed."
          : "Newest first. Filter, then open a job to see its payload, attempts and timeline.",
        active.length ? h("span", { class: "muted small" }, active.length + " filter" + (active.length > 1 ? "s" : "") + " applied") : null),
      box,
      listPanel,
    ]);

    // suggestions for type and queue, from the stats the API gives
    api("GET", "/api/stats").then((s) => {
      for (const t of Object.keys(s.counts.byType)) typeList.appendChild(h("option", { value: t }));
      for (const q of Object.keys(s.counts.byQueue)) queueList.appendChild(h("option", { value: q }));
      setFailedCount(s.counts.byState.FAILED);
    }).catch(() => {});

    function apiFilter() {
      return { state: filter.state, type: filter.type, queue: filter.queue, tag: filter.tag, from: filter.from, to: filter.to };
    }

    async function load() {
      try {
        const r = await api("GET", "/api/jobs" + query(Object.assign(apiFilter(), { limit: PAGE, cursor: cursors[page] })));
        jobs = r.jobs;
        cursors[page + 1] = r.nextCursor;
        cursors.length = page + 2;
        for (const id of [...selected]) if (!jobs.some((j) => j.id === id && j.state === "FAILED")) selected.delete(id);
        draw(r.nextCursor);
      } catch (e) {
        clear(listPanel).appendChild(failure(e, load));
      }
    }

    function draw(next) {
      clear(listPanel);
      const anyFailed = jobs.some((j) => j.state === "FAILED");
      if (failedOnly && (jobs.length || page > 0)) listPanel.appendChild(bulkBar());
      if (!jobs.length) {
        listPanel.appendChild(page > 0 ? empty("No more jobs", "This was the last page.")
          : failedOnly && !active.length ? empty("No failed jobs", "Nothing is in the dead letter. Jobs that run out of attempts show up here.")
            : empty("No jobs match these filters", "Try another state or a wider time range.",
              h("button", { type: "button", onclick: () => { location.hash = "#/jobs"; } }, "Clear filters")));
      } else {
        const all = h("input", { type: "checkbox", "aria-label": "Select all failed jobs on this page", onchange: (e) => {
          for (const j of jobs) if (j.state === "FAILED") e.target.checked ? selected.add(j.id) : selected.delete(j.id);
          draw(next);
        } });
        all.checked = anyFailed && jobs.filter((j) => j.state === "FAILED").every((j) => selected.has(j.id));
        listPanel.appendChild(h("div", { class: "table-scroll" }, h("table", { class: "cards-on-phone jobs" },
          h("thead", null, h("tr", null, anyFailed ? h("th", null, all) : null, h("th", null, "Job"), h("th", null, "State"),
            h("th", null, "Type"), h("th", null, "Queue"), h("th", { class: "num" }, "Attempt"), h("th", null, "Enqueued"),
            h("th", null, failedOnly ? "Failed" : "Finished / due"), h("th", null, "Last error"))),
          h("tbody", null, jobs.map((j) => row(j, anyFailed, next))))));
      }
      listPanel.appendChild(h("div", { class: "pager" },
        h("button", { type: "button", id: "newer", disabled: page === 0, onclick: () => { page--; load(); } }, "← Newer"),
        h("span", { class: "muted small" }, jobs.length ? "Page " + (page + 1) + " · " + jobs.length + " jobs" : ""),
        h("button", { type: "button", id: "older", disabled: !next, onclick: () => { page++; load(); } }, "Older →")));
    }

    function row(j, withBox, next) {
      const open = () => { location.hash = jobHref(j.id); };
      const box = j.state === "FAILED" ? h("input", { type: "checkbox", "aria-label": "Select job " + j.id, onclick: (e) => e.stopPropagation(),
        onchange: (e) => { e.target.checked ? selected.add(j.id) : selected.delete(j.id); draw(next); } }) : null;
      if (box) box.checked = selected.has(j.id);
      return h("tr", { class: "clickable", "data-job-id": j.id, onclick: open },
        withBox ? h("td", { class: "inline", "data-label": "Select" }, box) : null,
        h("td", { class: "inline", "data-label": "Job" }, h("a", { href: jobHref(j.id), onclick: (e) => e.stopPropagation() }, "#" + j.id)),
        h("td", { class: "inline", "data-label": "State" }, badge(j.state)),
        h("td", { class: "inline strong", "data-label": "Type" }, j.type),
        h("td", { "data-label": "Queue" }, j.queue),
        h("td", { class: "num", "data-label": "Attempt" }, j.attempt + " / " + j.maxAttempts),
        h("td", { "data-label": "Enqueued" }, when(j.createdAt)),
        h("td", { "data-label": failedOnly ? "Failed" : "Finished / due" }, when(j.finishedAt || j.runAt)),
        h("td", { class: "err" + (j.state === "SUCCEEDED" ? " past" : ""), "data-label": "Last error",
          title: j.lastError ? (j.state === "SUCCEEDED" ? "an earlier attempt failed: " : "") + j.lastError : "" }, j.lastError || ""));
    }

    function bulkBar() {
      const n = selected.size;
      const ids = [...selected];
      return h("div", { class: "bulk", id: "bulk" },
        h("span", { class: "grow" }, n ? n + " selected" : "Select jobs, or act on every failed job that matches the filters."),
        h("button", { type: "button", id: "retry-selected", disabled: !n, onclick: () => each("Retry", ids, (id) => api("POST", "/api/jobs/" + id + "/retry")) }, "Retry selected"),
        h("button", { type: "button", class: "danger", id: "delete-selected", disabled: !n, onclick: async () => {
          if (await confirmDialog("Delete " + n + " failed job" + (n > 1 ? "s" : "") + "? This cannot be undone.", "Delete")) {
            each("Delete", ids, (id) => api("DELETE", "/api/jobs/" + id));
          }
        } }, "Delete selected"),
        h("button", { type: "button", id: "retry-all", onclick: () => bulk(true) }, "Retry all matching"),
        h("button", { type: "button", class: "danger", id: "delete-all", onclick: () => bulk(false) }, "Delete all matching"));
    }

    async function each(verb, ids, call) {
      let ok = 0;
      for (const id of ids) {
        if (verb === "Retry") watch(id);
        const r = await act(verb + " of job #" + id, () => call(id));
        if (r !== undefined) {
          ok++;
          selected.delete(id);
        } else watched.delete(id);
      }
      if (ok) toast(verb === "Retry" ? "Retrying " + ok + " job" + (ok > 1 ? "s" : "") : "Deleted " + ok + " job" + (ok > 1 ? "s" : ""), "ok");
      load();
    }

    async function bulk(retry) {
      const f = { type: filter.type, queue: filter.queue, tag: filter.tag, from: filter.from, to: filter.to };
      for (const k of Object.keys(f)) if (!f[k]) delete f[k];
      const scope = Object.keys(f).length ? "every failed job matching " + Object.entries(f).map(([k, v]) => k + " = " + v).join(", ") : "every failed job";
      if (!(await confirmDialog((retry ? "Retry " : "Delete ") + scope + " (up to 1,000 per click)?" + (retry ? "" : " This cannot be undone."),
        retry ? "Retry all" : "Delete all"))) return;
      const r = await act(retry ? "Bulk retry" : "Bulk delete", () => api("POST", retry ? "/api/jobs/bulk-retry" : "/api/jobs/bulk-delete", f));
      if (r) {
        const done = retry ? r.retried : r.deleted;
        toast((retry ? "Retried " : "Deleted ") + done + " of " + r.matched + " matching job" + (r.matched === 1 ? "" : "s")
          + (r.skipped.length ? "; " + r.skipped.length + " had changed state" : "") + (r.more ? "; more remain, click again" : ""), "ok");
      }
      selected.clear();
      load();
    }

    const refresh = throttle(load, 1000);
    load();
    return { refresh };
  }

  function field(label, input, extra) {
    return h("div", null, h("label", { for: input.id }, label), input, extra || null);
  }

  // ------------------------------------------------------------------ job detail

  /** Job ids retried from this tab: their outcome is announced in a toast when it arrives. */
  const watched = new Set();
  // the last outcomes seen, so that a job that finished before the call that started it answered
  // (a triggered schedule's fast job, say) is still announced when watch() comes late
  const recentOutcomes = new Map();

  function announce(e) {
    if (e.kind === "SUCCEEDED") {
      watched.delete(e.jobId);
      toast("Job #" + e.jobId + " (" + e.type + ") succeeded", "ok");
    } else if (e.kind === "FAILED") {
      watched.delete(e.jobId);
      toast("Job #" + e.jobId + " (" + e.type + ") failed again: " + (e.error || "no message"), "bad");
    } else if (e.kind === "RETRY_SCHEDULED") {
      toast("Job #" + e.jobId + " attempt " + e.attempt + " failed; it will retry", "");
    }
  }

  /**
   * Announces job {@code id}'s next outcome. {@code late}: the job is new and the call that made it
   * has just answered, so an outcome seen already is its own (never for a retry, whose job's old
   * outcome is still in recentOutcomes until its RETRIED event comes).
   */
  function watch(id, late) {
    const n = Number(id);
    watched.add(n);
    const done = late ? recentOutcomes.get(n) : undefined;
    if (done) announce(done);
  }

  live.on((event, e) => {
    if (event !== "job") return;
    if (e.kind === "SUCCEEDED" || e.kind === "FAILED") {
      recentOutcomes.set(e.jobId, e);
      if (recentOutcomes.size > 500) recentOutcomes.delete(recentOutcomes.keys().next().value);
    } else if (e.kind === "RETRIED") {
      recentOutcomes.delete(e.jobId); // a retry by hand: its old outcome is not the one awaited
    }
    if (watched.has(e.jobId)) announce(e);
  });

  function jobDetail(idText) {
    const id = Number(idText);
    const seen = []; // live events for this job while the page is open
    const body = h("div", null, h("div", { class: "loading" }, "Loading job…"));
    clear(view);
    append(view, [h("p", null, h("a", { href: "#/jobs", onclick: (e) => { if (history.length > 1) { e.preventDefault(); history.back(); } } }, "← Back to jobs")), body]);
    if (!Number.isSafeInteger(id) || id <= 0) {
      clear(body).appendChild(empty("No such job", "'" + idText + "' is not a job id."));
      return {};
    }

    let tick = null;

    async function load() {
      try {
        const j = await api("GET", "/api/jobs/" + id);
        draw(j);
        // progress is reported without an event: re-read a running job every 2 s while it is open
        clearTimeout(tick);
        if (j.state === "RUNNING") tick = setTimeout(load, 2000);
      } catch (e) {
        clear(body).appendChild(e.status === 404 ? empty("Job #" + id + " is gone", e.message, h("a", { href: "#/jobs" }, "All jobs")) : failure(e, load));
      }
    }

    function draw(j) {
      const canRetry = j.state === "FAILED" || j.state === "CANCELLED";
      const canCancel = !["SUCCEEDED", "FAILED", "CANCELLED"].includes(j.state);
      const actions = h("div", { class: "actions" },
        canRetry ? h("button", { type: "button", class: "primary", id: "retry", onclick: async (e) => {
          e.target.disabled = true;
          watch(id); // before the call: the outcome's event may arrive before the call's answer
          const r = await act("Retry", () => api("POST", "/api/jobs/" + id + "/retry"));
          if (r) {
            toast("Job #" + id + " queued again", "");
            load(); // fresh, not the answer: events may already have moved the job on
          } else {
            watched.delete(id);
            e.target.disabled = false;
          }
        } }, "Retry now") : null,
        canCancel ? h("button", { type: "button", id: "cancel", onclick: async () => {
          if (!(await confirmDialog("Cancel job #" + id + "? A running attempt is not interrupted; its result is discarded.", "Cancel job"))) return;
          const r = await act("Cancel", () => api("POST", "/api/jobs/" + id + "/cancel"));
          if (r) draw(r);
        } }, "Cancel") : null,
        h("button", { type: "button", class: "danger", id: "delete", onclick: async () => {
          if (!(await confirmDialog("Delete job #" + id + " and its history? This cannot be undone.", "Delete"))) return;
          const r = await act("Delete", () => api("DELETE", "/api/jobs/" + id));
          if (r) {
            toast("Deleted job #" + id, "ok");
            location.hash = "#/jobs";
          }
        } }, "Delete"));

      const lastMs = j.startedAt && j.finishedAt ? new Date(j.finishedAt) - new Date(j.startedAt) : null;
      clear(body);
      append(body, [
        h("div", { class: "page-head" },
          h("div", null, h("h1", null, "Job #" + j.id + " ", h("span", { class: "muted" }, j.type)),
            h("p", null, badge(j.state), " in queue ", h("strong", null, j.queue), " · attempt " + j.attempt + " of " + j.maxAttempts)),
          actions),
        j.lastError && j.state !== "SUCCEEDED" ? h("section", { class: "panel" }, h("h3", null, "Last error"), h("div", { class: "error-text", id: "last-error" }, j.lastError)) : null,
        h("section", { class: "panel" }, h("dl", { class: "facts" },
          fact("Enqueued", when(j.createdAt), fmtTime(j.createdAt)),
          fact(j.state === "SCHEDULED" || j.state === "RETRYING" ? "Runs" : "Run at", when(j.runAt), fmtTime(j.runAt)),
          fact("Started", when(j.startedAt), fmtTime(j.startedAt)),
          fact("Finished", when(j.finishedAt), fmtTime(j.finishedAt)),
          fact("Last attempt took", duration(lastMs)),
          fact("Progress", j.progress === null ? "—" : [j.progress + " %", h("div", { class: "progress" }, h("span", { style: null, dataset: { p: j.progress } }))]),
          fact("Priority", String(j.priority)),
          fact("Tags", j.tags.length ? j.tags.map((t) => h("a", { class: "tag", href: "#/jobs" + query({ tag: t }) }, t)) : "—"),
          fact("Unique key", j.uniqueKey || "—"),
          fact("Schedule", j.scheduleId || "—"),
          fact("Node", j.nodeId || "—"),
          fact("Lease until", j.leaseUntil ? when(j.leaseUntil) : "—"),
          fact("Rescued", String(j.rescues || 0) + " times"))),
        h("div", { class: "two" },
          h("section", { class: "panel" }, h("h2", null, "Payload"), h("pre", { class: "json", id: "payload" }, pretty(j.payload))),
          h("section", { class: "panel" }, h("h2", null, "Timeline"), timeline(j))),
        h("section", { class: "panel flush" }, h("div", { class: "panel-head" }, h("h2", null, "Attempts")), attempts(j)),
        j.result !== null && j.result !== undefined ? h("section", { class: "panel" }, h("h2", null, "Result"), h("pre", { class: "json", id: "result" }, pretty(j.result))) : null,
      ]);
      for (const bar of body.querySelectorAll(".progress > span")) bar.style.width = Math.max(0, Math.min(100, Number(bar.dataset.p))) + "%";
    }

    function attempts(j) {
      // the API lists every attempt with its times; the failed ones first, in the order of errors
      const label = (a) => a.outcome.toLowerCase().replace("_", " ") + (a.kind === "permanent" || a.kind === "quarantined" ? " (" + a.kind + ")" : "");
      const rows = (j.attempts || []).map((a, i) => ({ attempt: a.attempt, outcome: label(a), state: a.outcome,
        at: a.finishedAt, ms: a.durationMs, started: a.startedAt, message: a.message, trace: a.kind && j.errors[i] ? j.errors[i].stackTrace : "" }));
      if (!rows.length) return empty("No attempts yet", j.state === "SCHEDULED" ? "It runs " + ago(j.runAt) + "." : "It runs when a worker of queue " + j.queue + " is free.");
      const badgeOf = (s) => s === "SUCCEEDED" ? "SUCCEEDED" : s === "RUNNING" ? "RUNNING" : s === "CANCELLED" ? "CANCELLED" : "FAILED";
      return h("div", { class: "table-scroll" }, h("table", { class: "cards-on-phone", id: "attempts" },
        h("thead", null, h("tr", null, h("th", { class: "num" }, "#"), h("th", null, "Outcome"), h("th", null, "Started"), h("th", null, "Ended"), h("th", { class: "num" }, "Took"), h("th", null, "Error"))),
        h("tbody", null, rows.map((r) => h("tr", { dataset: { attempt: r.attempt } },
          h("td", { class: "num", "data-label": "Attempt" }, String(r.attempt)),
          h("td", { "data-label": "Outcome" }, h("span", { class: "badge " + badgeOf(r.state) }, r.outcome)),
          h("td", { "data-label": "Started" }, r.started ? when(r.started) : "—"),
          h("td", { "data-label": "Ended" }, r.at ? when(r.at) : "—"),
          h("td", { class: "num took", "data-label": "Took", title: r.state === "RUNNING" ? "still running"
            : r.ms === null || r.ms === undefined ? "unknown: recorded before Errand kept each attempt's start" : "" },
            r.state === "RUNNING" ? "—" : duration(r.ms)),
          h("td", { "data-label": "Error" }, r.message ? h("div", { class: "error-text" }, r.message) : "",
            r.trace ? h("details", null, h("summary", null, "Stack trace"), h("pre", { class: "trace" }, r.trace)) : null))))));
    }

    function timeline(j) {
      const items = [{ at: j.createdAt, text: "Enqueued", cls: "" }];
      if (j.runAt && j.runAt !== j.createdAt && (j.state === "SCHEDULED" || j.state === "RETRYING")) items.push({ at: j.runAt, text: "Due to run", cls: "" });
      for (const e of j.errors) {
        if (e.startedAt) items.push({ at: e.startedAt, text: "Attempt " + e.attempt + " started", cls: "" });
        items.push({ at: e.at, text: "Attempt " + e.attempt + " failed (" + e.kind + ")", cls: "bad" });
      }
      if (j.startedAt && !j.errors.some((e) => e.attempt === j.attempt)) items.push({ at: j.startedAt, text: "Attempt " + j.attempt + " started", cls: "" });
      if (j.finishedAt) items.push({ at: j.finishedAt, text: j.state === "SUCCEEDED" ? "Succeeded" : j.state === "FAILED" ? "Failed for good" : "Ended (" + j.state.toLowerCase() + ")",
        cls: j.state === "SUCCEEDED" ? "ok" : "bad" });
      for (const e of seen) if (["RETRIED", "CANCELLED", "RESCUED", "SNOOZED", "RELEASED"].includes(e.kind)) items.push({ at: e.at, text: e.kind.charAt(0) + e.kind.slice(1).toLowerCase() + " (seen live)", cls: "" });
      items.sort((a, b) => new Date(a.at) - new Date(b.at));
      return h("ol", { class: "timeline", id: "timeline" }, items.map((i) => h("li", { class: i.cls }, h("div", null, i.text), h("div", { class: "when" }, fmtTime(i.at) + " · " + ago(i.at)))));
    }

    const refresh = throttle(load, 300);
    load();
    return {
      dispose: () => clearTimeout(tick),
      refresh(event) {
        if (event === "reset") return refresh();
        if (event.jobId === id) {
          seen.push(event);
          if (event.kind === "DELETED") return clear(body).appendChild(empty("Job #" + id + " was deleted", "", h("a", { href: "#/jobs" }, "All jobs")));
          refresh();
        }
      },
    };
  }

  function fact(label, value, title) {
    return h("div", null, h("dt", null, label), h("dd", { title: title || undefined }, value));
  }

  function pretty(v) {
    if (v === null || v === undefined) return "null";
    return typeof v === "string" ? v : JSON.stringify(v, null, 2);
  }

  // ------------------------------------------------------------------ queues, schedules, nodes

  /**
   * A page with one panel that lists what GET `path` answers under `key`, drawn by
   * `table(items, reload)`, or an empty state `none` = [title, text]. Returns its loader.
   */
  function listView(title, subtitle, path, key, none, table) {
    const panel = h("section", { class: "panel flush" }, h("div", { class: "loading" }, "Loading " + key + "…"));
    clear(view);
    append(view, [pageHead(title, subtitle), panel]);
    async function load() {
      try {
        const items = (await api("GET", path))[key];
        clear(panel).appendChild(items.length ? h("div", { class: "table-scroll" }, table(items, load)) : empty(none[0], none[1]));
      } catch (e) {
        clear(panel).appendChild(failure(e, load));
      }
    }
    load();
    return load;
  }

  /** A small button that calls the API and reports the outcome. */
  function actionButton(label, action, primary, call, done) {
    return h("button", { type: "button", class: "small" + (primary ? " primary" : ""), "data-action": action, onclick: async () => {
      const r = await act(label, call);
      if (r) done(r);
    } }, label);
  }

  function queuesView() {
    const load = listView("Queues", "Depth by state, and the workers serving each queue. Pausing stops claims on every node; running jobs finish.",
      "/api/queues", "queues", ["No queues yet", "A queue appears once a node serves it or a job is enqueued to it."],
      (queues, reload) => h("table", { class: "cards-on-phone", id: "queues" },
        h("thead", null, h("tr", null, h("th", null, "Queue"), STATES.map((s) => h("th", { class: "num" }, s.toLowerCase())),
          h("th", { class: "num" }, "Workers"), h("th", null, ""))),
        h("tbody", null, queues.map((q) => h("tr", { "data-queue": q.name },
          h("td", { "data-label": "Queue" }, h("a", { href: "#/jobs" + query({ queue: q.name }) }, q.name), " ", q.paused ? h("span", { class: "badge paused" }, "paused") : null,
            depthBar(q.depth)),
          STATES.map((s) => h("td", { class: "num", "data-label": s.toLowerCase() },
            q.depth[s] ? h("a", { href: "#/jobs" + query({ queue: q.name, state: s }) }, num(q.depth[s])) : "0")),
          h("td", { class: "num", "data-label": "Workers", title: q.nodes.join(", ") }, q.concurrency + " on " + q.nodes.length + " node" + (q.nodes.length === 1 ? "" : "s")),
          h("td", { "data-label": "" }, actionButton(q.paused ? "Resume" : "Pause", q.paused ? "resume" : "pause", q.paused,
            () => api("POST", "/api/queues/" + encodeURIComponent(q.name) + (q.paused ? "/resume" : "/pause")),
            (r) => { toast("Queue " + q.name + (r.paused ? " paused" : " resumed"), "ok"); reload(); })))))));
    return { refresh: throttle(load, 2000) };
  }

  function depthBar(depth) {
    const total = STATES.reduce((a, s) => a + (s === "SUCCEEDED" || s === "CANCELLED" ? 0 : depth[s] || 0), 0);
    const bar = h("div", { class: "depth", title: "scheduled, queued, running, retrying, failed" });
    if (!total) return bar;
    for (const s of ["SCHEDULED", "QUEUED", "RUNNING", "RETRYING", "FAILED"]) {
      if (!depth[s]) continue;
      const seg = h("span");
      seg.style.width = (100 * depth[s]) / total + "%";
      seg.style.background = STATE_COLORS[s];
      bar.appendChild(seg);
    }
    return bar;
  }

  function schedulesView() {
    const load = listView("Schedules", "Recurring jobs, their next occurrences (materialized ahead of time) and their state.",
      "/api/schedules", "schedules", ["No schedules", "Define one with errand.defineSchedule(...) or POST /api/schedules."],
      (schedules, reload) => h("table", { class: "cards-on-phone", id: "schedules" },
        h("thead", null, h("tr", null, h("th", null, "Name"), h("th", null, "Type"), h("th", null, "When"), h("th", null, "Next occurrences"), h("th", null, ""))),
        h("tbody", null, schedules.sort((a, b) => (a.builtIn - b.builtIn) || a.name.localeCompare(b.name)).map((s) => h("tr", { "data-schedule": s.name },
          h("td", { "data-label": "Name" }, h("strong", null, s.name), " ", s.paused ? h("span", { class: "badge paused" }, "paused") : null,
            s.builtIn ? h("span", { class: "badge" }, "built in") : null),
          h("td", { "data-label": "Type" }, h("a", { href: "#/jobs" + query({ type: s.type }) }, s.type), h("div", { class: "muted small" }, "queue " + s.queue)),
          h("td", { "data-label": "When" }, h("span", { class: "mono" }, s.schedule), h("div", { class: "muted small" }, s.zone + " · misfire " + s.misfire)),
          h("td", { "data-label": "Next" }, s.paused ? h("span", { class: "muted" }, "paused") : s.nextFireTimes.length
            ? h("ul", { class: "next-times" }, s.nextFireTimes.slice(0, 3).map((t) => h("li", null, h("time", { datetime: t }, fmtTime(t)), " ", h("span", { class: "muted small" }, ago(t)))))
            : h("span", { class: "muted" }, "none")),
          h("td", { "data-label": "" }, h("div", { class: "actions" },
            actionButton(s.paused ? "Resume" : "Pause", s.paused ? "resume" : "pause", false,
              () => api("POST", "/api/schedules/" + encodeURIComponent(s.name) + (s.paused ? "/resume" : "/pause")),
              () => { toast("Schedule " + s.name + (s.paused ? " resumed" : " paused"), "ok"); reload(); }),
            actionButton("Run now", "trigger", false, () => {
              return api("POST", "/api/schedules/" + encodeURIComponent(s.name) + "/trigger");
            }, (r) => { toast("Triggered " + s.name + ": job #" + r.id, "ok"); watch(r.id, true); }))))))));
    const refresh = throttle(load, 3000);
    return { refresh: (e) => { if (e === "reset" || e.kind === "ENQUEUED" || e.kind === "SUCCEEDED") refresh(); } };
  }

  function nodesView() {
    const load = listView("Nodes", "Every node that heartbeats into this store, with its queues and running jobs.",
      "/api/nodes", "nodes", ["No nodes", "No worker is heartbeating. Start one, or check that it uses this store."],
      (nodes) => h("table", { class: "cards-on-phone", id: "nodes" },
        h("thead", null, h("tr", null, h("th", null, "Node"), h("th", null, "Host"), h("th", null, "Heartbeat"), h("th", null, "Queues (workers)"), h("th", { class: "num" }, "Running"), h("th", null, "Up since"))),
        h("tbody", null, nodes.map((n) => h("tr", null,
          h("td", { "data-label": "Node" }, h("span", { class: "mono" }, n.id), " ", n.stale ? h("span", { class: "badge stale" }, "not heartbeating") : null),
          h("td", { "data-label": "Host" }, n.host + " · pid " + n.pid),
          h("td", { "data-label": "Heartbeat" }, duration(n.heartbeatAgeMs) + " ago"),
          h("td", { "data-label": "Queues" }, Object.entries(n.queues).map(([q, c]) => h("span", { class: "tag" }, q + " (" + c + ")"))),
          h("td", { class: "num", "data-label": "Running" }, n.runningJobs ? h("a", { href: "#/jobs?state=RUNNING" }, String(n.runningJobs)) : "0"),
          h("td", { "data-label": "Up since" }, when(n.startedAt)))))));
    const tick = setInterval(load, 5000); // heartbeats are not job events: refresh while open
    return { dispose: () => clearInterval(tick), refresh: throttle(load, 2000) };
  }

  // ------------------------------------------------------------------ start

  live.on((event, e) => {
    if (event === "reset" || (event === "job" && ["FAILED", "RETRIED", "DELETED"].includes(e.kind))) failedCount();
    if (current && current.refresh && (event === "job" || event === "reset")) current.refresh(event === "reset" ? "reset" : e);
  });

  updateSignOut();
  render();
  failedCount();
  live.start();
})();
