// kefu agent desktop: merge another customer into the one shown (or this one into it) and
// undo that merge, through /api/v1/customers. Kept apart from desktop.js, which re-renders
// the customer panel on every push: this form lives beside it so typing is never lost.
"use strict";
(function () {
  const I18N = {
    en: {
      title: "Merge another customer", keep_this: "Keep this customer", keep_other: "Keep the other customer",
      merge: "Merge", undo: "Undo", other_ph: "Customer id, phone or e-mail of the other customer",
      reason_ph: "Reason (kept in the audit log)", merged: "Merged", undone: "Merge undone",
      undo_reason: "Undone at the desktop", no_customer: "This contact has no customer record to merge into.",
    },
    zh: {
      title: "合并其他客户", keep_this: "保留当前客户", keep_other: "保留另一位客户",
      merge: "合并", undo: "撤销", other_ph: "另一位客户的编号、手机号或邮箱",
      reason_ph: "原因（记入审计日志）", merged: "已合并", undone: "已撤销合并",
      undo_reason: "在工作台撤销", no_customer: "此联系没有可合并的客户记录。",
    },
  };
  const $ = (id) => document.getElementById(id);
  const lang = () => (document.documentElement.lang === "zh-CN" ? "zh" : "en");
  const t = (k) => I18N[lang()][k] || k;
  const csrf = () => (document.querySelector('.logout input[name="csrf_token"]') || {}).value || "";
  let lastMerge = null;

  function label() {
    document.querySelectorAll("[data-merge]").forEach((n) => { n.textContent = t(n.dataset.merge); });
    $("merge-other").placeholder = t("other_ph"); $("merge-reason").placeholder = t("reason_ph");
  }
  function showError(text) { $("merge-error").textContent = text; $("merge-error").classList.toggle("hidden", !text); }
  function shown() {
    const id = $("customer").dataset.customer || "";
    $("merge").classList.toggle("hidden", !id);
    if (lastMerge && lastMerge.customer !== id && lastMerge.other !== id) { lastMerge = null; $("merge-done").classList.add("hidden"); }
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
  async function post(path, body) {
    const response = await fetch("/api/v1/customers" + path, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
      body: JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.message || response.statusText);
    return data;
  }

  $("merge").addEventListener("submit", async (event) => {
    event.preventDefault();
    const id = shown();
    if (!id) { showError(t("no_customer")); return; }
    const body = { merged_id: reference($("merge-other").value), reason: $("merge-reason").value.trim(), survivor: $("merge-survivor").value };
    try {
      const data = await post(`/${encodeURIComponent(id)}/merge`, body);
      const survivor = data.customer.customer_id;
      lastMerge = { id: data.merge_id, customer: survivor, other: id };
      $("merge-text").textContent = `${t("merged")} (${data.merge_id}) → ${survivor}`;
      $("merge-undo").classList.remove("hidden"); $("merge-done").classList.remove("hidden");
      $("merge-other").value = ""; $("merge-reason").value = ""; showError("");
    } catch (e) { showError(e.message); }
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
})();
