// kefu agent desktop: "my cases" and "my team's cases" (filters by state, type and breach,
// search by id, subject or customer, pages); the cases of the customer shown (open one from the current
// conversation, read it, add a note, resolve and close it; a back-office work item shows
// its case when selected) and the customer's timeline
// across channels (contacts with their IVR path, cases and their state changes, notes),
// through /api/v1/cases and /api/v1/customers/{id}/timeline. Kept apart from desktop.js,
// which re-renders the customer panel on every push: these forms keep what is typed.
"use strict";
kefuI18n.load("cases").then(function (I18N) {
  const $ = (id) => document.getElementById(id);
  const lang = () => (document.documentElement.lang === "zh-CN" ? "zh" : "en");
  const t = (k) => I18N[lang()][k] || k;
  const csrf = () => (document.querySelector('.logout input[name="csrf_token"]') || {}).value || "";
  const when = (s) => (s ? new Date(s * 1000).toLocaleString(lang() === "zh" ? "zh-CN" : "en-GB") : "");
  let customer = "", caseId = null, shownCase = null;
  let types = [], mcOffset = 0, mcAsked = "", mcTimer = null;
  const PAGE = 10;

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function showError(text) { $("case-error").textContent = text; $("case-error").classList.toggle("hidden", !text); }
  async function call(method, path, body) {
    const response = await fetch("/api/v1" + path, {
      method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(I18N[lang()]["err_" + data.error_id] || data.message || response.statusText);
    return data;
  }
  function typeName(key) {
    const found = types.find((x) => x.type_id === key);
    if (found) return lang() === "zh" ? found.label_zh : found.label_en;
    return t("type." + key);
  }
  function option(value, text, key) {
    const node = el("option", "", text);
    node.value = value;
    if (key) node.dataset.case = key;
    return node;
  }
  function fillTypes() {
    if (!types.length) return;
    const open = $("case-type"), filter = $("mc-type");
    const keepOpen = open.value, keepFilter = filter.value;
    open.replaceChildren(...types.filter((x) => !x.retired).map((x) => option(x.type_id, typeName(x.type_id))));
    filter.replaceChildren(option("", t("all_types"), "all_types"), ...types.map((x) => option(x.type_id, typeName(x.type_id))));
    if (keepOpen) open.value = keepOpen;
    filter.value = keepFilter;
  }
  async function loadTypes() {
    try { types = (await call("GET", "/case-types")).case_types; fillTypes(); }
    catch (e) { /* the built-in types of the page stay */ }
  }
  function renderMine(data) {
    const cases = data.cases;
    $("mc-none").classList.toggle("hidden", cases.length > 0);
    $("mc-list").replaceChildren(...cases.map((c) => {
      const li = el("li", c.breached ? "breached" : "");
      li.dataset.case_id = c.case_id;
      li.dataset.state = c.state;
      const button = el("button", "link", `#${c.case_id} ${c.title} · ${typeName(c.case_type)} · ${t("state." + c.state)}${c.breached ? " · " + t("breached") : ""}`);
      button.type = "button";
      button.addEventListener("click", () => show(c.case_id));
      li.append(button);
      return li;
    }));
    $("mc-page").textContent = t("page").replace("{page}", String(Math.floor(mcOffset / PAGE) + 1));
    $("mc-prev").disabled = mcOffset === 0;
    $("mc-next").disabled = data.next_offset === null;
  }
  async function listMine() {
    const params = new URLSearchParams({ limit: String(PAGE), offset: String(mcOffset) });
    params.set($("mc-scope").value, "true");
    if ($("mc-state").value) params.set("state", $("mc-state").value);
    if ($("mc-type").value) params.set("case_type", $("mc-type").value);
    if ($("mc-breached").checked) params.set("breached", "true");
    const q = $("mc-q").value.trim();
    if (q) params.set("q", q);
    const asked = mcAsked = params.toString();
    try {
      const data = await call("GET", "/cases?" + asked);
      if (asked === mcAsked) renderMine(data);
    } catch (e) { showError(e.message); }
  }
  function label() {
    document.querySelectorAll("[data-case]").forEach((n) => { n.textContent = t(n.dataset.case); });
    $("case-title").placeholder = t("title_ph"); $("case-note-text").placeholder = t("note_ph");
    $("case-root").placeholder = t("root_ph"); $("case-resolution").placeholder = t("resolution_ph");
    $("mc-q").placeholder = t("search_ph");
    fillTypes();
    if (shownCase) renderCase(shownCase);
    refresh();
  }
  function currentContact() {
    const li = document.querySelector("#contacts li.selected");
    return li ? li.dataset.contact : "";
  }
  function renderCase(c) {
    shownCase = c; caseId = c.case_id;
    $("cases").classList.remove("hidden"); $("case-view").classList.remove("hidden");
    $("case-head").textContent = `#${c.case_id} · ${typeName(c.case_type)} · ${c.title} · ${t("state." + c.state)}`;
    $("case-head").dataset.state = c.state;
    const res = (c.sla || []).find((s) => s.clock === "resolution");
    $("case-sla").textContent = res && res.due_at ? `${t("due")}: ${when(res.due_at)}${res.breached ? " · " + t("breached") : ""}` : "";
    $("case-notes").replaceChildren(...c.notes.map((n) => el("li", n.internal ? "internal" : "public", `${n.author}: ${n.text}`)));
    const closed = c.state === "closed";
    $("case-note").classList.toggle("hidden", false);
    $("case-close").classList.toggle("hidden", closed);
  }
  function renderList(cases) {
    $("case-none").classList.toggle("hidden", cases.length > 0);
    $("case-list").replaceChildren(...cases.map((c) => {
      const li = el("li", c.case_id === caseId ? "selected" : "");
      li.dataset.case_id = c.case_id;
      const button = el("button", "link", `#${c.case_id} ${c.title} · ${t("state." + c.state)}${c.breached ? " · " + t("breached") : ""}`);
      button.type = "button";
      button.addEventListener("click", () => show(c.case_id));
      li.append(button);
      return li;
    }));
  }
  function renderTimeline(items) {
    if (!items.length) { $("case-timeline").replaceChildren(el("li", "muted", t("empty_timeline"))); return; }
    $("case-timeline").replaceChildren(...items.map((i) => {
      const li = el("li", "tl-" + i.kind);
      li.dataset.kind = i.kind;
      let text;
      if (i.kind === "contact") {
        text = `${t("kind.contact")} · ${(I18N[lang()]["desktop." + i.channel]) || i.channel} · ${(i.queue_names || i.queues).join(" → ")}`;
        if (i.ivr_path && i.ivr_path.length) text += ` · ${t("ivr")}: ${i.ivr_path.join(" > ")}`;
      } else if (i.kind === "case") {
        text = `${t("kind.case")} #${i.case_id} ${i.title} · ${t("state." + i.state)}`;
      } else if (i.kind === "survey") {
        const top = i.survey_kind === "nps" ? 10 : 5;
        text = `${t("kind.survey")} ${(i.survey_kind || "csat").toUpperCase()} · ` +
          (i.score === null || i.score === undefined ? t("survey_waiting") : `${i.score}/${top}${i.comment ? " · " + i.comment : ""}`);
      } else if (i.kind === "notice") {
        text = `${t("kind.notice")} #${i.case_id} · ${t("notice." + i.event)} · ${(I18N[lang()]["desktop." + i.channel]) || i.channel}`;
      } else {
        text = `${t("kind.note")} #${i.case_id} · ${i.author}: ${i.text}`;
      }
      li.append(el("span", "at", when(i.at)), el("span", "", " " + text));
      return li;
    }));
  }
  async function refresh() {
    listMine();
    if (!customer) return;
    const asked = customer;
    try {
      const [list, story] = await Promise.all([
        call("GET", `/cases?customer_id=${encodeURIComponent(asked)}`),
        call("GET", `/customers/${encodeURIComponent(asked)}/timeline?limit=50`),
      ]);
      if (asked !== customer) return;
      renderList(list.cases); renderTimeline(story.items);
    } catch (e) { showError(e.message); }
  }
  async function show(id) {
    try { renderCase(await call("GET", `/cases/${encodeURIComponent(id)}`)); showError(""); refresh(); }
    catch (e) { showError(e.message); }
  }
  function shown() {
    const id = $("customer").dataset.customer || "";
    $("cases").classList.toggle("hidden", !id && !shownCase);
    if (id === customer) return;
    customer = id;
    if (!(shownCase && shownCase.customer_id === id)) {  // a work item's case stays
      caseId = null; shownCase = null;
      $("case-view").classList.add("hidden");
    }
    $("case-list").replaceChildren(); $("case-timeline").replaceChildren();
    refresh();
  }

  $("case-open").addEventListener("submit", async (event) => {
    event.preventDefault();
    const contact = currentContact();
    if (!contact) { showError(t("no_contact")); return; }
    try {
      const made = await call("POST", "/cases", { case_type: $("case-type").value, title: $("case-title").value.trim(), contact_id: contact });
      $("case-title").value = ""; showError(""); renderCase(made); refresh();
    } catch (e) { showError(e.message); }
  });
  $("case-note").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!caseId) return;
    try {
      renderCase(await call("POST", `/cases/${caseId}/notes`, { text: $("case-note-text").value.trim() }));
      $("case-note-text").value = ""; showError(""); refresh();
    } catch (e) { showError(e.message); }
  });
  $("case-close").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!caseId || !shownCase) return;
    const resolution = $("case-resolution").value.trim();
    const root = $("case-root").value.trim();
    try {
      if (shownCase.state !== "resolved") {
        const body = { to: "resolved", reason: resolution, resolution };
        if (root) body.root_cause = root;
        renderCase(await call("POST", `/cases/${caseId}/transitions`, body));
      }
      renderCase(await call("POST", `/cases/${caseId}/transitions`, { to: "closed", reason: resolution }));
      $("case-resolution").value = ""; $("case-root").value = ""; showError(""); refresh();
    } catch (e) { showError(e.message); }
  });
  // A back-office work item names its case: selecting it shows that case.
  let lastContact = "";
  async function picked() {
    const contact = currentContact();
    if (!contact || contact === lastContact) return;
    lastContact = contact;
    try {
      const view = await call("GET", `/contacts/${encodeURIComponent(contact)}`);
      const linked = (view.attributes || {}).case_id;
      if (linked && contact === currentContact()) show(linked);
    } catch (e) { /* the contact left the desk meanwhile */ }
  }
  $("mc-filter").addEventListener("change", () => { mcOffset = 0; listMine(); });
  $("mc-filter").addEventListener("submit", (event) => { event.preventDefault(); mcOffset = 0; listMine(); });
  $("mc-q").addEventListener("input", () => {
    clearTimeout(mcTimer);
    mcTimer = setTimeout(() => { mcOffset = 0; listMine(); }, 300);
  });
  $("mc-prev").addEventListener("click", () => { mcOffset = Math.max(0, mcOffset - PAGE); listMine(); });
  $("mc-next").addEventListener("click", () => { mcOffset += PAGE; listMine(); });
  new MutationObserver(picked).observe($("contacts"), { subtree: true, attributes: true, attributeFilter: ["class"], childList: true });
  new MutationObserver(label).observe(document.documentElement, { attributes: true, attributeFilter: ["lang"] });
  new MutationObserver(shown).observe($("customer"), { attributes: true, attributeFilter: ["data-customer"] });
  label(); shown(); loadTypes();
});
