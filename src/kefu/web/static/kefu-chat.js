// kefu web chat widget: <script src="https://kefu.example/static/kefu-chat.js" defer></script>
// No framework, no CDN. Talks to /ws/chat (protocol: kefu/adapters/channels/webchat/
// gateway.py). Messages not yet acknowledged are kept in localStorage and sent again after
// a reconnect; the server stores each (browser, cseq) once.
"use strict";
(function () {
  const script = document.currentScript;
  const base = new URL(script ? script.src : location.href).origin;
  const KEY = "kefu.chat.";
  // The texts come from the server's catalogs (/i18n/<lang>.json): "chat.*" keys, the
  // prefix dropped. A plural text is {category: text}, picked by Intl.PluralRules.
  const I18N = { en: {}, zh: {} };
  const plurals = {};
  function loadCatalog(code) {
    return fetch(base + "/i18n/" + code + ".json").then((r) => (r.ok ? r.json() : Promise.reject(r.status))).then((data) => {
      const dict = {};
      for (const [k, v] of Object.entries(data.messages)) if (k.startsWith("chat.")) dict[k.slice(5)] = v;
      I18N[code] = dict; plurals[code] = new Intl.PluralRules(data.bcp47);
    });
  }
  const fill = (text, values) => String(text).replace(/\{(\w+)\}/g, (m, k) => (k in values ? values[k] : m));
  const stored = (k, d) => { try { const v = localStorage.getItem(KEY + k); return v === null ? d : JSON.parse(v); } catch (e) { return d; } };
  const store = (k, v) => { try { localStorage.setItem(KEY + k, JSON.stringify(v)); } catch (e) { /* private mode */ } };
  // A chat handed to another routing domain goes on with that domain's web nodes (the
  // status "moved" names their address): the widget talks to them from then on.
  let socketUrl = stored("socket", base.replace(/^http/, "ws") + "/ws/chat");
  const attr = script && script.dataset.lang;
  // <script ... data-site="sh">: the pre-chat form offers that site's chat queues only.
  const site = (script && script.dataset.site) || null;
  let lang = stored("lang", attr || ((navigator.language || "en").startsWith("zh") ? "zh" : "en"));
  if (!(lang in I18N)) lang = "en";
  const t = (k, values) => fill(I18N[lang][k] ?? "", values || {});
  // The form of a plural text for the count n ("n" and values fill its placeholders).
  const tn = (k, n, values) => {
    const forms = I18N[lang][k] || {};
    const category = plurals[lang] ? plurals[lang].select(n) : "other";
    return fill(forms[category] ?? forms.other ?? "", { n, ...values });
  };

  let ws = null, open = false, retry = 0, lastStatus = { state: "new" }, typingTimer = null, typingSent = 0;
  // lastSeq counts the messages shown on this page: a fresh page shows none yet, so its
  // hello asks for the whole conversation; a reconnect asks only for what it missed.
  let conversation = stored("conversation", null), lastSeq = 0;
  let pending = stored("pending", []), cseq = stored("cseq", 0), profile = stored("profile", null);

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  const css = el("link"); css.rel = "stylesheet"; css.href = base + "/static/kefu-chat.css";
  document.head.appendChild(css);

  const launcher = el("button", "kefu-chat-launcher"); launcher.type = "button";
  const panel = el("section", "kefu-chat-panel kefu-hidden"); panel.id = "kefu-chat-panel";
  const header = el("header", "kefu-chat-header");
  const title = el("strong", "kefu-chat-title");
  const langButton = el("button", "kefu-chat-lang"); langButton.type = "button";
  const closeButton = el("button", "kefu-chat-close", "×"); closeButton.type = "button";
  header.append(title, langButton, closeButton);
  const statusLine = el("div", "kefu-status");
  const list = el("ol", "kefu-messages");
  const typingLine = el("div", "kefu-typing kefu-hidden");
  const form = el("form", "kefu-prechat");
  const fields = {};
  for (const [name, type] of [["name", "text"], ["email", "email"], ["phone", "tel"]]) {
    const label = el("label"); const span = el("span"); const input = el("input");
    input.name = name; input.type = type; input.maxLength = name === "name" ? 100 : 254;
    label.append(span, input); form.append(label); fields[name] = { span, input };
  }
  const topicLabel = el("label"); const topicSpan = el("span"); const topic = el("select");
  topic.name = "topic"; topicLabel.append(topicSpan, topic); form.append(topicLabel);
  const firstLabel = el("label"); const firstSpan = el("span"); const first = el("textarea");
  first.name = "text"; first.rows = 3; first.maxLength = 4000; firstLabel.append(firstSpan, first);
  const start = el("button", "kefu-start"); start.type = "submit";
  form.append(firstLabel, start);
  // The flow's buttons (one per option of its question), above the composer.
  const choices = el("div", "kefu-choices kefu-hidden");
  const composer = el("form", "kefu-composer kefu-hidden");
  const input = el("textarea"); input.name = "message"; input.rows = 2; input.maxLength = 4000;
  const send = el("button", "kefu-send"); send.type = "submit";
  composer.append(input, send);
  // The end screen of a closed chat whose follow-up survey is open: its link.
  const endScreen = el("div", "kefu-end kefu-hidden");
  const endLink = el("a", "kefu-survey"); endLink.target = "_blank"; endLink.rel = "noopener";
  endScreen.append(endLink);
  // The admin's settings (/admin/widget): greeting, colour, and what to do when nobody is
  // logged in (the offline form: leave a message and an address; without it, no new chat).
  let look = null;
  const greetingLine = el("p", "kefu-greeting kefu-hidden");
  const offlineNote = el("p", "kefu-offline kefu-hidden");
  form.prepend(greetingLine, offlineNote);
  panel.append(header, statusLine, list, typingLine, choices, endScreen, form, composer);
  document.body.append(launcher, panel);

  function minutes(s) { return Math.max(1, Math.round(s / 60)); }
  function statusText(s) {
    if (!open) return t(ws ? "reconnecting" : "connecting");
    if (s.state === "queued") {
      if (s.estimated_wait_s === null || s.estimated_wait_s === undefined) return t("no_agent");
      const m = minutes(s.estimated_wait_s);
      if (s.position === 1) return tn("next", m, { minutes: m });
      return tn("queued", m, { position: s.position, ahead: s.ahead, minutes: m });
    }
    if (s.state === "active") return t("active", { name: s.agent || t("agent") });
    if (s.state === "offered") return t("offered");
    if (s.state === "wrapup" || s.state === "completed") return t("wrapup");
    if (s.state === "closed") return t("closed");
    if (s.state === "ivr") return t(s.secret ? "ivr_secret" : "ivr");
    if (s.state === "moved") return t(s.url ? "moved" : "moved_away");
    return "";
  }
  function applyLang() {
    launcher.textContent = t("open"); title.textContent = t("title"); langButton.textContent = t("lang");
    closeButton.title = t("close");
    for (const k of ["name", "email", "phone"]) fields[k].span.textContent = t(k);
    topicSpan.textContent = t("topic"); firstSpan.textContent = t("first");
    start.textContent = t("start"); send.textContent = t("send"); input.placeholder = t("placeholder");
    typingLine.textContent = t("typing");
    panel.lang = lang === "zh" ? "zh-CN" : "en";
    renderStatus();
    list.querySelectorAll(".kefu-failed-note").forEach((n) => { n.textContent = t("failed"); });
    list.querySelectorAll(".kefu-survey").forEach((a) => {
      a.textContent = t("survey"); a.href = a.href.replace(/\?lang=\w+$/, "?lang=" + lang);
    });
  }
  function renderLook() {
    const w = look, greeting = (w && w.greeting[lang]) || "";
    if (w) { launcher.style.background = w.colour; header.style.background = w.colour; start.style.background = w.colour; }
    greetingLine.textContent = greeting; greetingLine.classList.toggle("kefu-hidden", !greeting);
    const offline = Boolean(w && !w.staffed);
    offlineNote.textContent = offline ? t(w.offline_form ? "offline_form" : "nobody") : "";
    offlineNote.classList.toggle("kefu-hidden", !offline);
    // The note asks for an e-mail address; the form does not insist (a phone number or a
    // later visit also reaches the customer, and the chat waits in its queue meanwhile).
    for (const part of [fields.name.input, fields.email.input, fields.phone.input, topic, first, start]) part.disabled = offline && !w.offline_form;
  }
  function renderStatus() {
    renderLook();
    statusLine.textContent = statusText(lastStatus);
    statusLine.dataset.state = open ? lastStatus.state : "offline";
    const chatting = conversation && lastStatus.state !== "closed" && lastStatus.state !== "new";
    const survey = lastStatus.state === "closed" && lastStatus.survey;
    endScreen.classList.toggle("kefu-hidden", !survey);
    if (survey) { endLink.textContent = t("survey"); endLink.href = survey + "?lang=" + lang; }
    form.classList.toggle("kefu-hidden", Boolean(chatting || pending.length));
    composer.classList.toggle("kefu-hidden", !(chatting || pending.length));
    renderChoices();
  }
  function renderChoices() {
    const s = lastStatus, options = (open && s.state === "ivr" && s.options) || [];
    choices.replaceChildren(...options.map((o) => {
      const b = el("button", "kefu-choice", o.label); b.type = "button"; b.dataset.digit = o.digit;
      b.addEventListener("click", () => queue(o.digit, o.label));
      return b;
    }));
    choices.classList.toggle("kefu-hidden", options.length === 0);
    const secret = open && s.state === "ivr" && Boolean(s.secret);
    input.classList.toggle("kefu-secret", secret);
    input.autocomplete = secret ? "off" : "on";
  }
  function bubble(who, name, text, cls) {
    const li = el("li", "kefu-msg " + who + (cls ? " " + cls : ""));
    li.append(el("span", "kefu-author", name || (who === "agent" ? t("agent") : t("you"))), el("p", "", text));
    list.append(li); list.scrollTop = list.scrollHeight;
    return li;
  }
  function renderPending() {
    list.querySelectorAll(".kefu-msg.pending").forEach((n) => n.remove());
    for (const p of pending) bubble("customer", "", p.shown || p.text, "pending").dataset.cseq = p.cseq;
  }
  function showMessage(m) {
    if (m.seq <= lastSeq) return;
    lastSeq = m.seq;
    const ivr = m.from === "ivr";
    const li = bubble(ivr ? "agent" : m.from, ivr ? t("ivr_name") : m.from === "agent" ? m.name : "", m.text);
    li.dataset.seq = m.seq;
    if (ivr) li.classList.add("ivr");
    if (m.from === "agent") typingLine.classList.add("kefu-hidden");
    offerSurvey(li, m.text);
    renderPending();
  }
  // The end screen: a follow-up survey's message carries its one-time link; the widget
  // offers it as a button that opens the survey page in the widget's language.
  const SURVEY_LINK = /(https?:\/\/[^\s]+\/survey\/[\w-]+\.\d+\.[0-9a-f]+)/;
  function offerSurvey(li, text) {
    const found = SURVEY_LINK.exec(text || "");
    if (!found) return;
    const a = el("a", "kefu-survey", t("survey"));
    a.href = found[1] + "?lang=" + lang; a.target = "_blank"; a.rel = "noopener";
    li.append(a);
  }
  function setConversation(id) {
    if (id === conversation) return;
    conversation = id; lastSeq = 0; store("conversation", id);
    list.querySelectorAll(".kefu-msg:not(.pending)").forEach((n) => n.remove());
  }
  // The conversation moved to another routing domain: reconnect to its web nodes, which
  // send the whole transcript again (the numbers there go on from these).
  function follow(s) {
    if (!s.url) return;
    socketUrl = s.url.replace(/^http/, "ws") + "/ws/chat"; store("socket", socketUrl);
    setConversation(s.conversation_id); retry = 0;
    if (ws) ws.close();
  }
  function frame(data) { if (ws && open) ws.send(JSON.stringify(data)); }
  function transmit(p) { frame({ type: "message", cseq: p.cseq, text: p.text, profile: profile || {} }); }

  function connect() {
    ws = new WebSocket(socketUrl);
    ws.onopen = () => {
      open = true; retry = 0;
      frame({ type: "hello", token: stored("token", null), conversation_id: conversation, last_seq: lastSeq, site_id: site, lang });
    };
    ws.onmessage = (event) => {
      const data = JSON.parse(event.data);
      if (data.type === "welcome") {
        store("token", data.token);
        setConversation(data.conversation_id);
        topic.replaceChildren(...data.topics.map((q) => { const o = el("option", "", q.id.startsWith("flow:") ? t("ivr_name") : q.name); o.value = q.id; return o; }));
        look = data.widget || null;
        for (const m of data.messages) showMessage(m);
        lastStatus = data.status; renderStatus();
        if (lastStatus.state === "moved") { follow(lastStatus); return; }
        for (const p of pending) transmit(p);
      } else if (data.type === "message") {
        setConversation(data.conversation_id); showMessage(data);
      } else if (data.type === "ack") {
        pending = pending.filter((p) => p.cseq !== data.cseq); store("pending", pending);
        setConversation(data.conversation_id); renderPending(); renderStatus();
      } else if (data.type === "status") {
        lastStatus = data; renderStatus();
        if (data.state === "moved") follow(data);
      } else if (data.type === "typing") {
        typingLine.classList.remove("kefu-hidden");
        clearTimeout(typingTimer);
        typingTimer = setTimeout(() => typingLine.classList.add("kefu-hidden"), 4000);
      } else if (data.type === "error" && data.cseq) {
        const failed = pending.find((p) => p.cseq === data.cseq);
        pending = pending.filter((p) => p.cseq !== data.cseq); store("pending", pending);
        renderPending();
        if (failed) {
          const li = bubble("customer", "", failed.shown || failed.text, "failed");
          li.title = data.message;
          li.append(el("small", "kefu-failed-note", t("failed")));
        }
        renderStatus();
      }
    };
    ws.onclose = () => {
      open = false; renderStatus();
      retry = Math.min(retry + 1, 6);
      setTimeout(connect, 500 * retry);
    };
  }
  // shown: what the bubble says (a button's label, dots for a secret answer).
  function queue(text, shown) {
    cseq += 1; store("cseq", cseq);
    const secret = lastStatus.state === "ivr" && lastStatus.secret;
    const p = { cseq, text, shown: shown || (secret ? "•".repeat(text.length) : undefined) };
    pending.push(p); store("pending", pending);
    renderPending(); renderStatus(); transmit(p);
  }
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    // A flow as the topic asks the questions itself: the first message may stay empty.
    const text = first.value.trim() || (topic.value.startsWith("flow:") ? t("ivr_start") : "");
    if (!text) { first.placeholder = t("required"); return; }
    profile = {
      name: fields.name.input.value.trim(), email: fields.email.input.value.trim(),
      phone: fields.phone.input.value.trim(), topic: topic.value || null,
    };
    store("profile", profile); first.value = "";
    queue(text); input.focus();
  });
  composer.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (text) { input.value = ""; queue(text); }
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); composer.requestSubmit(); }
  });
  input.addEventListener("input", () => {
    const now = Date.now();
    if (now - typingSent > 2000) { typingSent = now; frame({ type: "typing" }); }
  });
  launcher.addEventListener("click", () => { panel.classList.toggle("kefu-hidden"); });
  // Closing the widget or leaving the page in the middle of a flow hangs the flow up
  // (the server waits a few seconds for a reload to come back first).
  const leaveFlow = () => { if (lastStatus.state === "ivr") frame({ type: "leave" }); };
  closeButton.addEventListener("click", () => { leaveFlow(); panel.classList.add("kefu-hidden"); });
  window.addEventListener("pagehide", leaveFlow);
  langButton.addEventListener("click", () => { lang = lang === "zh" ? "en" : "zh"; store("lang", lang); applyLang(); });
  if (profile) for (const k of ["name", "email", "phone"]) fields[k].input.value = profile[k] || "";
  // The widget starts once both catalogs are in (the language switch needs no round trip);
  // without them it still chats, showing no labels.
  Promise.all(Object.keys(I18N).map(loadCatalog)).catch(() => {}).finally(() => {
    applyLang(); renderPending(); connect();
  });
  window.kefuChat = { open: () => panel.classList.remove("kefu-hidden"), lang: (l) => { lang = l; applyLang(); } };
})();
