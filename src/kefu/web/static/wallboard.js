// kefu wallboard: renders the snapshots pushed over /ws/wallboard (no external library).
"use strict";
kefuI18n.load("wallboard").then(function (I18N) {
  const asked = new URLSearchParams(location.search).get("lang");
  let lang = (asked in I18N && asked) || localStorage.getItem("kefu.lang") ||
    (navigator.language.startsWith("zh") ? "zh" : "en");
  let last = null;
  let connected = false;
  const $ = (id) => document.getElementById(id);
  const t = (key) => I18N[lang][key] || key;
  const stateLabel = (s) => t({ offered: "offered_state", offline: "offline_state" }[s] || s);

  function duration(s) {
    if (s === null || s === undefined) return "–";
    s = Math.max(0, Math.round(s));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    const pad = (n) => String(n).padStart(2, "0");
    return h ? `${h}:${pad(m)}:${pad(sec)}` : `${m}:${pad(sec)}`;
  }
  const pct = (x) => (x === null || x === undefined ? "–" : `${Math.round(x * 100)}%`);
  function slClass(sl, target) {
    if (sl === null || sl === undefined) return "";
    return sl >= target ? "good" : sl >= target - 0.1 ? "warn" : "bad";
  }
  function cell(text, cls) {
    const td = document.createElement("td");
    td.textContent = text;
    if (cls) td.className = cls;
    return td;
  }

  function applyLang() {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    document.querySelectorAll("[data-i18n]").forEach((el) => {
      if (el.id === "status") return;
      el.textContent = t(el.dataset.i18n);
    });
    $("lang").textContent = t("lang");
    setStatus(connected);
    if (last) render(last);
  }

  function setStatus(online) {
    const el = $("status");
    el.textContent = t(online ? "online" : (last ? "offline" : "connecting"));
    el.className = "status " + (online ? "online" : "offline");
  }

  function render(snap) {
    last = snap;
    const tot = snap.totals;
    $("t-waiting").textContent = tot.waiting;
    $("t-sl").textContent = pct(tot.service_level);
    $("t-asa").textContent = duration(tot.asa_s);
    $("t-offered").textContent = tot.offered;
    $("t-answered").textContent = tot.answered;
    $("t-abandoned").textContent = tot.abandoned;
    $("clock").textContent = new Date(snap.at * 1000).toLocaleTimeString(lang === "zh" ? "zh-CN" : "en-GB");

    const qBody = document.querySelector("#queues tbody");
    qBody.replaceChildren(...snap.queues.map((q) => {
      const tr = document.createElement("tr");
      tr.dataset.queue = q.queue_id;
      // The queue's name opens today's contacts of the queue (the report's drill-down).
      const name = cell("");
      const link = document.createElement("a");
      link.href = "/reports/contacts?days=1&queue=" + encodeURIComponent(q.queue_id);
      link.textContent = q.name;
      name.append(link);
      tr.append(
        name,
        cell(q.waiting, q.waiting > 0 ? "warn" : ""),
        cell(duration(q.longest_wait_s), q.longest_wait_s > q.sl_threshold_s ? "bad" : ""),
        cell(pct(q.service_level), slClass(q.service_level, q.sl_target)),
        cell(duration(q.asa_s)),
        cell(q.abandoned),
        cell(q.estimated_wait_s === null ? t("none") : duration(q.estimated_wait_s)),
      );
      return tr;
    }));

    const counts = $("agent-counts");
    counts.replaceChildren(...Object.entries(snap.agent_counts).sort().map(([state, n]) => {
      const span = document.createElement("span");
      span.className = "pill " + state;
      span.textContent = `${stateLabel(state)} ${n}`;
      return span;
    }));
    const aBody = document.querySelector("#agents tbody");
    const agents = [...snap.agents].sort((a, b) => a.activity.localeCompare(b.activity) || b.time_in_state_s - a.time_in_state_s);
    aBody.replaceChildren(...agents.map((a) => {
      const tr = document.createElement("tr");
      let label = stateLabel(a.activity);
      // An agent logged out because its desktop disappeared shows why (session lost).
      if (a.reason && (a.activity === "not_ready" || a.activity === "offline")) {
        const known = I18N[lang]["reason." + a.reason];
        label += ` (${known || a.reason})`;
      }
      if (a.pending) label += ` → ${t("pending")} ${stateLabel(a.pending)}`;
      tr.append(cell(a.name), cell(label), cell(duration(a.time_in_state_s)), cell(a.contacts),
        callsCell(a.calls || []));
      return tr;
    }));
    drawChart(snap);
  }

  // A voice call in progress: listen, whisper or barge in on one's registered phone.
  const JOINS = ["listen", "whisper", "barge"];
  function callsCell(calls) {
    const td = document.createElement("td");
    td.className = "calls";
    for (const contactId of calls) {
      const group = document.createElement("span");
      group.className = "call";
      group.dataset.contact = contactId;
      for (const action of JOINS) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "join " + action;
        button.dataset.action = action;
        button.textContent = t(action);
        button.addEventListener("click", () => join(contactId, action));
        group.append(button);
      }
      td.append(group);
    }
    return td;
  }

  function showJoin(text, ok) {
    const el = $("join-status");
    el.textContent = text;
    el.className = "join-status " + (ok ? "ok" : "refused");
  }

  async function join(contactId, action) {
    const code = lang === "zh" ? "zh" : "en";
    const url = `/api/v1/contacts/${encodeURIComponent(contactId)}/${action}?lang=${code}`;
    let response;
    try {
      response = await fetch(url, {
        method: "POST", credentials: "same-origin",
        headers: { "X-CSRF-Token": document.body.dataset.csrf || "" },
      });
    } catch (err) {
      showJoin(kefuI18n.fill(t("join_refused"), { action: t(action), reason: String(err) }), false);
      return;
    }
    if (response.ok) {
      showJoin(kefuI18n.fill(t("join_asked"), { action: t(action) }), true);
      return;
    }
    const body = await response.json().catch(() => ({}));
    const reason = body.message || String(response.status);
    showJoin(kefuI18n.fill(t("join_refused"), { action: t(action), reason }), false);
  }

  function svg(tag, attrs, text) {
    const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
    if (text !== undefined) el.textContent = text;
    return el;
  }

  function drawChart(snap) {
    const chart = $("chart");
    const W = 600, H = 260, L = 40, R = 44, T = 12, B = 26;
    const hist = snap.history, t0 = hist.since, t1 = snap.at;
    const x = (at) => L + ((at - t0) / (t1 - t0)) * (W - L - R);
    const maxWait = 4 * Math.max(1, Math.ceil(Math.max(0, ...hist.waiting.map((p) => p[1])) / 4));
    const yW = (n) => H - B - (n / maxWait) * (H - T - B);
    const yS = (sl) => H - B - sl * (H - T - B);
    const parts = [];
    for (let i = 0; i <= 4; i++) {
      const y = T + (i * (H - T - B)) / 4;
      parts.push(svg("line", { class: "grid", x1: L, x2: W - R, y1: y, y2: y }));
      parts.push(svg("text", { x: W - R + 6, y: y + 4 }, `${100 - i * 25}%`));
      parts.push(svg("text", { x: 4, y: y + 4 }, String(Math.round(maxWait * (1 - i / 4)))));
    }
    for (let m = 0; m <= 60; m += 15) {
      const at = t0 + m * 60;
      parts.push(svg("text", { x: x(at) - 10, y: H - 6 }, m === 60 ? "0" : `-${60 - m}m`));
    }
    if (hist.waiting.length > 1) {
      const pts = hist.waiting.map((p) => `${x(p[0]).toFixed(1)},${yW(p[1]).toFixed(1)}`);
      const first = hist.waiting[0][0], lastAt = hist.waiting[hist.waiting.length - 1][0];
      parts.push(svg("path", { class: "waiting",
        d: `M${x(first)},${H - B} L${pts.join(" L")} L${x(lastAt)},${H - B} Z` }));
    }
    // Each SL point sits mid-interval, but never outside the hour shown: the current
    // interval's middle is often still in the future.
    const sl = hist.sl.filter((p) => p[1] !== null)
      .map((p) => [Math.min(t1, Math.max(t0, p[0] + hist.sl_interval_s / 2)), p[1]]);
    if (sl.length > 1) {
      parts.push(svg("path", { class: "sl",
        d: "M" + sl.map((p) => `${x(p[0]).toFixed(1)},${yS(p[1]).toFixed(1)}`).join(" L") }));
    }
    for (const p of sl) parts.push(svg("circle", { class: "sl-dot", cx: x(p[0]), cy: yS(p[1]), r: 3 }));
    chart.replaceChildren(...parts);
  }

  function connect() {
    const site = document.body.dataset.siteId;
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const url = `${scheme}://${location.host}/ws/wallboard` + (site ? `?site_id=${encodeURIComponent(site)}` : "");
    const ws = new WebSocket(url);
    ws.onopen = () => { connected = true; setStatus(true); };
    ws.onmessage = (msg) => render(JSON.parse(msg.data));
    ws.onclose = (event) => {
      connected = false;
      if (event.code === 4401) {  // not logged in (any more): back to the login page
        location.assign("/login?next=" + encodeURIComponent(location.pathname + location.search));
        return;
      }
      if (event.code === 4403) {  // not allowed to see this site: do not retry
        const el = $("status");
        el.textContent = t("forbidden");
        el.className = "status offline";
        return;
      }
      setStatus(false);
      setTimeout(connect, 2000);
    };
  }

  // The chart's drawing, callable with any snapshot (the browser tests check its bounds).
  window.kefuWallboard = { drawChart };
  $("lang").addEventListener("click", () => {
    lang = lang === "en" ? "zh" : "en";
    localStorage.setItem("kefu.lang", lang);
    applyLang();
  });
  applyLang();
  connect();
});
