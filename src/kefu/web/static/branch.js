// kefu branch hall: the kiosk (take a number), the counter (call the next number) and the
// hall display (numbers called). Data from /api/v1/branch; no framework, no CDN.
"use strict";
kefuI18n.load("branch").then(function (I18N) {
  const page = document.body.dataset.page;
  const csrf = document.body.dataset.csrf || "";
  const asked = new URLSearchParams(location.search).get("lang");
  let lang = (asked in I18N && asked) || localStorage.getItem("kefu.lang") || "zh";
  const t = (k, values) => kefuI18n.fill(I18N[lang][k], values);
  const tn = (k, n, values) => kefuI18n.plural(I18N[lang][k], lang, n, values);
  const $ = (id) => document.getElementById(id);
  const el = (tag, cls, text) => { const e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e; };
  let services = [], menu = null, lastTicket = null, lastCounter = null, lastDisplay = null;

  async function call(method, path, body) {
    const response = await fetch("/api/v1/branch" + path, {
      method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf, "Accept-Language": lang === "zh" ? "zh-CN" : "en" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.message || response.statusText);
    return data;
  }
  const minutes = (s) => Math.max(1, Math.round(s / 60));
  // A numbered counter shows as its number (never the clerk's name); else the name given.
  const counterText = (x) => (x.counter_no ? t("counter_no", { n: x.counter_no }) : x.counter || "");
  function idleText(idle) {
    if (!idle) return "";
    const base = idle.code === "busy" ? tn("idle_busy", idle.held) : t("idle_" + idle.code) || "";
    return idle.waiting_elsewhere ? `${base} ${t("idle_elsewhere", { n: idle.waiting_elsewhere })}` : base;
  }
  function waitText(x) {
    if (x.estimated_wait_s === null || x.estimated_wait_s === undefined) return t("wait_none");
    if (x.state && x.state !== "queued") return x.counter ? t("called_to", { counter: counterText(x) }) : t("wait_now");
    if (!x.estimated_wait_s) return t("wait_now");
    const m = minutes(x.estimated_wait_s);
    return tn("wait_about", m, { minutes: m, ahead: x.ahead === undefined ? x.waiting : x.ahead });
  }
  function tile(s, name, clickable, onClick) {
    const b = el(clickable ? "button" : "div", "service"); if (clickable) b.type = "button";
    if (s.queue_id) b.dataset.queue = s.queue_id;
    b.append(el("div", "letter", s.letter || ""), el("div", "", name), el("div", "sub", t("waiting", { n: s.waiting || 0 })),
      el("div", "sub", waitText({ estimated_wait_s: s.estimated_wait_s, ahead: s.waiting || 0 })));
    if (clickable) b.addEventListener("click", onClick);
    return b;
  }
  // The kiosk's flow menu, whole (sub-menus under their option), then any service the flow
  // does not lead to; a tap answers the flow, whose transfer picks the service.
  function renderFlow(box) {
    const covered = new Set();
    const add = (parent, options) => {
      for (const o of options) {
        const name = o.label[lang] || o.label.zh;
        if (o.children.length) {
          const group = el("div", "service-group"); group.append(el("div", "group-title", name));
          add(group, o.children); parent.append(group); continue;
        }
        const s = services.find((x) => x.queue_id === o.queue) || { queue_id: o.queue };
        if (o.queue) covered.add(o.queue);
        parent.append(tile(s, name, true, () => issue(null, o.steps.map((x) => x.text))));
      }
    };
    for (const m of menu.menus) add(box, m.options);
    for (const s of services) if (!covered.has(s.queue_id)) box.append(tile(s, s.name, true, () => issue(s.queue_id)));
  }
  function renderServices(target, clickable) {
    const box = $(target); if (!box) return;
    box.replaceChildren();
    if (clickable && menu && menu.flow) { renderFlow(box); return; }
    if (!services.length) box.append(el("p", "", t("no_services")));
    for (const s of services) box.append(tile(s, s.name, clickable, () => issue(s.queue_id)));
  }
  async function loadServices() { services = await call("GET", "/services"); renderServices("services", true); renderServices("queue-status", false); }

  // -- kiosk --------------------------------------------------------------------------
  async function issue(queueId, answers) {
    const phone = $("phone").value.trim();
    const body = answers ? { flow: menu.flow, answers, phone } : { queue_id: queueId, phone };
    try { lastTicket = await call("POST", "/tickets", body); }
    catch (e) { $("kiosk-error").textContent = e.message; $("kiosk-error").classList.remove("hidden"); return; }
    $("kiosk-error").classList.add("hidden");
    if ($("sms-form")) { $("sms-phone").value = phone; $("sms-form").classList.remove("hidden"); $("sms-done").classList.add("hidden"); }
    renderTicket(); loadServices();
  }
  function renderTicket() {
    if (!lastTicket) { $("ticket").classList.add("hidden"); return; }
    const s = services.find((x) => x.queue_id === lastTicket.service);
    $("ticket").classList.remove("hidden");
    $("ticket-number").textContent = lastTicket.ticket;
    $("ticket-service").textContent = s ? s.name : lastTicket.service;
    $("ticket-wait").textContent = waitText(lastTicket);
  }
  // The SMS offer is on the page only when an SMS channel is configured.
  function smsOffer() {
    $("sms-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        lastTicket = await call("POST", `/tickets/${lastTicket.contact_id}/sms`, { phone: $("sms-phone").value.trim() });
        $("sms-form").classList.add("hidden"); $("sms-done").classList.remove("hidden"); renderTicket();
      } catch (e) { $("sms-phone").setCustomValidity(e.message); $("sms-phone").reportValidity(); }
    });
    $("sms-phone").addEventListener("input", () => $("sms-phone").setCustomValidity(""));
  }
  function kiosk() {
    if ($("sms-form")) smsOffer();
    $("done").addEventListener("click", () => { lastTicket = null; $("phone").value = ""; renderTicket(); });
    call("GET", "/menu").then((m) => { menu = m; loadServices(); }).catch(() => loadServices());
    setInterval(loadServices, 5000);
  }

  // -- counter ------------------------------------------------------------------------
  function renderCounter(v) {
    lastCounter = v; services = v.services; renderServices("queue-status", false);
    const current = v.serving[0];
    $("serving").textContent = current ? current.ticket : "–";
    $("serving-detail").textContent = current ? (services.find((s) => s.queue_id === current.service) || {}).name || "" : t("nobody");
    const state = v.pending ? t("pending") : t(v.presence);
    $("counter-state").textContent = v.counter_no ? `${t("counter_no", { n: v.counter_no })} · ${state}` : state;
    $("counter-idle").textContent = idleText(v.idle);
  }
  async function counterAction(path) {
    try { $("error").classList.add("hidden"); renderCounter(await call("POST", path)); }
    catch (e) { $("error").textContent = e.message; $("error").classList.remove("hidden"); }
  }
  function counter() {
    $("next").addEventListener("click", () => counterAction("/counter/next"));
    $("pause").addEventListener("click", () => counterAction("/counter/pause"));
    const poll = async () => { try { renderCounter(await call("GET", "/counter")); } catch (e) { /* next poll */ } };
    poll(); setInterval(poll, 2000);
  }

  // -- hall display -------------------------------------------------------------------
  function renderDisplay(d) {
    lastDisplay = d; services = d.services; renderServices("queue-status", false);
    const latest = d.called[0];
    $("latest-ticket").textContent = latest ? latest.ticket : "–";
    $("latest-counter").textContent = latest ? counterText(latest) : "";
    const body = document.querySelector("#called tbody"); body.replaceChildren();
    for (const c of d.called) {
      const tr = el("tr"); tr.dataset.ticket = c.ticket;
      tr.append(el("td", "", c.ticket), el("td", "", counterText(c)),
        el("td", "", new Date(c.at * 1000).toLocaleTimeString(lang === "zh" ? "zh-CN" : "en-GB")));
      body.append(tr);
    }
  }
  function display() {
    const poll = async () => { try { renderDisplay(await call("GET", "/display")); } catch (e) { /* next poll */ } };
    poll(); setInterval(poll, 1500);
  }

  function applyLang() {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    document.querySelectorAll("[data-i18n]").forEach((n) => { const v = t(n.dataset.i18n); if (typeof v === "string") n.textContent = v; });
    $("lang").textContent = t("lang");
    renderServices("services", true); renderServices("queue-status", false);
    if (page === "kiosk") renderTicket();
    if (page === "counter" && lastCounter) renderCounter(lastCounter);
    if (page === "display" && lastDisplay) renderDisplay(lastDisplay);
  }
  $("lang").addEventListener("click", () => { lang = lang === "zh" ? "en" : "zh"; localStorage.setItem("kefu.lang", lang); applyLang(); });
  setInterval(() => { $("clock").textContent = new Date().toLocaleTimeString(lang === "zh" ? "zh-CN" : "en-GB"); }, 1000);
  applyLang();
  if (page === "kiosk") kiosk(); else if (page === "counter") counter(); else display();
});
