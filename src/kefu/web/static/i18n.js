// kefu pages' texts come from the server's gettext catalogs (/i18n/<lang>.json), loaded
// once per page for both languages so the EN/中文 switch needs no round trip.
// kefuI18n.load("desktop") resolves to {en: {...}, zh: {...}}: the "desktop.*" texts under
// their short keys ("accept") and every text under its full key ("vocab.tier.2").
// A plural text is {category: text}; kefuI18n.plural picks the form with Intl.PluralRules.
"use strict";
window.kefuI18n = (function () {
  const script = document.currentScript;
  const version = (script && script.dataset.version) || "";
  const LANGS = ["en", "zh"];
  const rules = {};
  const asked = {};  // one request per language, shared by the page's scripts
  function get(code) {
    asked[code] = asked[code] || fetch("/i18n/" + code + ".json" + (version ? "?v=" + version : ""), { credentials: "omit" })
      .then((r) => (r.ok ? r.json() : Promise.reject(new Error("catalog " + code + ": " + r.status))));
    return asked[code];
  }
  function load(scope) {
    return Promise.all(LANGS.map(get)).then((all) => {
      const out = {};
      all.forEach((data, i) => {
        const dict = {};
        for (const [k, v] of Object.entries(data.messages)) {
          dict[k] = v;
          if (k.startsWith(scope + ".")) dict[k.slice(scope.length + 1)] = v;
        }
        rules[LANGS[i]] = new Intl.PluralRules(data.bcp47);
        out[LANGS[i]] = dict;
      });
      return out;
    });
  }
  // "{name}" placeholders filled from values (an unknown one stays as written).
  const fill = (text, values) => String(text ?? "").replace(/\{(\w+)\}/g, (m, k) => (values && k in values ? values[k] : m));
  // The form of a plural text for the count n; n fills "{n}" as well.
  function plural(forms, lang, n, values) {
    const category = rules[lang] ? rules[lang].select(n) : "other";
    return fill((forms || {})[category] ?? (forms || {}).other, { n, ...values });
  }
  return { load, fill, plural };
})();
