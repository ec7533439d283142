// kefu agent desktop: merge another customer into the one shown (or this one into it) and
// undo that merge, through /api/v1/customers. Kept apart from desktop.js, which re-renders
// the customer panel on every push: this form lives beside it so typing is never lost.
// A suggested match ("possibly the same person") is a button in the panel: clicking it asks
// for confirmation here, then merges it with the survivor chosen in the form.
"use strict";
kefuI18n.load("merge").then(function (I18N) {
  const $ = (id) => document.getElementById(id);
  const lang = () => (document.documentElement.lang === "zh-CN" ? "zh" : "en");
  const t = (k) => I18N[lang()][k] || k;
  const csrf = () => (document.querySelector('.logout input[name="csrf_token"]') || {}).value || "";
  let lastMerge = null, pending = null;

  function label() {
    document.querySelectorAll("[data-merge]").forEach((n) => { n.textContent = t(n.dataset.merge); });
    $("merge-other").placeholder = t("other_ph"); $("merge-reason").placeholder = t("reason_ph");
    askConfirm();
  }
  function showError(text) { $("merge-error").textContent = text; $("merge-error").classList.toggle("hidden", !text); }
  function shown() {
    const id = $("customer").dataset.customer || "";
    $("merge").classList.toggle("hidden", !id);
    if (lastMerge && lastMerge.customer !== id && lastMerge.other !== id) { lastMerge = null; $("merge-done").classList.add("hidden"); }
    if (pending && pending.customer !== id) { pending = null; askConfirm(); }
    return id;
  }
  // A bare phone number or e-mail address is sent as an identifier, anything else as an id.
  function reference(raw) {
    const text = raw.trim();
    if (/^[a-z_]+:/.test(text)) return text;
    if (text.includes("@")) return "email:" + text;
    if (/^\+?[\d\s\-().]{5,}$/.test(text)) return "phone:" + text;
    return text;
  }
  // The page's language for the errors it knows (by error_id), else the server's text.
  function errorText(data, fallback) {
    const known = I18N[lang()]["err_" + data.error_id];
    if (!known) return data.message || fallback;
    return known.replace("{ref}", ((data.details || {}).customer_id) || "");
  }
  async function post(path, body) {
    const response = await fetch("/api/v1/customers" + path, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf(), "Accept-Language": lang() === "zh" ? "zh-CN" : "en" },
      body: JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(errorText(data, response.statusText));
    return data;
  }
  async function merge(id, body) {
    try {
      const data = await post(`/${encodeURIComponent(id)}/merge`, body);
      const survivor = data.customer.customer_id;
      lastMerge = { id: data.merge_id, customer: survivor, other: id };
      $("merge-text").textContent = `${t("merged")} (${data.merge_id}) → ${survivor}`;
      $("merge-undo").classList.remove("hidden"); $("merge-done").classList.remove("hidden");
      $("merge-other").value = ""; $("merge-reason").value = ""; showError("");
    } catch (e) { showError(e.message); }
  }
  function askConfirm() {
    $("merge-confirm").classList.toggle("hidden", !pending);
    if (!pending) return;
    const keep = $("merge-survivor").value === "this" ? pending.customer : pending.other;
    $("merge-confirm-text").textContent = t("confirm_q").replace("{other}", pending.other)
      .replace("{ident}", pending.ident).replace("{this}", pending.customer).replace("{keep}", keep);
  }

  $("merge").addEventListener("submit", async (event) => {
    event.preventDefault();
    const id = shown();
    if (!id) { showError(t("no_customer")); return; }
    const body = { merged_id: reference($("merge-other").value), reason: $("merge-reason").value.trim(), survivor: $("merge-survivor").value };
    await merge(id, body);
  });
  $("customer").addEventListener("click", (event) => {
    const button = event.target.closest("button[data-suggest]");
    const id = shown();
    if (!button || !id) return;
    pending = { customer: id, other: button.dataset.suggest, ident: button.dataset.ident || `${button.dataset.kind}: ${button.dataset.value}` };
    showError(""); askConfirm(); $("merge-confirm-yes").focus();
  });
  $("merge-survivor").addEventListener("change", askConfirm);
  $("merge-confirm-no").addEventListener("click", () => { pending = null; askConfirm(); });
  $("merge-confirm-yes").addEventListener("click", async () => {
    if (!pending) return;
    const chosen = pending; pending = null; askConfirm();
    const reason = $("merge-reason").value.trim() || `${t("suggested_reason")}: ${chosen.ident}`;
    await merge(chosen.customer, { merged_id: chosen.other, reason, survivor: $("merge-survivor").value });
  });
  $("merge-undo").addEventListener("click", async () => {
    if (!lastMerge) return;
    try {
      await post(`/merges/${encodeURIComponent(lastMerge.id)}/undo`, { reason: t("undo_reason") });
      $("merge-text").textContent = `${t("undone")} (${lastMerge.id})`;
      $("merge-undo").classList.add("hidden"); showError("");
    } catch (e) { showError(e.message); }
  });
  new MutationObserver(label).observe(document.documentElement, { attributes: true, attributeFilter: ["lang"] });
  new MutationObserver(shown).observe($("customer"), { attributes: true, attributeFilter: ["data-customer"] });
  label(); shown();
});
