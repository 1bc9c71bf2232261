// aa_gan's site: small touches on sphinx-book-theme (docs/conf.py loads this file, deferred, on every page)

// Search result snippets. Sphinx's search.html takes each result's snippet from the page's [role=main] element, which in
// sphinx-book-theme also holds the header buttons (colour mode, search...) and the printed table of contents, so a
// snippet could show menu text. Take the text from the article (the page's own prose) instead.
(function () {
  if (typeof Search === "undefined" || !Search.htmlToText) return;  // only the search page loads searchtools.js
  Search.htmlToText = (htmlString, anchor) => {
    const doc = new DOMParser().parseFromString(htmlString, "text/html");
    doc.querySelectorAll(".headerlink, script, style, nav, .toctree-wrapper, .api-source, .d-print-none, .onlyprint")
      .forEach((el) => el.remove());
    const article = doc.querySelector('[role="main"] article.bd-article') || doc.querySelector("article") ||
      doc.querySelector('[role="main"]');
    if (!article) return "";
    let part = null;
    try { part = anchor ? article.querySelector(anchor) : null; } catch (e) { part = null; }  // (an id CSS cannot name)
    return (part || article).textContent.replace(/\s+/g, " ").trim();
  };
})();

// The notebook download (the theme's .ipynb button) saves the file rather than showing its JSON in a new tab. (A
// deferred script runs once the page is parsed, and before the theme's own deferred scripts set up the tooltips.)
(function () {
  const offerNotebook = () => document.querySelectorAll("a.btn-download-source-button[href$='.ipynb']").forEach((a) => {
    a.setAttribute("download", a.getAttribute("href").split("/").pop());
    a.removeAttribute("target");
    a.setAttribute("title", "Download this notebook");
    a.setAttribute("aria-label", "Download this notebook");
  });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", offerNotebook);
  else offerNotebook();
})();
