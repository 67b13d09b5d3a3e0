// The table-of-contents toggle is a <button> here (theme/index.hbs), not mdbook's <label> for
// the hidden checkbox: a click toggles that checkbox, whose change event mdbook's book.js
// answers (it shows or hides the sidebar and sets aria-expanded on this button).
(function () {
  const button = document.getElementById('mdbook-sidebar-toggle');
  const box = document.getElementById('mdbook-sidebar-toggle-anchor');
  if (!button || !box) return;
  button.addEventListener('click', () => {
    box.checked = !box.checked;
    box.dispatchEvent(new Event('change'));
  });
})();
