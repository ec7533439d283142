// kefu agent desktop: state pushed over /ws/desktop, actions posted to /api/v1/desktop.
// No framework, no CDN; every customer-provided text is set with textContent.
"use strict";
kefuI18n.load("desktop").then(function (I18N) {
  const asked = new URLSearchParams(location.search).get("lang");
  let lang = (asked in I18N && asked) || localStorage.getItem("kefu.lang") ||
    (navigator.language.startsWith("zh") ? "zh" : "en");
  const t = (k) => I18N[lang][k] || k;
  const $ = (id) => document.getElementById(id);
  // The CSRF token is in the page from the start (the sign-out form), so an action taken
  // before the push connection's hello arrives still carries it.
  let view = null, vocab = { reasons: [], dispositions: [], canned: [], tiers: [] }, selected = null;
  let csrf = (document.querySelector('.logout input[name="csrf_token"]') || {}).value || "";
  let connected = false, deadlines = {}, typingTimer = null, typingSent = 0;
  const seen = {};

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }
  // A phrase's text in the page's language (an admin's data), else its shipped catalog text.
  const phraseText = (p, l) => (p.text && p.text[l]) || (I18N[l] || I18N[lang])[p.key] || p.code;
  const label = (p) => (p ? phraseText(p, lang) : "");
  const stateLabel = (s) => t({ offline: "offline_state" }[s] || s);
  // An outcome is a disposition code ("resolved", or "follow-up" from older records) or a
  // contact state; either way it shows in the page's language.
  function outcomeLabel(o) {
    const d = (vocab.dispositions || []).find((p) => p.code === o.replace(/-/g, "_"));
    return d ? label(d) : stateLabel(o);
  }
  function tierLabel(v) {
    if (v === null || v === undefined) return "–";
    const p = (vocab.tiers || []).find((x) => x.code === String(v));
    return p ? label(p) : `${t("tier_n")} ${v}`;
  }
  // Phone and e-mail first; a web chat visitor's cookie says nothing to a person.
  const ID_ORDER = ["phone", "email", "account", "social", "chat_cookie"];
  const identLabel = (i) => (i.kind === "chat_cookie" ? t("id_chat_cookie") : `${t("id_" + i.kind)}: ${i.value}`);
  const clock = (at) => new Date(at * 1000).toLocaleTimeString(lang === "zh" ? "zh-CN" : "en-GB");
  const when = (at) => new Date(at * 1000).toLocaleString(lang === "zh" ? "zh-CN" : "en-GB");

  async function post(path, body) {
    const response = await fetch("/api/v1/desktop" + path, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf, "Accept-Language": lang === "zh" ? "zh-CN" : "en" },
      body: JSON.stringify(body || {}),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) { showError(errorText(data, response.statusText)); throw new Error(data.message); }
    showError("");
    return data;
  }
  // Errors shown in the page's language: known ones by their stable error_id, the others
  // with the server's text (asked in the page's language) after a translated prefix.
  const ERROR_KEYS = { channel_unavailable: "no_channel", offer_not_pending: "not_pending" };
  function errorText(data, fallback) {
    const key = ERROR_KEYS[data.error_id];
    if (key) return t(key);
    return t("failed_action") + (data.message || fallback);
  }
  // A supervisor's message: shown on top until the agent closes it.
  function showNotice(notice) {
    const box = el("div", "notice");
    box.dataset.notice = notice.notice_id;
    const from = el("strong", "", kefuI18n.fill(t("notice_from"), { sender: notice.sender }));
    const close = el("button", "close", t("notice_close")); close.type = "button";
    close.addEventListener("click", () => box.remove());
    box.append(from, el("span", "text", notice.text), close);
    $("notices").append(box);
  }
  function showError(text) { $("error").textContent = text; $("error").classList.toggle("hidden", !text); }

  function applyLang() {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    document.querySelectorAll("[data-i18n]").forEach((n) => { if (n.id !== "link") n.textContent = t(n.dataset.i18n); });
    $("lang").textContent = t("lang");
    $("note-text").placeholder = t("note_ph"); $("transfer-note").placeholder = t("transfer_note_ph");
    $("reply-text").placeholder = t("reply_ph");
    $("call-digits-text").placeholder = t("digits_ph"); $("call-digits-text").setAttribute("aria-label", t("digits_ph"));
    setLink(connected); fillVocab(); if (view) render(view);
  }
  function setLink(online) {
    $("link").textContent = t(online ? "online" : (view ? "offline" : "connecting"));
    $("link").className = "status " + (online ? "online" : "offline");
  }
  function fillVocab() {
    const presence = $("presence"); const keep = presence.value;
    presence.replaceChildren();
    const ready = el("option", "", t("ready")); ready.value = "ready"; presence.append(ready);
    for (const r of vocab.reasons) { const o = el("option", "", t("not_ready") + " · " + label(r)); o.value = "not_ready:" + r.code; presence.append(o); }
    const off = el("option", "", t("offline_state")); off.value = "offline"; presence.append(off);
    if (keep) presence.value = keep;
    fillCanned(current());
    const disposition = $("disposition"); disposition.replaceChildren();
    for (const d of vocab.dispositions) { const o = el("option", "", label(d)); o.value = d.code; disposition.append(o); }
  }

  function render(v) {
    view = v;
    const a = v.agent;
    $("agent-name").textContent = a.name;
    const pill = $("presence-pill");
    pill.textContent = stateLabel(a.activity) + (a.pending ? ` (${t("pending_state")} ${stateLabel(a.pending)})` : "");
    pill.className = "pill " + a.activity;
    if (document.activeElement !== $("presence")) {
      // The state the agent is heading to: with a change pending (e.g. logged out while
      // busy), picking Ready again is a change, and it cancels the pending one.
      const heading = a.pending || a.presence, reason = a.pending ? "" : a.reason;
      $("presence").value = heading === "not_ready" ? "not_ready:" + (reason || "") : heading;
      if (!$("presence").value) $("presence").value = heading === "not_ready" && vocab.reasons.length ? "not_ready:" + vocab.reasons[0].code : heading;
    }
    renderOffers(v);
    renderContacts(v);
    renderTargets(v);
  }
  function renderOffers(v) {
    const box = $("offers"); box.replaceChildren();
    const now = Date.now() / 1000;
    for (const o of v.offers) {
      if (!(o.offer_id in deadlines)) deadlines[o.offer_id] = now + o.seconds_left;
      const card = el("div", "offer"); card.dataset.contact = o.contact_id; card.dataset.offer = o.offer_id;
      const info = el("div");
      info.append(el("strong", "", `${t("incoming")} · ${t(o.channel)} · ${o.queue_name}`), el("br"),
        el("span", "offer-customer", o.customer.name || o.attributes.customer || o.contact_id));
      if (o.ivr) info.append(el("br"), el("span", "offer-ivr", ivrLine(o.ivr)));
      const count = el("span", "countdown"); count.dataset.offer = o.offer_id;
      const accept = el("button", "primary accept", t("accept")); accept.type = "button";
      accept.addEventListener("click", () => act(() => post(`/offers/${o.contact_id}/accept`, { offer_id: o.offer_id })));
      const reject = el("button", "bad reject", t("reject")); reject.type = "button";
      reject.addEventListener("click", () => act(() => post(`/offers/${o.contact_id}/reject`, { offer_id: o.offer_id })));
      card.append(info, count, accept, reject); box.append(card);
    }
    tick();
  }
  function tick() {
    const now = Date.now() / 1000;
    document.querySelectorAll(".countdown").forEach((n) => {
      n.textContent = Math.max(0, Math.ceil(deadlines[n.dataset.offer] - now)) + " " + t("seconds");
    });
  }
  function renderContacts(v) {
    const list = $("contacts"); list.replaceChildren();
    $("no-contacts").classList.toggle("hidden", v.contacts.length > 0);
    if (selected && !v.contacts.some((c) => c.contact_id === selected)) selected = null;
    if (!selected && v.contacts.length) selected = v.contacts[0].contact_id;
    v.contacts.forEach((c, i) => {
      const li = el("li"); li.dataset.contact = c.contact_id;
      const conv = c.conversation;
      const count = conv ? conv.messages.length : 0;
      if (c.contact_id !== selected && seen[c.contact_id] !== undefined && count > seen[c.contact_id]) li.classList.add("unread");
      if (c.contact_id === selected) { li.classList.add("selected"); seen[c.contact_id] = count; }
      li.append(el("div", "", `${i + 1}. ${c.customer.name || c.attributes.customer || c.contact_id}`),
        el("div", "sub", `${t(c.channel)} · ${c.queue_name} · ${stateLabel(c.state)}`));
      li.addEventListener("click", () => { selected = c.contact_id; render(view); });
      list.append(li);
    });
    renderDetail(v.contacts.find((c) => c.contact_id === selected));
  }
  function renderTargets(v) {
    const sel = $("transfer-target"); const keep = sel.value; sel.replaceChildren();
    const current = v.contacts.find((c) => c.contact_id === selected);
    for (const q of v.queues) {
      if (current && q.channel !== current.channel) continue;
      const o = el("option", "", `${t("to_queue")}: ${q.name}`); o.value = "queue:" + q.queue_id; sel.append(o);
    }
    for (const a of v.agents) {
      const o = el("option", "", `${t("to_agent")}: ${a.name} (${stateLabel(a.activity)})`); o.value = "agent:" + a.agent_id; sel.append(o);
    }
    // Another routing domain's queues of the contact's channel (a web node of a cluster):
    // a call, or a chat with its conversation; an e-mail or a message stays (the router
    // refuses it: handover_conversation).
    for (const d of v.domains || []) {
      if (!current || d.channel !== current.channel) continue;
      if (current.conversation && current.channel !== "chat") continue;
      const o = el("option", "", `${t("to_domain")}: ${d.domain} / ${d.name}`); o.value = `domain:${d.domain}/${d.queue_id}`; sel.append(o);
    }
    if (keep) sel.value = keep;
    // The kept target may not fit this contact (another channel's queue): the first one.
    if (sel.selectedIndex < 0 && sel.options.length) sel.selectedIndex = 0;
  }
  // What the IVR learned, at the top of an offered or held contact: nothing it verified or
  // collected is asked again (the verification canned reply is gone for that contact).
  const ivrWord = (kind, code) => { const k = `ivr_${kind}_${code}`; return t(k) === k ? code : t(k); };
  function ivrLine(p) {
    if (!p.verified) return t("ivr_not_verified") + (p.path_text ? " · " + p.path_text : "");
    return `${t("ivr_verified")} (${ivrWord("method", p.verified.method)}) ${t("ivr_at")} ${clock(p.verified.at)}` +
      (p.path_text ? " · " + p.path_text : "");
  }
  function renderIvr(c) {
    const box = $("ivr"), p = c && c.ivr;
    box.classList.toggle("hidden", !p);
    if (!p) { box.replaceChildren(); return; }
    const row = (k, v) => { const d = el("div", "ivr-row"); d.append(el("strong", "", t(k) + ": "), el("span", "", v)); return d; };
    const head = el("div", "ivr-verified " + (p.verified ? "yes" : "no"), ivrLine(p).split(" · ")[0]);
    box.replaceChildren(el("h3", "", `${t("ivr_title")} · ${p.flow}`), head);
    if (p.path_text || p.path.length) box.append(row("ivr_path", p.path_text || p.path.join(" > ")));
    const collected = Object.entries(p.collected).map(([k, v]) => `${ivrWord("slot", k)} ${v}`);
    if (collected.length) box.append(row("ivr_collected", collected.join(" · ")));
    if (p.self_service.length) box.append(row("ivr_self_service", p.self_service.map((a) => `${ivrWord("action", a.action)}: ${ivrWord("outcome", a.outcome)}`).join(" · ")));
    if (p.reason) box.append(row("ivr_reason", ivrWord("reason", p.reason)));
    if (p.estimated_wait_s !== null) box.append(row("ivr_wait", `${Math.round(p.estimated_wait_s)} ${t("seconds")}`));
  }
  function fillCanned(c) {
    const hidden = (c && c.canned_hidden) || [];
    const canned = $("canned"); canned.replaceChildren(el("option", "", t("canned")));
    for (const p of vocab.canned) {
      if (hidden.includes(p.code)) continue;
      if (c && p.queues && p.queues.length && !p.queues.includes(c.queue_id)) continue;
      const o = el("option", "", label(p)); o.value = p.code; canned.append(o);
    }
  }
  // A call: hold (music on hold) and resume, mute (the caller hears silence from the agent)
  // and unmute, keys sent to the caller as tones; a recorded call: pause the recording while a
  // card number is said; play the recording once the call is over and it is kept.
  function renderRecording(c, active) {
    const rec = c.attributes.recording, paused = "recording_paused" in c.attributes;
    const hold = $("call-hold");
    hold.classList.toggle("hidden", c.channel !== "voice" || !active);
    hold.textContent = t(c.on_hold ? "resume_call" : "hold_call");
    hold.dataset.step = c.on_hold ? "resume" : "hold";
    const mute = $("call-mute"), muted = "muted" in c.attributes;
    mute.classList.toggle("hidden", c.channel !== "voice" || !active);
    mute.textContent = t(muted ? "unmute_call" : "mute_call");
    mute.dataset.step = muted ? "unmute" : "mute"; mute.setAttribute("aria-pressed", String(muted));
    $("call-digits").classList.toggle("hidden", c.channel !== "voice" || !active || c.on_hold);
    const button = $("recording-pause");
    button.classList.toggle("hidden", !rec || !active);
    button.textContent = t(paused ? "resume_recording" : "pause_recording");
    button.dataset.step = paused ? "resume" : "pause";
    const player = $("recording-play"), src = `/api/v1/contacts/${encodeURIComponent(c.contact_id)}/recording`;
    const playable = Boolean(rec) && !active && !("recording_deleted" in c.attributes);
    player.classList.toggle("hidden", !playable);
    if (playable && player.dataset.src !== src) { player.dataset.src = src; player.src = src; }
  }
  function renderDetail(c) {
    renderIvr(c); fillCanned(c);
    $("empty").classList.toggle("hidden", Boolean(c)); $("detail").classList.toggle("hidden", !c);
    renderCustomer(c);
    if (!c) return;
    const conv = c.conversation;
    $("detail-title").textContent = `${c.customer.name || c.attributes.customer || c.contact_id} · ${t(c.channel)}` + (conv && conv.route && conv.route.subject ? ` · ${conv.route.subject}` : "");
    $("detail-state").textContent = stateLabel(c.state); $("detail-state").className = "pill " + c.state;
    const active = c.state === "active";
    $("reply").classList.toggle("hidden", !conv || !active);
    $("note").classList.toggle("hidden", !conv);
    $("transfer").classList.toggle("hidden", !active);
    $("wrapup").classList.toggle("hidden", !active);
    $("end-wrapup").classList.toggle("hidden", c.state !== "wrapup");
    renderRecording(c, active); consult.render(c, active);
    const handoff = (conv ? conv.notes.filter((n) => n.kind === "transfer") : []).concat(
      conv ? [] : c.notes.map((text) => ({ text, author: "", at: null })));
    $("handoff").classList.toggle("hidden", handoff.length === 0);
    $("handoff").replaceChildren(el("strong", "", t("handoff") + ": "), ...handoff.map((n) => el("div", "", (n.author ? (n.author_name || n.author) + ": " : "") + n.text)));
    const list = $("messages"); list.replaceChildren();
    if (conv) {
      const items = conv.messages.map((m) => ({ at: m.at, m })).concat(conv.notes.map((n) => ({ at: n.at, n })));
      items.sort((x, y) => x.at - y.at);
      for (const item of items) {
        if (item.m) {
          list.append(messageItem(item.m));
        } else {
          const n = item.n, li = el("li", "note");
          li.append(el("div", "meta", `${n.kind === "transfer" ? t("handoff") : t("note")} · ${n.author_name || n.author} · ${clock(n.at)}`), el("p", "", n.text));
          list.append(li);
        }
      }
      list.scrollTop = list.scrollHeight;
    }
  }
  function messageItem(m) {
    const li = el("li", m.direction);
    li.append(el("div", "meta", `${m.author_name || m.author} · ${clock(m.at)}` + (m.subject && m.direction === "inbound" ? ` · ${m.subject}` : "")), el("p", "", m.text));
    if (m.delivery === "failed") {
      // The reason as a code, worded in the agent's language.
      const why = m.delivery_reason && I18N[lang]["failed_" + m.delivery_reason];
      li.append(el("div", "failed", why ? `${t("failed")}: ${why}` : t("failed")));
    }
    li.dataset.seq = m.seq;
    return li;
  }
  // A pushed message: appended to its conversation without redrawing the screen. False when
  // the screen does not show that conversation or a message is missing (ask for the screen).
  function applyMessage(d) {
    const c = view && view.contacts.find((x) => x.conversation && x.conversation.conversation_id === d.conversation_id);
    if (!c) return false;
    const messages = c.conversation.messages, last = messages.length ? messages[messages.length - 1].seq : 0;
    if (d.message.seq <= last) return true;
    if (d.message.seq !== last + 1) return false;
    messages.push(d.message);
    if (c.contact_id === selected) {
      const list = $("messages"); list.append(messageItem(d.message)); list.scrollTop = list.scrollHeight;
      seen[c.contact_id] = messages.length;
    } else if (seen[c.contact_id] !== undefined) {
      const li = [...$("contacts").children].find((n) => n.dataset.contact === c.contact_id);
      if (li) li.classList.add("unread");
    }
    return true;
  }
  function renderCustomer(c) {
    const box = $("customer"); box.replaceChildren();
    box.dataset.customer = (c && c.customer.customer_id) || "";  // read by desktop-merge.js
    if (!c) return;
    const cu = c.customer;
    const dl = el("dl");
    const row = (k, v, cls) => { dl.append(el("dt", "", k), el("dd", cls || "", v)); };
    row(t("name"), cu.name || "–");
    row(t("tier"), tierLabel(cu.value_tier), "tier");
    box.append(dl);
    if (!cu.customer_id || !cu.identifiers.length && !cu.timeline) { box.append(el("p", "muted", t("unknown"))); }
    const record = kefuRecord({ t, el, outcomeLabel, lang, I18N });
    record.likely(box, c.attributes || {});
    if (cu.profile) record.profile(box, cu.profile);
    if (cu.identifiers && cu.identifiers.length) {
      box.append(el("h3", "", t("ids")));
      const ids = el("ul", "ids");
      const ordered = [...cu.identifiers].sort((x, y) => ID_ORDER.indexOf(x.kind) - ID_ORDER.indexOf(y.kind));
      // Chat cookies show as one line however many browsers the customer chatted from.
      const visitors = ordered.filter((i) => i.kind === "chat_cookie").length;
      let visitorShown = false;
      for (const i of ordered) {
        if (i.kind === "chat_cookie") { if (visitorShown) continue; visitorShown = true; }
        const li = el("li", "", i.kind === "chat_cookie" && visitors > 1 ? `${identLabel(i)} ×${visitors}` : identLabel(i));
        li.dataset.kind = i.kind;
        if (i.verified) li.append(el("span", "verified", " ✓ " + t("verified")));
        ids.append(li);
      }
      box.append(ids);
    }
    const conv = c.conversation;
    if (conv && conv.suggestions.length) {
      box.append(el("h3", "", t("suggestions")));
      // desktop-merge.js asks to confirm, then merges; another site's customer needs an admin.
      for (const s of conv.suggestions) {
        const ident = identLabel(s), text = `${ident} → ${s.customer_id}`;
        if (s.cross_site) { box.append(el("div", "suggestion muted", `${text} (${t("admin_merges")})`)); continue; }
        const b = el("button", "suggestion", text);
        b.type = "button"; b.title = t("suggest_merge");
        Object.assign(b.dataset, { suggest: s.customer_id, kind: s.kind, value: s.value, ident });
        box.append(b);
      }
    }
    if (cu.timeline) {
      box.append(el("h3", "", t("timeline")));
      const tl = el("ol", "timeline");
      for (const e of cu.timeline) {
        const li = el("li", e.contact_id === c.contact_id ? "current" : "");
        li.append(el("div", "", `${t(e.channel)} · ${when(e.at)}`), el("div", "muted", e.summary || ""),
          el("div", "outcome", e.outcome ? outcomeLabel(e.outcome) : ""));
        if (e.recording === "kept") {
          const a = el("a", "recording", t("play_recording"));
          a.href = `/api/v1/contacts/${encodeURIComponent(e.contact_id)}/recording`; a.target = "_blank";
          li.append(a);
        } else if (e.recording) { li.append(el("div", "muted recording", t("recording_" + e.recording))); }
        li.dataset.contact = e.contact_id; tl.append(li);
      }
      box.append(tl);
    }
  }

  async function act(fn) { try { const r = await fn(); if (r && r.agent) render(r); } catch (e) { /* shown */ } }
  function current() { return view && view.contacts.find((c) => c.contact_id === selected); }
  const consult = kefuConsult({ t, $, post, act, current, me: () => view && view.agent.agent_id,
    agentName: (id) => ((view && view.agents.find((a) => a.agent_id === id)) || { name: id }).name });

  $("presence").addEventListener("change", () => {
    const [presence, reason] = $("presence").value.split(":");
    act(() => post("/state", { presence, reason: reason || null }));
  });
  $("reply").addEventListener("submit", (event) => {
    event.preventDefault();
    const c = current(), text = $("reply-text").value.trim();
    if (!c || !c.conversation || !text) return;
    act(async () => { const r = await post(`/conversations/${c.conversation.conversation_id}/reply`, { text }); $("reply-text").value = ""; return r; });
  });
  $("reply-text").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); $("reply").requestSubmit(); }
  });
  $("reply-text").addEventListener("input", () => {
    const c = current(), now = Date.now();
    if (c && c.conversation && now - typingSent > 2000) { typingSent = now; post(`/conversations/${c.conversation.conversation_id}/typing`).catch(() => {}); }
  });
  // {customer}, {agent} and {queue} in a canned reply, filled from the contact shown.
  function fillPlaceholders(text, c) {
    const values = {
      customer: (c && ((c.customer && c.customer.name) || (c.attributes && c.attributes.customer))) || "",
      agent: (view && view.agent && view.agent.name) || "",
      queue: (c && c.queue_name) || "",
    };
    return text.replace(/\{(customer|agent|queue)\}/g, (_m, name) => values[name]);
  }
  $("canned").addEventListener("change", () => {
    const c = current();
    const phrase = vocab.canned.find((p) => p.code === $("canned").value && !((c && c.canned_hidden) || []).includes(p.code));
    // In the customer's language (told by the server), whatever the agent's page shows.
    const spoken = (c && c.language) || lang;
    if (phrase) { $("reply-text").value = fillPlaceholders(phraseText(phrase, spoken), c); $("reply-text").focus(); }
    $("canned").selectedIndex = 0;
  });
  $("note").addEventListener("submit", (event) => {
    event.preventDefault();
    const c = current(), text = $("note-text").value.trim();
    if (!c || !c.conversation || !text) return;
    act(async () => { const r = await post(`/conversations/${c.conversation.conversation_id}/notes`, { text }); $("note-text").value = ""; return r; });
  });
  $("transfer").addEventListener("submit", (event) => {
    event.preventDefault();
    const c = current(); if (!c) return;
    const value = $("transfer-target").value, at = value.indexOf(":");
    const kind = value.slice(0, at), target = value.slice(at + 1), note = $("transfer-note").value.trim();
    let path, body;
    if (kind === "domain") {
      const slash = target.indexOf("/");
      path = `/contacts/${c.contact_id}/handover`;
      body = { note, to_domain: target.slice(0, slash), to_queue_id: target.slice(slash + 1) };
    } else {
      body = { note, [kind === "queue" ? "to_queue_id" : "to_agent_id"]: target };
      path = c.conversation ? `/conversations/${c.conversation.conversation_id}/transfer` : `/contacts/${c.contact_id}/transfer`;
    }
    act(async () => { const r = await post(path, body); $("transfer-note").value = ""; return r; });
  });
  $("wrapup").addEventListener("submit", (event) => {
    event.preventDefault();
    const c = current(); if (!c) return;
    const body = { disposition: $("disposition").value };
    const path = c.conversation ? `/conversations/${c.conversation.conversation_id}/wrap-up` : `/contacts/${c.contact_id}/complete`;
    act(() => post(path, body));
  });
  $("call-hold").addEventListener("click", (event) => {
    const c = current();
    if (c) act(() => post(`/contacts/${c.contact_id}/call/${event.currentTarget.dataset.step}`));
  });
  $("call-mute").addEventListener("click", (event) => {
    const c = current();
    if (c) act(() => post(`/contacts/${c.contact_id}/call/${event.currentTarget.dataset.step}`));
  });
  $("call-digits").addEventListener("submit", (event) => {
    event.preventDefault();
    const c = current(), digits = $("call-digits-text").value.trim().toUpperCase();
    if (c && digits) act(async () => { const r = await post(`/contacts/${c.contact_id}/digits`, { digits }); $("call-digits-text").value = ""; return r; });
  });
  $("recording-pause").addEventListener("click", (event) => {
    const c = current();
    if (c) act(() => post(`/contacts/${c.contact_id}/recording/${event.currentTarget.dataset.step}`));
  });
  $("end-wrapup").addEventListener("click", () => { const c = current(); if (c) act(() => post(`/contacts/${c.contact_id}/end-wrapup`)); });
  $("lang").addEventListener("click", () => { lang = lang === "zh" ? "en" : "zh"; localStorage.setItem("kefu.lang", lang); applyLang(); });
  document.addEventListener("keydown", (event) => {
    if (!event.altKey || !view) return;
    const key = event.key.toLowerCase(), offer = view.offers[0];
    if (key === "a" && offer) { event.preventDefault(); act(() => post(`/offers/${offer.contact_id}/accept`, { offer_id: offer.offer_id })); }
    else if (key === "j" && offer) { event.preventDefault(); act(() => post(`/offers/${offer.contact_id}/reject`, { offer_id: offer.offer_id })); }
    else if (key === "r") { event.preventDefault(); $("reply-text").focus(); }
    else if (key === "m" && !$("call-mute").classList.contains("hidden")) { event.preventDefault(); $("call-mute").click(); }
    else if (key === "w") { event.preventDefault(); if (!$("wrapup").classList.contains("hidden")) $("wrapup").requestSubmit(); }
    else if (/^[1-9]$/.test(key) && view.contacts[Number(key) - 1]) { event.preventDefault(); selected = view.contacts[Number(key) - 1].contact_id; render(view); }
  });

  function connect() {
    const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws/desktop`);
    ws.onopen = () => { connected = true; setLink(true); };
    ws.onmessage = (event) => {
      const data = JSON.parse(event.data);
      if (data.type === "hello") { vocab = data.vocabulary; csrf = data.csrf_token || csrf; fillVocab(); }
      else if (data.type === "vocabulary") { vocab = data.vocabulary; fillVocab(); if (view) render(view); }
      else if (data.type === "desktop") { render(data.view); }
      else if (data.type === "notice") { showNotice(data.notice); }
      else if (data.type === "softphone") {
        // The call bar (desktop-softphone.js) may load after this frame: it reads the last one.
        window.kefuSoftphoneFrame = data;
        window.dispatchEvent(new CustomEvent("kefu:softphone", { detail: data }));
      }
      else if (data.type === "message") { if (!applyMessage(data)) ws.send(JSON.stringify({ type: "resync" })); }
      else if (data.type === "typing") {
        const c = current();
        if (c && c.conversation && c.conversation.conversation_id === data.conversation_id) {
          $("typing").classList.remove("hidden"); clearTimeout(typingTimer);
          typingTimer = setTimeout(() => $("typing").classList.add("hidden"), 4000);
        }
      }
    };
    ws.onclose = (event) => {
      connected = false; setLink(false);
      if (event.code === 4401) { location.href = "/login?next=/desktop"; return; }
      // No longer this agent (role or agent changed): the account page, not a retry loop.
      if (event.code === 4403) { location.href = "/account"; return; }
      setTimeout(connect, 1500);
    };
  }
  setInterval(tick, 250);
  applyLang();
  connect();
});
