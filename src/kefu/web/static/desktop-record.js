// kefu agent desktop: the customer record on the customer panel (profile fields, notes,
// consent, products with masked numbers) and the screen pop's likely reason. Loaded before
// desktop.js, which calls kefuRecord with its helpers each time it draws the panel.
"use strict";
function kefuRecord({ t, el, outcomeLabel, lang, I18N }) {
  // The screen pop's "likely about: a failed payment, product •••• 1234".
  function likelyText(attrs) {
    const reason = attrs.likely_reason;
    if (!reason) return "";
    const known = I18N[lang]["vocab.reason." + reason];
    const what = known || outcomeLabel(reason);
    const why = String(attrs["likely_reason.why"] || "");
    // "open_case:c12", "product:payment_failed:•••• 1234", "last:billing": kind first, evidence last.
    const parts = why.split(":");
    const kind = parts[0], id = parts.length > 1 ? parts[parts.length - 1] : "";
    const template = I18N[lang]["vocab.why." + kind];
    const because = template && id ? kefuI18n.fill(template, { id: kind === "last" ? outcomeLabel(id) : id }) : "";
    return because ? `${what}, ${because}` : what;
  }
  function likely(box, attrs) {
    const text = likelyText(attrs);
    if (!text) return;
    const p = el("p", "likely");
    p.id = "likely";
    p.append(el("strong", "", t("likely") + ": "), el("span", "", text));
    box.append(p);
  }
  function profile(box, record) {
    const dl = el("dl", "profile");
    const row = (k, v) => { dl.append(el("dt", "", k), el("dd", "", v)); };
    for (const f of record.fields) {
      if (f.value !== null) row(lang === "zh" ? f.label_zh : f.label_en, f.value);
    }
    if (record.notes) row(t("notes"), record.notes);
    const yes = (b) => t(b ? "allowed" : "refused");
    row(t("consent"), `${t("consent_sms")} ${yes(record.consent.sms)} · ${t("consent_email")} ${yes(record.consent.email)}`);
    box.append(dl);
    if (record.products.length) {
      box.append(el("h3", "", t("products")));
      const ul = el("ul", "products");
      for (const p of record.products) {
        const li = el("li", "", `${p.kind} ${p.number} · ${p.status}` + (p.balance === null ? "" : ` · ¥${p.balance}`));
        li.dataset.status = p.status; ul.append(li);
      }
      box.append(ul);
    }
  }
  return { likely, profile };
}
