// kefu branch hall: the kiosk (take a number), the counter (call the next number) and the
// hall display (numbers called). Data from /api/v1/branch; no framework, no CDN.
"use strict";
(function () {
  const I18N = {
    zh: {
      kiosk_title: "自助取号", counter_title: "窗口叫号", display_title: "叫号显示",
      phone_optional: "手机号（选填，可短信提醒）", waiting: (n) => `${n} 人等候`,
      wait_about: (m, a) => `预计等待约 ${m} 分钟，前面还有 ${a} 位`, wait_none: "暂无窗口办理此业务",
      wait_now: "请直接前往窗口办理", called_to: (c) => `请到 ${c} 办理`,
      sms_offer: "不想在大厅等候？留下手机号，快到您时我们短信通知您。", sms_button: "短信提醒我",
      sms_done: "好的，快轮到您时会短信通知您，号码保留。", done: "完成",
      serving: "正在办理", call_next: "叫下一位", pause: "暂停", now_calling: "请以下号码办理",
      ticket: "号码", counter: "窗口", time: "时间", ready: "叫号中", not_ready: "已暂停",
      pending: "办完当前号码后暂停", offline: "未上岗", nobody: "暂无等候", lang: "English",
      no_services: "尚未开设营业厅业务（管理员可添加“branch”渠道的队列）。",
      counter_no: (n) => `${n}号窗口`,
      idle_nobody_waiting: "暂无客户等候您办理的业务。", idle_elsewhere: (n) => `另有 ${n} 人在等候您不办理的业务。`,
      idle_not_counter: "您的技能不办理本厅任何业务，无法叫号。", idle_paused: "已暂停：点“叫下一位”恢复叫号。",
      idle_offline: "未上岗：点“叫下一位”开始叫号。", idle_busy: (n) => `请先结束您正在处理的 ${n} 个其他会话，才能叫号。`,
      idle_not_offered: "有客户等候，但暂时没有可叫的号码，请稍后再试。",
    },
    en: {
      kiosk_title: "Take a number", counter_title: "Counter", display_title: "Now serving",
      phone_optional: "Mobile number (optional, for an SMS reminder)", waiting: (n) => `${n} waiting`,
      wait_about: (m, a) => `About ${m} minute${m === 1 ? "" : "s"}, ${a} ahead`, wait_none: "No counter serves this now",
      wait_now: "Please go to the counter now", called_to: (c) => `Please go to ${c}`,
      sms_offer: "Rather not wait in the hall? Leave your number and we will text you when your turn nears.",
      sms_button: "Text me", sms_done: "Done: we will text you when your turn nears; your place is kept.",
      done: "Done", serving: "Serving", call_next: "Call next", pause: "Pause", now_calling: "Now calling",
      ticket: "Number", counter: "Counter", time: "Time", ready: "Calling", not_ready: "Paused",
      pending: "Pausing after this number", offline: "Not on duty", nobody: "Nobody waiting", lang: "中文",
      no_services: "No services in this hall yet (an admin adds queues of channel “branch”).",
      counter_no: (n) => `Counter ${n}`,
      idle_nobody_waiting: "Nobody is waiting for your services.", idle_elsewhere: (n) => `${n} waiting for services you do not serve.`,
      idle_not_counter: "Your skills serve none of this hall's services, so you cannot call a number.",
      idle_paused: "Paused: “Call next” resumes calling.", idle_offline: "Not on duty: “Call next” starts calling.",
      idle_busy: (n) => `Finish your ${n} other contact${n === 1 ? "" : "s"} first to call a number.`,
      idle_not_offered: "People are waiting but no number can be called yet; try again shortly.",
    },
  };
  const page = document.body.dataset.page;
  const csrf = document.body.dataset.csrf || "";
  const asked = new URLSearchParams(location.search).get("lang");
  let lang = (asked in I18N && asked) || localStorage.getItem("kefu.lang") || "zh";
  const t = (k) => I18N[lang][k];
  const $ = (id) => document.getElementById(id);
  const el = (tag, cls, text) => { const e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e; };
  let services = [], menu = null, lastTicket = null, lastCounter = null, lastDisplay = null;

  async function call(method, path, body) {
    const response = await fetch("/api/v1/branch" + path, {
      method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.message || response.statusText);
    return data;
  }
  const minutes = (s) => Math.max(1, Math.round(s / 60));
  // A numbered counter shows as its number (never the clerk's name); else the name given.
  const counterText = (x) => (x.counter_no ? t("counter_no")(x.counter_no) : x.counter || "");
  function idleText(idle) {
    if (!idle) return "";
    const base = idle.code === "busy" ? t("idle_busy")(idle.held) : t("idle_" + idle.code) || "";
    return idle.waiting_elsewhere ? `${base} ${t("idle_elsewhere")(idle.waiting_elsewhere)}` : base;
  }
  function waitText(x) {
    if (x.estimated_wait_s === null || x.estimated_wait_s === undefined) return t("wait_none");
    if (x.state && x.state !== "queued") return x.counter ? t("called_to")(counterText(x)) : t("wait_now");
    if (!x.estimated_wait_s) return t("wait_now");
    return t("wait_about")(minutes(x.estimated_wait_s), x.ahead === undefined ? x.waiting : x.ahead);
  }
  function tile(s, name, clickable, onClick) {
    const b = el(clickable ? "button" : "div", "service"); if (clickable) b.type = "button";
    if (s.queue_id) b.dataset.queue = s.queue_id;
    b.append(el("div", "letter", s.letter || ""), el("div", "", name), el("div", "sub", t("waiting")(s.waiting || 0)),
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
    $("sms-phone").value = phone; $("sms-form").classList.remove("hidden"); $("sms-done").classList.add("hidden");
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
  function kiosk() {
    $("sms-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        lastTicket = await call("POST", `/tickets/${lastTicket.contact_id}/sms`, { phone: $("sms-phone").value.trim() });
        $("sms-form").classList.add("hidden"); $("sms-done").classList.remove("hidden"); renderTicket();
      } catch (e) { $("sms-phone").setCustomValidity(e.message); $("sms-phone").reportValidity(); }
    });
    $("sms-phone").addEventListener("input", () => $("sms-phone").setCustomValidity(""));
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
    $("counter-state").textContent = v.counter_no ? `${t("counter_no")(v.counter_no)} · ${state}` : state;
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
})();
