// kefu visual IVR: the flow's whole menu on one page, driven over the chat socket
// (/ws/chat, protocol: kefu/web/chat.py) with the flow as the pre-chat topic. What the
// customer clicks becomes the answers the flow asks for, in order; when an agent takes
// over, the chat widget opens on the same conversation. No framework, no CDN; the texts
// come from the catalogs ("ivr.*", /static/i18n.js).
"use strict";
kefuI18n.load("ivr").then(function (I18N) {
  const data = JSON.parse(document.getElementById("flow-data").textContent);
  const KEY = "kefu.chat.";
  const stored = (k, d) => { try { const v = localStorage.getItem(KEY + k); return v === null ? d : JSON.parse(v); } catch (e) { return d; } };
  const store = (k, v) => { try { localStorage.setItem(KEY + k, JSON.stringify(v)); } catch (e) { /* private mode */ } };
  let lang = localStorage.getItem("kefu.lang") || ((navigator.language || "zh").startsWith("zh") ? "zh" : "en");
  if (!(lang in I18N)) lang = "zh";
  const t = (k) => I18N[lang][k] || k;
  const $ = (id) => document.getElementById(id);

  let ws = null, status = { state: "new" }, cseq = stored("cseq", 0), chain = [], sentAt = -1;
  let lastSeq = 0, handedOff = false, note = "connecting";

  function applyLang() {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    document.querySelectorAll("[data-i18n]").forEach((n) => { n.textContent = t(n.dataset.i18n); });
    document.querySelectorAll("[data-zh]").forEach((n) => { n.textContent = n.dataset[lang] || n.dataset.zh; });
    $("lang").textContent = t("lang");
    say(note);
  }
  function say(key) { note = key; $("status").textContent = t(key); }
  function answer(text) {
    if (data.questions.includes(text)) return;
    const li = document.createElement("li"); li.textContent = text; $("answers").prepend(li);
  }
  function send(text) {
    cseq += 1; store("cseq", cseq);
    sentAt = status.seq || 0;
    ws.send(JSON.stringify({ type: "message", cseq, text, profile: { topic: "flow:" + data.flow } }));
  }
  // The next answer: the page's language for the language question, then the clicked
  // steps; from another menu, first the option that leads to the step's menu.
  function drive() {
    if (status.state !== "ivr" || (status.seq || 0) <= sentAt) return;
    const language = data.languages[lang];
    if (language && status.node === language.node) { send(language.text); return; }
    if (!chain.length) { say(status.verified || !data.identity ? "ready" : "verify_first"); return; }
    const step = chain[0];
    if (status.node === step.node) { chain.shift(); say("working"); send(step.text); return; }
    const move = (data.moves[status.node] || {})[step.node];
    if (move !== undefined) { say("working"); send(move); return; }
    say(data.identity && !status.verified ? "verify_first" : "working");
  }
  function onStatus(s) {
    status = s;
    if (s.state === "ivr") {
      $("verified") && $("verified").classList.toggle("hidden", !s.verified);
      $("identity-form") && $("identity-form").classList.toggle("hidden", Boolean(s.verified));
      drive();
    } else if (["queued", "offered", "active"].includes(s.state)) {
      handOff();
    } else if (s.state === "closed" && lastSeq > 0) {
      say("closed");
    }
  }
  // The agent continues in the chat widget: same browser cookie, same conversation.
  function handOff() {
    if (handedOff) return;
    handedOff = true; say("handoff");
    store("cseq", cseq); store("lang", lang);
    if (ws) { ws.onclose = null; ws.close(); }
    const script = document.createElement("script");
    script.src = "/static/kefu-chat.js";
    script.onload = () => { if (window.kefuChat) window.kefuChat.open(); };
    document.body.append(script);
  }
  function connect() {
    ws = new WebSocket(location.origin.replace(/^http/, "ws") + "/ws/chat");
    ws.onopen = () => ws.send(JSON.stringify({ type: "hello", conversation_id: stored("conversation", null), last_seq: 0, site_id: null, flow: data.flow }));
    ws.onmessage = (event) => {
      const m = JSON.parse(event.data);
      if (m.type === "welcome") {
        if (m.conversation_id) store("conversation", m.conversation_id);
        lastSeq = m.messages.length ? m.messages[m.messages.length - 1].seq : 0;
        const live = ["ivr", "queued", "offered", "active"].includes(m.status.state);
        if (live && m.status.flow === data.flow) {
          for (const msg of m.messages) if (msg.from === "ivr") answer(msg.text);
          onStatus(m.status);
        } else if (live) {
          onStatus(m.status);
        } else {
          status = m.status; say("working"); send(t("hello"));
        }
      } else if (m.type === "message") {
        store("conversation", m.conversation_id);
        if (m.seq > lastSeq) { lastSeq = m.seq; if (m.from === "ivr") answer(m.text); }
      } else if (m.type === "status") {
        onStatus(m);
      } else if (m.type === "ack") {
        store("conversation", m.conversation_id);
      }
    };
    ws.onclose = () => { if (!handedOff) { say("connecting"); setTimeout(connect, 1000); } };
  }
  document.querySelectorAll(".option").forEach((b) => b.addEventListener("click", () => {
    chain = JSON.parse(b.dataset.steps); drive();
  }));
  const form = $("identity-form");
  if (form) form.addEventListener("submit", (event) => {
    event.preventDefault();
    const card = $("card").value.replace(/\s+/g, ""), pin = $("pin").value;
    $("pin").value = "";
    // Before whatever was clicked while not yet verified.
    chain = [{ node: data.identity.collect, text: card }, { node: data.identity.verify, text: pin }, ...chain];
    drive();
  });
  $("agent").addEventListener("click", () => { chain = []; if (status.state === "ivr") send("0"); });
  // Leaving the page in the middle of the flow hangs it up (a reload comes back in time).
  window.addEventListener("pagehide", () => {
    if (!handedOff && status.state === "ivr" && ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: "leave" }));
  });
  $("lang").addEventListener("click", () => { lang = lang === "zh" ? "en" : "zh"; localStorage.setItem("kefu.lang", lang); applyLang(); });
  applyLang(); connect();
});
