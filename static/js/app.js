// Progressive enhancement only: every page works without this file.
document.documentElement.classList.add("js");
document.addEventListener("change", (event) => {
  const el = event.target;
  if (el instanceof HTMLSelectElement && el.hasAttribute("data-autosubmit") && el.form) {
    el.form.requestSubmit();
  }
});
